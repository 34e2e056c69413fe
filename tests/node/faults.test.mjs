// The fault matrix: every fault the mock can inject, against login and against an API call.
// Each case checks the error code, how many attempts reached the mock, that the call ended
// within timeoutMs plus the backoff, and that a healthy call works right after.

import assert from "node:assert/strict";
import { test } from "node:test";
import { exhibit, MusementClient, MusementError, optionsFor, withMock } from "./helpers.mjs";

const TIMEOUT_MS = 500;
const MAX_RETRIES = 2;
// Two backoffs at most: up to 200 ms, then up to 400 ms.
const MAX_BACKOFF_MS = 600;
const SLACK_MS = 400;
// More faults than attempts, so that a fault persists for the whole call.
const PERSISTENT = MAX_RETRIES + 1;

// [mode, fault options, expected login outcome, expected API outcome]
// An outcome is { code, status?, musementCode?, attempts } or { ok: true, attempts }.
const MATRIX = [
  ["status 500", { mode: "status", status: 500 }, { code: "login_failed", status: 500, musementCode: "500", attempts: 3 }, { code: "http_error", status: 500, attempts: 1 }],
  ["status 503", { mode: "status", status: 503 }, { code: "login_failed", status: 503, attempts: 3 }, { code: "http_error", status: 503, attempts: 3 }],
  ["429 with a short Retry-After", { mode: "status", status: 429, retryAfter: 0 }, { code: "login_failed", status: 429, attempts: 3 }, { code: "http_error", status: 429, attempts: 3 }],
  ["429 with a Retry-After beyond the timeout", { mode: "status", status: 429, retryAfter: 30 }, { code: "login_failed", status: 429, attempts: 1 }, { code: "http_error", status: 429, attempts: 1 }],
  ["OAuth 400", { mode: "oauth", status: 400 }, { code: "login_failed", status: 400, musementCode: "invalid_grant", attempts: 1 }, { code: "http_error", status: 400, musementCode: "invalid_grant", attempts: 1 }],
  ["hang", { mode: "hang" }, { code: "timeout", attempts: 1, slow: true }, { code: "timeout", attempts: 1, slow: true }],
  ["connection reset", { mode: "reset" }, { code: "network_error", attempts: 3 }, { code: "network_error", attempts: 3 }],
  ["malformed JSON", { mode: "malformed" }, { code: "invalid_response", attempts: 1 }, { code: "invalid_response", attempts: 1 }],
  ["an HTML error page", { mode: "html", status: 502 }, { code: "login_failed", status: 502, attempts: 3 }, { code: "http_error", status: 502, attempts: 1 }],
  ["a wrong content type", { mode: "wrong-type" }, { code: "invalid_response", attempts: 1 }, { code: "invalid_response", attempts: 1 }],
  ["a slow drip", { mode: "drip", delayMs: 100 }, { code: "timeout", attempts: 1, slow: true }, { code: "timeout", attempts: 1, slow: true }],
  // A megabyte is no login answer; as an API answer it is just a large catalog page.
  ["a 1 MiB body", { mode: "big" }, { code: "invalid_response", attempts: 1 }, { ok: true, attempts: 1 }],
];

async function outcomeOf(call) {
  const started = performance.now();
  try {
    await call();
    return { ok: true, ms: performance.now() - started };
  } catch (error) {
    assert.ok(error instanceof MusementError, `not a MusementError: ${error}`);
    exhibit(error);
    return { error, ms: performance.now() - started };
  }
}

function check(label, got, expected, attempts) {
  assert.equal(attempts, expected.attempts, `${label}: attempts`);
  if (expected.ok) {
    assert.ok(got.ok, `${label}: ${got.error}`);
  } else {
    assert.ok(got.error, `${label}: expected ${expected.code}`);
    assert.equal(got.error.code, expected.code, `${label}: ${got.error.message}`);
    if (expected.status) assert.equal(got.error.status, expected.status, label);
    if (expected.musementCode) assert.equal(got.error.musementCode, expected.musementCode, label);
  }
  const limit = TIMEOUT_MS + MAX_BACKOFF_MS + SLACK_MS;
  assert.ok(got.ms < limit, `${label}: took ${Math.round(got.ms)} ms, more than ${limit}`);
  if (expected.slow) assert.ok(got.ms >= TIMEOUT_MS - 20, `${label}: gave up after ${Math.round(got.ms)} ms`);
}

for (const [name, fault, onLogin, onApi] of MATRIX) {
  test(`fault: ${name}`, async (t) => {
    const mock = await withMock(t);
    const client = new MusementClient(optionsFor(mock, { timeoutMs: TIMEOUT_MS, maxRetries: MAX_RETRIES }));

    mock.fault({ route: "login", count: PERSISTENT, ...fault });
    const login = await outcomeOf(() => client.login());
    check(`login, ${name}`, login, onLogin, mock.counts.loginAttempts);
    mock.reset();
    assert.ok((await client.json("/cities")).length > 0, "a healthy call after the login fault");

    mock.reset();
    mock.fault({ route: "api", count: PERSISTENT, ...fault });
    const api = await outcomeOf(() => client.json("/cities"));
    const apiAttempts = mock.requests.filter((r) => r.path === "/cities").length;
    check(`API, ${name}`, api, onApi, apiAttempts);
    mock.reset();
    assert.ok((await client.json("/cities")).length > 0, "a healthy call after the API fault");
    assert.equal(mock.counts.loginAttempts, 0, "the token survived the API fault");
    exhibit(client, client.tokenInfo, client.stats);
  });
}

test("an AbortSignal cancels a call waiting for a shared login, which goes on for the others", async (t) => {
  const mock = await withMock(t, { latencyMs: 300 });
  const client = new MusementClient(optionsFor(mock));
  const controller = new AbortController();
  const reason = new Error("the user went away");
  const shared = client.json("/cities");
  const cancelled = client.json("/activities", { signal: controller.signal });
  setTimeout(() => controller.abort(reason), 50);
  await assert.rejects(cancelled, (error) => error === reason);
  assert.ok((await shared).length > 0);
  assert.equal(mock.counts.loginAttempts, 1);
  assert.equal(mock.requests.filter((r) => r.path === "/activities").length, 0);
  // An already aborted signal rejects at once, with its reason.
  const done = AbortSignal.abort(reason);
  await assert.rejects(client.json("/cities", { signal: done }), (error) => error === reason);
});

test("an AbortSignal cancels a request in flight and a body being read", async (t) => {
  const mock = await withMock(t);
  const client = new MusementClient(optionsFor(mock));
  await client.login();
  mock.fault({ route: "api", mode: "hang" });
  const controller = new AbortController();
  setTimeout(() => controller.abort("stop"), 100);
  const started = performance.now();
  await assert.rejects(client.json("/cities", { signal: controller.signal }), (error) => error === "stop");
  assert.ok(performance.now() - started < 1000);
  mock.fault({ route: "api", mode: "drip", delayMs: 100 });
  const reading = new AbortController();
  setTimeout(() => reading.abort("enough"), 200);
  await assert.rejects(client.json("/cities", { signal: reading.signal }), (error) => error === "enough");
  assert.equal(client.stats.retries, 0);
});
