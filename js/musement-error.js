// The error class every musement-auth failure is an instance of. It lives in JavaScript so
// that it is a real `Error` subclass (`instanceof Error`, a stack trace) and can be exported by
// the package for `instanceof MusementError` checks.

export class MusementError extends Error {
  constructor(code, message, status, musementCode) {
    super(message);
    this.name = "MusementError";
    this.code = code;
    if (status !== undefined) this.status = status;
    if (musementCode !== undefined) this.musementCode = musementCode;
  }

  toJSON() {
    const { name, code, message, status, musementCode } = this;
    return { name, code, message, status, musementCode };
  }
}

export function createMusementError(code, message, status, musementCode) {
  return new MusementError(code, message, status, musementCode);
}
