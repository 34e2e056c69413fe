// The package's TypeScript types, checked by the compiler against tests/types/usage.mts: the
// API as documented, and the mistakes it must refuse (`@ts-expect-error` lines fail the build
// when the error they expect does not happen).

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("../..", import.meta.url));

test("the types describe the API, with no any where a type is known", async () => {
  const tsc = `${root}node_modules/.bin/tsc`;
  const result = await promisify(execFile)(tsc, ["-p", `${root}tests/types`], { cwd: root }).catch((error) => error);
  assert.equal(result.code ?? 0, 0, `tsc failed:\n${result.stdout}${result.stderr}`);
});
