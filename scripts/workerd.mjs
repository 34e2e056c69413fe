// Runs examples/worker (or another worker) in real workerd through Miniflare, for the tests
// and the demo, built the way a partner builds it:
// `wrangler deploy --dry-run` bundles it with the package resolved through its `workerd`
// export condition and the .wasm kept as a compiled module.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const root = fileURLToPath(new URL("..", import.meta.url));
export const COMPATIBILITY_DATE = "2026-05-01";

/**
 * Bundles the worker whose wrangler.toml is in `dir` (examples/worker by default) into `out`
 * (a fresh temporary folder by default); returns `out`.
 */
export function buildWorker(dir = join(root, "examples/worker"), out = mkdtempSync(join(tmpdir(), "musement-worker-"))) {
  execFileSync(join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", out], {
    cwd: dir,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_LOG: "error" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (!readdirSync(out).some((f) => f.endsWith(".js"))) throw new Error(`wrangler wrote no bundle for ${dir}`);
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
 * One isolate of a bundled worker, pointed at `api` (the mock, or anything with `baseUrl`,
 * `clientId`, `clientSecret` and optionally `application`). Instances given the same
 * `kvPersist` folder share one KV namespace, as isolates across the edge share one.
 */
export async function startWorker(bundle, api, { kvPersist, vars = {}, port = 0 } = {}) {
  const mf = new Miniflare({
    scriptPath: join(bundle, "index.js"),
    modulesRoot: bundle,
    modules: true,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: COMPATIBILITY_DATE,
    host: "127.0.0.1",
    port,
    bindings: {
      MUSEMENT_BASE_URL: api.baseUrl,
      MUSEMENT_APPLICATION: api.application ?? "worker-tests",
      MUSEMENT_CLIENT_ID: api.clientId,
      MUSEMENT_CLIENT_SECRET: api.clientSecret,
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
