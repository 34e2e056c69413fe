// The fifty lines of JavaScript a partner could write instead of using the package: the same
// behaviour the benchmarks exercise (POST /login, a cached bearer token with the same expiry
// check, one shared login, the same headers), and nothing more: no retries, 401 handling,
// origin checks or validation. With `timeoutMs` it also gives each request a deadline, as the
// package does, to show what that alone costs.

export class PlainClient {
  #token = null;
  #expiresAt = 0;
  #pending = null;

  constructor({ baseUrl, application, clientId, clientSecret, version = "3.4.0", refreshMarginSeconds = 60, timeoutMs, fetch = globalThis.fetch }) {
    Object.assign(this, { baseUrl, application, clientId, clientSecret, version, timeoutMs, fetchImpl: fetch });
    this.marginMs = refreshMarginSeconds * 1000;
    this.logins = 0;
  }

  async #login() {
    const sentAt = Date.now();
    const response = await this.fetchImpl(`${this.baseUrl}/login`, {
      method: "POST",
      headers: { "x-musement-application": this.application, "x-musement-version": this.version, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ client_id: this.clientId, client_secret: this.clientSecret, grant_type: "client_credentials" }),
    });
    if (!response.ok) throw new Error(`login failed: ${response.status}`);
    const { access_token, expires_in } = await response.json();
    this.#token = access_token;
    this.#expiresAt = sentAt + expires_in * 1000 - Math.min(this.marginMs, (expires_in * 1000) / 2);
    this.logins += 1;
    return access_token;
  }

  accessToken() {
    if (this.#token && Date.now() < this.#expiresAt) return this.#token;
    this.#pending ??= this.#login().finally(() => (this.#pending = null));
    return this.#pending;
  }

  async fetch(path, init = {}) {
    const token = await this.accessToken();
    const headers = new Headers(init.headers);
    if (!headers.has("x-musement-application")) headers.set("x-musement-application", this.application);
    if (!headers.has("x-musement-version")) headers.set("x-musement-version", this.version);
    headers.set("authorization", `Bearer ${token}`);
    const url = `${this.baseUrl}/${path.replace(/^\//, "")}`;
    if (!this.timeoutMs) return this.fetchImpl(url, { ...init, headers });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    return this.fetchImpl(url, { ...init, headers, signal: controller.signal }).finally(() => clearTimeout(timer));
  }

  async json(path, init) {
    const response = await this.fetch(path, init);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }
}
