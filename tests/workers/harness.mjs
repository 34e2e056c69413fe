// Runs examples/worker in real workerd through Miniflare, built the way a partner builds it:
// `wrangler deploy --dry-run` bundles it with the package resolved through its `workerd`
// export condition and the .wasm kept as a compiled module.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const COMPATIBILITY_DATE = "2026-05-01";

/** Bundles the worker whose wrangler.toml is in `dir` (examples/worker by default). */
export function buildWorker(dir = join(root, "examples/worker")) {
  const out = mkdtempSync(join(tmpdir(), "musement-worker-"));
  execFileSync(join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", out], {
    cwd: dir,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_LOG: "error" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (!readdirSync(out).some((f) => f.endsWith(".wasm"))) throw new Error("the bundle has no .wasm module");
  return out;
}

/** A temporary folder for a KV store that several Miniflare instances share. */
export function kvFolder() {
  return mkdtempSync(join(tmpdir(), "musement-kv-"));
}

export function removeFolder(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * One isolate of the example worker, pointed at `mock`. Instances given the same
 * `kvPersist` folder share one KV namespace, as isolates across the edge share one.
 */
export async function startWorker(bundle, mock, { kvPersist, vars = {} } = {}) {
  const mf = new Miniflare({
    scriptPath: join(bundle, "index.js"),
    modulesRoot: bundle,
    modules: true,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: COMPATIBILITY_DATE,
    host: "127.0.0.1",
    port: 0,
    bindings: {
      MUSEMENT_BASE_URL: mock.baseUrl,
      MUSEMENT_APPLICATION: "worker-tests",
      MUSEMENT_CLIENT_ID: mock.clientId,
      MUSEMENT_CLIENT_SECRET: mock.clientSecret,
      ...vars,
    },
    kvNamespaces: ["MUSEMENT_TOKENS"],
    kvPersist: kvPersist ?? false,
  });
  await mf.ready;
  return mf;
}

/** GET `path` from the worker; resolves to { status, body } (body parsed when JSON). */
export async function get(mf, path, init) {
  const response = await mf.dispatchFetch(`http://worker.test${path}`, init);
  const text = await response.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body };
}
