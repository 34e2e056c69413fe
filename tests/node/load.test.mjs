// Load: many concurrent calls with tokens that expire every second, and a long run that must
// not leak (wasm memory and RSS level off after warm-up).

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { MusementClient, optionsFor, sleep, withMock } from "./helpers.mjs";

test("1,000 concurrent calls over 5 s, tokens expiring every second, a revocation mid-burst: no failure", async (t) => {
  const mock = await withMock(t, { expiresIn: 1 });
  const client = new MusementClient(optionsFor(mock));
  const started = Date.now();
  const calls = Array.from({ length: 1000 }, (_, i) =>
    sleep(i * 5).then(() => client.json(i % 2 ? "/cities?limit=1" : "/activities?limit=1")),
  );
  setTimeout(() => mock.revokeAll(), 2500);
  const outcomes = await Promise.allSettled(calls);
  const elapsed = Date.now() - started;
  const failed = outcomes.filter((o) => o.status === "rejected");
  assert.deepEqual(failed.map((f) => `${f.reason.code}: ${f.reason.message}`), []);
  // A 1 s token is used for half its life: about two logins a second, plus one for the
  // revocation. Logins follow the expiries, not the thousand calls.
  const expiries = Math.ceil(elapsed / 500);
  assert.ok(mock.counts.logins >= 5, `${mock.counts.logins} logins`);
  assert.ok(mock.counts.logins <= expiries + 3, `${mock.counts.logins} logins for ${expiries} expiries`);
  assert.equal(client.stats.logins, mock.counts.logins);
});

test("20,000 calls: wasm memory and RSS stop growing after warm-up", async () => {
  const script = fileURLToPath(new URL("./fixtures/memory-soak.mjs", import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ["--expose-gc", script, "20000"], { timeout: 120_000 });
  const { calls, failures, logins, samples } = JSON.parse(stdout);
  assert.equal(calls, 20_000);
  assert.equal(failures, 0);
  assert.ok(logins >= 1);
  // The first 5,000 calls are the warm-up; after them nothing may keep growing.
  const [warm, ...later] = samples;
  const end = later.at(-1);
  const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);
  assert.ok(warm.table > 0, "the externref table is visible");
  for (const sample of later) {
    assert.equal(sample.wasm, warm.wasm, `wasm memory grew to ${sample.wasm} bytes by call ${sample.calls}`);
    assert.equal(sample.table, warm.table, `wasm holds ${sample.table - warm.table} more JS values by call ${sample.calls}`);
  }
  assert.ok(end.heapUsed - warm.heapUsed < 2 * 2 ** 20, `the JS heap grew by ${mib(end.heapUsed - warm.heapUsed)} MiB`);
  // RSS settles more slowly than the heap (allocator arenas); compare the second half.
  const middle = later[0];
  assert.ok(end.rss - middle.rss < 16 * 2 ** 20, `RSS grew by ${mib(end.rss - middle.rss)} MiB from call ${middle.calls}`);
});
