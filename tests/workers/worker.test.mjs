// The example worker in real workerd against the mock Musement API over real HTTP.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { startMock } from "../mock/musement-mock.mjs";
import { buildWorker, get, kvFolder, removeFolder, startWorker } from "../../scripts/workerd.mjs";

let bundle;
before(() => {
  bundle = buildWorker();
});
after(() => removeFolder(bundle));

async function setup(t, mockOptions = {}, workerOptions = {}) {
  const mock = await startMock(mockOptions);
  t.after(() => mock.close());
  const mf = await startWorker(bundle, mock, workerOptions);
  t.after(() => mf.dispose());
  return { mock, mf };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("20 concurrent requests at a cold start all succeed with one login", async (t) => {
  const { mock, mf } = await setup(t, { latencyMs: 30 });
  const results = await Promise.all(Array.from({ length: 20 }, () => get(mf, "/cities?limit=2")));
  assert.deepEqual(results.map((r) => r.status), Array(20).fill(200));
  assert.ok(results.every((r) => r.body.length === 2 && r.body[0].name === "Milan"));
  assert.equal(mock.counts.loginAttempts, 1);
  assert.equal(mock.counts.api, 20);
  const auth = new Set(mock.requests.filter((r) => r.path === "/cities").map((r) => r.headers.authorization));
  assert.deepEqual([...auth], [`Bearer ${mock.tokens[0]}`]);
  const status = await get(mf, "/status");
  assert.equal(status.body.stats.logins, 1);
  assert.equal(status.body.tokenInfo.expiresIn, 3600);
  assert.ok(!JSON.stringify(status.body).includes(mock.tokens[0]));
});

test("status and body pass through; the secret stays in the worker", async (t) => {
  const { mock, mf } = await setup(t);
  const activities = await get(mf, "/activities?limit=3&offset=1");
  assert.equal(activities.status, 200);
  assert.equal(activities.body.length, 3);
  const missing = await get(mf, "/activities/no-such-uuid");
  assert.equal(missing.status, 404);
  assert.equal(missing.body.code, "404");
  const [login] = mock.requests.filter((r) => r.path === "/login");
  assert.equal(JSON.parse(login.body).client_secret, mock.clientSecret);
  const api = mock.requests.filter((r) => r.path.startsWith("/activities"));
  for (const r of api) {
    assert.equal(r.headers["x-musement-application"], "worker-tests");
    assert.equal(r.headers["x-musement-version"], "3.4.0");
  }
});

test("after a short expires_in runs out, the next request logs in again", async (t) => {
  // A 2 s lifetime is shorter than twice the 60 s margin: the token is used for half of it.
  const { mock, mf } = await setup(t, { expiresIn: 2 });
  assert.equal((await get(mf, "/cities")).status, 200);
  assert.equal((await get(mf, "/cities")).status, 200);
  assert.equal(mock.counts.logins, 1);
  await sleep(1100);
  assert.equal((await get(mf, "/cities")).status, 200);
  assert.equal(mock.counts.logins, 2);
});

test("a 503 on the first login is absorbed by a retry", async (t) => {
  const { mock, mf } = await setup(t);
  mock.fault({ route: "login", mode: "status", status: 503 });
  assert.equal((await get(mf, "/cities")).status, 200);
  assert.equal(mock.counts.loginAttempts, 2);
  assert.equal((await get(mf, "/status")).body.stats.retries, 1);
});

test("a login that keeps answering 503 fails that request cleanly; the next one succeeds", async (t) => {
  const { mock, mf } = await setup(t);
  // The first attempt and both retries.
  mock.fault({ route: "login", mode: "status", status: 503, count: 3 });
  const failed = await get(mf, "/cities");
  assert.equal(failed.status, 503);
  assert.equal(failed.body.code, "login_failed");
  assert.equal(failed.body.musementCode, "503");
  assert.equal(mock.counts.loginAttempts, 3);
  const next = await get(mf, "/cities");
  assert.equal(next.status, 200);
  assert.equal(mock.counts.loginAttempts, 4);
  assert.equal(mock.counts.logins, 1);
});

test("a second isolate uses the token in KV: no login until the token is revoked", async (t) => {
  const kv = kvFolder();
  t.after(() => removeFolder(kv));
  const { mock, mf: first } = await setup(t, {}, { kvPersist: kv });
  assert.equal((await get(first, "/cities")).status, 200);
  assert.equal(mock.counts.logins, 1);

  const second = await startWorker(bundle, mock, { kvPersist: kv });
  t.after(() => second.dispose());
  const results = await Promise.all(Array.from({ length: 5 }, () => get(second, "/activities")));
  assert.deepEqual(results.map((r) => r.status), Array(5).fill(200));
  assert.equal(mock.counts.loginAttempts, 1);
  let status = (await get(second, "/status")).body;
  assert.deepEqual(status.stats, { logins: 0, retries: 0, cacheHits: 1 });

  mock.revokeAll();
  assert.equal((await get(second, "/cities")).status, 200);
  assert.equal(mock.counts.logins, 2);
  status = (await get(second, "/status")).body;
  assert.equal(status.stats.logins, 1);
  // The first isolate finds its token rejected and takes the fresh one from KV.
  assert.equal((await get(first, "/cities")).status, 200);
  assert.equal(mock.counts.logins, 2);
  const auth = mock.requests.filter((r) => r.path === "/cities").map((r) => r.headers.authorization);
  assert.equal(auth.at(-1), `Bearer ${mock.tokens[1]}`);
});

test("a login whose request ended before it does not hang or break another request", async (t) => {
  // The warm-worker fixture starts a login in GET /warm and returns at once: workerd cancels
  // that login's I/O with the request, so its fetch never settles.
  const warm = buildWorker(fileURLToPath(new URL("./fixtures/warm-worker", import.meta.url)));
  t.after(() => removeFolder(warm));
  const mock = await startMock({ latencyMs: 300 });
  t.after(() => mock.close());
  const mf = await startWorker(warm, mock, { vars: { TIMEOUT_MS: "500", MAX_RETRIES: "0" } });
  t.after(() => mf.dispose());
  const started = Date.now();
  assert.equal((await get(mf, "/warm")).status, 200);
  const result = await get(mf, "/cities");
  const elapsed = Date.now() - started;
  assert.equal(result.status, 200, JSON.stringify(result.body));
  assert.equal(result.body.cities, 1);
  // The lost login is given up after its budget, (3 + 2 × maxRetries) × timeoutMs plus 1 s
  // of slack (here 2.5 s), and then replaced.
  assert.equal(mock.counts.loginAttempts, 2);
  assert.ok(elapsed < 5000, `took ${elapsed} ms`);
});
