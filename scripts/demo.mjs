// `make demo`: the mock Musement API, the example worker in local workerd (holding the demo
// credentials) and the www/ page, all on 127.0.0.1. Ctrl-C stops all three.
//
// With MUSEMENT_BASE_URL, MUSEMENT_APPLICATION, MUSEMENT_CLIENT_ID and MUSEMENT_CLIENT_SECRET
// in the environment, the worker talks to that API instead of the mock.

import { fileURLToPath, pathToFileURL } from "node:url";
import { startMock } from "../tests/mock/musement-mock.mjs";
import { startStaticServer } from "./static-server.mjs";
import { buildWorker, startWorker } from "./workerd.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const REAL = ["MUSEMENT_BASE_URL", "MUSEMENT_APPLICATION", "MUSEMENT_CLIENT_ID", "MUSEMENT_CLIENT_SECRET"];

/** Starts the three servers; resolves to { url, workerUrl, mock, close() }. */
export async function startDemo({ env = process.env, port = 0, expiresIn = 60, margin = 10 } = {}) {
  const real = REAL.every((name) => env[name]);
  const mock = real ? null : await startMock({ publicCatalog: true, expiresIn });
  const api = real
    ? {
        baseUrl: env.MUSEMENT_BASE_URL,
        application: env.MUSEMENT_APPLICATION,
        clientId: env.MUSEMENT_CLIENT_ID,
        clientSecret: env.MUSEMENT_CLIENT_SECRET,
      }
    : { baseUrl: mock.baseUrl, application: "musement-auth-demo", clientId: mock.clientId, clientSecret: mock.clientSecret };

  // What the page learns about the set-up: addresses only, never a credential.
  let config;
  const site = await startStaticServer(
    { "/pkg/": `${root}pkg`, "/": `${root}www` },
    { port, json: { "/config.json": () => config } },
  );
  const bundle = buildWorker(undefined, `${root}target/demo-worker`);
  const worker = await startWorker(bundle, api, {
    vars: { ALLOWED_ORIGIN: site.url, MUSEMENT_REFRESH_MARGIN_SECONDS: String(margin) },
  });
  const workerUrl = String(await worker.ready).replace(/\/$/, "");
  config = {
    workerUrl,
    catalog: { baseUrl: api.baseUrl, application: api.application },
    mockUrl: mock?.url ?? null,
  };

  let closing;
  return {
    url: site.url,
    workerUrl,
    mock,
    close: () =>
      (closing ??= Promise.allSettled([site.close(), worker.dispose(), mock?.close()])),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const demo = await startDemo({ port: Number(process.env.DEMO_PORT ?? 0) });
  const against = demo.mock ? "a local mock of the Musement API" : process.env.MUSEMENT_BASE_URL;
  console.log(`\n  musement-auth demo: ${demo.url}\n\n  The worker (${demo.workerUrl}) holds the credentials and talks to ${against}.\n  Press Ctrl-C to stop.\n`);
  // Miniflare also stops workerd on these signals (and exits 130 on Ctrl-C).
  const stop = async () => {
    await demo.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
