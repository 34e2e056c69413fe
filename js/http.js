// The wasm transport's hot path in JavaScript: building a request and its deadline takes one
// call from wasm instead of a dozen crossings, each decoding strings. What to send is still
// decided in Rust; this only assembles it.

// --- Deadlines ----------------------------------------------------------------------------------
//
// A deadline aborts an attempt, reading its body included, once timeoutMs has passed. Each
// attempt has its own controller: fetch implementations leave a listener on the signal they
// are given until it aborts, so a signal shared between requests would collect thousands.

function abortController(controller) {
  controller.abort(new DOMException("The attempt took longer than timeoutMs", "TimeoutError"));
}

/** A deadline for one attempt, joined with the caller's signal when there is one. */
export function deadline(timeoutMs, callerSignal) {
  const controller = new AbortController();
  const timer = setTimeout(abortController, timeoutMs, controller);
  timer?.unref?.(); // Node: a pending deadline never keeps the process alive
  const own = controller.signal;
  const signal = callerSignal ? AbortSignal.any([callerSignal, own]) : own;
  return { own, signal, timer };
}

/** Whether the deadline, not the caller, ended the attempt. */
export function timedOut(deadline) {
  return deadline.own.aborted;
}

/** The attempt is over: its timer is no longer needed. */
export function release(deadline) {
  clearTimeout(deadline.timer);
}

// --- Requests ------------------------------------------------------------------------------------

/**
 * Sends one attempt. `defaults` is a flat [name, value, …] array of headers to add unless the
 * caller set them, or null for a request to another origin, which is sent as the caller made
 * it. `authorization` replaces any the caller set; null removes it. A request that carries
 * the token never follows a redirect: the 3xx comes back to the caller, and the token never
 * travels to wherever it points.
 */
export function attempt(fetchFn, input, init, defaults, authorization, deadline) {
  const send = fetchFn ?? fetch;
  const signal = deadline.signal;
  const redirect = authorization ? "manual" : undefined;
  if (input instanceof Request) {
    const copy = input.clone(); // the template stays unsent, so it can be sent again
    if (defaults === null) return send(new Request(copy, { signal }));
    const headers = withDefaults(copy.headers, defaults, authorization);
    return send(new Request(copy, redirect ? { headers, signal, redirect } : { headers, signal }));
  }
  if (defaults === null) return send(input, { ...init, signal });
  const headers = withDefaults(init?.headers, defaults, authorization);
  return send(input, redirect ? { ...init, headers, signal, redirect } : { ...init, headers, signal });
}

function withDefaults(given, defaults, authorization) {
  const headers = new Headers(given);
  for (let i = 0; i < defaults.length; i += 2) {
    if (!headers.has(defaults[i])) headers.set(defaults[i], defaults[i + 1]);
  }
  if (authorization) headers.set("authorization", authorization);
  else headers.delete("authorization");
  return headers;
}
