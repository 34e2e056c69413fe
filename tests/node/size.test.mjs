// The size budget: bytes, not time. The Workers build (.wasm + JS glue, gzip -9) may not grow
// past WORKERS_BUDGET_BYTES (bench/size.mjs) without someone deciding it should.

import assert from "node:assert/strict";
import { test } from "node:test";
import { entries, sizeOf, WORKERS_BUDGET_BYTES } from "../../bench/size.mjs";

test("the Workers build stays within its size budget", () => {
  const { gzip, files } = sizeOf(entries().workers);
  const detail = files.map((f) => `${f.file} ${f.gzip}`).join(", ");
  assert.ok(gzip <= WORKERS_BUDGET_BYTES, `${gzip} bytes gzipped, over the ${WORKERS_BUDGET_BYTES}-byte budget: ${detail}`);
  assert.ok(files.some((f) => f.file.endsWith(".wasm") && f.gzip > 1000), "the .wasm is counted");
});
