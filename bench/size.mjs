// What each runtime loads from the package, raw and gzip -9: shared by `make bench` and the
// size-budget test in `make test`.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const pkg = fileURLToPath(new URL("../pkg/", import.meta.url));

/**
 * The most the Workers build (.wasm + JS glue, gzip -9) may weigh. The goal is 30 KiB; the
 * budget sits just above what the build weighs now, so that any growth fails `make test` and
 * has to be argued for. Lower it whenever the build shrinks.
 */
export const WORKERS_BUDGET_BYTES = 64 * 1024;

/** The files each runtime loads. */
export function entries() {
  const glue = readFileSync(join(pkg, "web/musement_auth.js"), "utf8");
  const snippets = [...glue.matchAll(/from '\.\/(snippets\/[^']+)'/g)].map((m) => `web/${m[1]}`);
  const shared = ["web/musement_auth.js", ...snippets];
  const wasm = "web/musement_auth_bg.wasm";
  return {
    workers: ["workerd.mjs", ...shared, wasm],
    browser: ["browser.mjs", ...shared, wasm],
    node: ["node.mjs", "node-wasm.mjs", ...shared],
  };
}

/** Raw and gzip -9 bytes of each file, and their sums. */
export function sizeOf(files) {
  const parts = files.map((file) => {
    const bytes = readFileSync(join(pkg, file));
    return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  return { files: parts, raw: parts.reduce((a, p) => a + p.raw, 0), gzip: parts.reduce((a, p) => a + p.gzip, 0) };
}
