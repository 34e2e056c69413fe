// `make bench`: what the package costs a partner, measured side by side with a hand-written
// plain-JS client (bench/baseline.mjs) in the same run. Prints one table and writes
// bench/results.json.
//
//   node bench/run.mjs [--quick]     (--quick: fewer rounds, for a smoke run)

import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MusementClient } from "musement-auth";
import { buildWorker, removeFolder, startWorker } from "../scripts/workerd.mjs";
import { PlainClient } from "./baseline.mjs";
import { entries, sizeOf, WORKERS_BUDGET_BYTES } from "./size.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const quick = process.argv.includes("--quick");
const STARTS = quick ? 5 : 30;
const results = { machine: machine(), size: {}, coldStart: {}, perCall: {}, loopback: {}, singleFlight: {} };

function machine() {
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

// --- size ----------------------------------------------------------------------------------------

function measureSize() {
  for (const [runtime, files] of Object.entries(entries())) results.size[runtime] = sizeOf(files);
  const [packed] = JSON.parse(execFileSync("npm", ["pack", join(root, "pkg"), "--dry-run", "--json"], { encoding: "utf8" }));
  results.size.tarball = { gzip: packed.size, unpacked: packed.unpackedSize, files: packed.entryCount };
}

// --- cold start ----------------------------------------------------------------------------------

function nodeColdStart(which) {
  const samples = [];
  for (let i = 0; i < STARTS; i++) {
    const out = execFileSync(process.execPath, [join(root, "bench/cold-start.mjs"), which], { encoding: "utf8" });
    samples.push(Number(out.trim()));
  }
  return median(samples);
}

async function workerdColdStart(which) {
  const bundle = buildWorker(join(root, "bench/workers", which));
  const api = { baseUrl: "https://api.example.test/api/v3", clientId: "bench-id", clientSecret: "bench-secret" };
  const samples = [];
  try {
    for (let i = 0; i < STARTS; i++) {
      const started = performance.now();
      const mf = await startWorker(bundle, api);
      const response = await mf.dispatchFetch("http://bench.test/");
      if (!(await response.json()).ok) throw new Error(`${which} worker failed`);
      samples.push(performance.now() - started);
      await mf.dispose();
    }
  } finally {
    removeFolder(bundle);
  }
  return median(samples);
}

async function measureColdStart() {
  const node = { package: nodeColdStart("package"), baseline: nodeColdStart("baseline") };
  results.coldStart.node = { ...node, extraMs: node.package - node.baseline };
  const workerd = { package: await workerdColdStart("package"), baseline: await workerdColdStart("baseline") };
  results.coldStart.workerd = { ...workerd, extraMs: workerd.package - workerd.baseline };
}

// --- per-call overhead ---------------------------------------------------------------------------

/** A fetch that answers at once: a token for /login, an empty 200 for anything else. */
function stubFetch() {
  const login = JSON.stringify({ access_token: "stub-token", expires_in: 3600, token_type: "bearer", scope: null });
  return (input) =>
    Promise.resolve(String(input).endsWith("/login") ? new Response(login) : new Response(null, { status: 200 }));
}

const options = (extra) => ({
  baseUrl: "https://api.example.test/api/v3",
  application: "bench",
  clientId: "bench-id",
  clientSecret: "bench-secret",
  ...extra,
});

async function callsPerSecond(client, calls) {
  const started = performance.now();
  for (let i = 0; i < calls; i++) await client.fetch("/activities?limit=1");
  return calls / ((performance.now() - started) / 1000);
}

async function measurePerCall() {
  const pkg = new MusementClient(options({ fetch: stubFetch() }));
  const plain = new PlainClient(options({ fetch: stubFetch() }));
  // Not the baseline, but it shows what the package's per-attempt timeout alone costs.
  const timed = new PlainClient(options({ fetch: stubFetch(), timeoutMs: 10_000 }));
  const calls = quick ? 2_000 : 20_000;
  for (const client of [pkg, plain, timed]) await callsPerSecond(client, 2_000);
  const rounds = { package: [], baseline: [], timed: [] };
  for (let round = 0; round < (quick ? 2 : 5); round++) {
    rounds.package.push(await callsPerSecond(pkg, calls));
    rounds.baseline.push(await callsPerSecond(plain, calls));
    rounds.timed.push(await callsPerSecond(timed, calls));
  }
  const packagePerSecond = median(rounds.package);
  const baselinePerSecond = median(rounds.baseline);
  const timedPerSecond = median(rounds.timed);
  results.perCall = {
    package: packagePerSecond,
    baseline: baselinePerSecond,
    baselineWithTimeout: timedPerSecond,
    packageMicros: 1e6 / packagePerSecond,
    baselineMicros: 1e6 / baselinePerSecond,
    ratio: baselinePerSecond / packagePerSecond,
    ratioToBaselineWithTimeout: timedPerSecond / packagePerSecond,
  };
  pkg.dispose();
}

// --- loopback throughput and single flight -------------------------------------------------------

async function startMockProcess() {
  const child = spawn(process.execPath, [join(root, "tests/mock/musement-mock.mjs"), "--port", "0", "--ttl", "600", "--exit-with-stdin"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const line = await new Promise((resolve, reject) => {
    child.stdout.once("data", (d) => resolve(String(d)));
    child.once("exit", (code) => reject(new Error(`the mock exited with ${code}`)));
  });
  const { baseUrl } = JSON.parse(line);
  const control = (path, body) =>
    fetch(new URL(`/__mock/${path}`, baseUrl), { method: body ? "POST" : "GET", body: body && JSON.stringify(body) }).then((r) => r.json());
  return { baseUrl, control, stop: () => child.stdin.end() };
}

async function throughput(client, calls, concurrency) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        next += 1;
        await client.json("/cities?limit=2");
      }
    }),
  );
  return calls / ((performance.now() - started) / 1000);
}

async function measureLoopback(mock) {
  const { clientId, clientSecret } = { clientId: "test-client-id", clientSecret: "test-secret-s3cr3t-value" };
  const make = (Client) => new Client({ baseUrl: mock.baseUrl, application: "bench", clientId, clientSecret });
  const pkg = make(MusementClient);
  const plain = make(PlainClient);
  const timed = new PlainClient({ baseUrl: mock.baseUrl, application: "bench", clientId, clientSecret, timeoutMs: 10_000 });
  const calls = quick ? 2_000 : 10_000;
  for (const client of [pkg, plain, timed]) await throughput(client, 500, 50);
  const rounds = { package: [], baseline: [], timed: [] };
  for (let round = 0; round < (quick ? 1 : 3); round++) {
    rounds.package.push(await throughput(pkg, calls, 50));
    rounds.baseline.push(await throughput(plain, calls, 50));
    rounds.timed.push(await throughput(timed, calls, 50));
  }
  results.loopback = {
    calls,
    concurrency: 50,
    package: median(rounds.package),
    baseline: median(rounds.baseline),
    baselineWithTimeout: median(rounds.timed),
  };
  results.loopback.ratio = results.loopback.package / results.loopback.baseline;
  results.loopback.ratioToBaselineWithTimeout = results.loopback.package / results.loopback.baselineWithTimeout;
  pkg.dispose();

  for (const [name, Client] of [["package", MusementClient], ["baseline", PlainClient]]) {
    const client = make(Client);
    const before = (await mock.control("state")).logins;
    await Promise.all(Array.from({ length: 1000 }, () => client.json("/cities?limit=1")));
    results.singleFlight[name] = (await mock.control("state")).logins - before;
  }
}

// --- the table -----------------------------------------------------------------------------------

function table() {
  const r = results;
  const rows = [
    ["size", "Workers: .wasm + glue (gzip -9)", `${kib(r.size.workers.gzip)} (raw ${kib(r.size.workers.raw)})`, `target 30 KiB; make test budget ${kib(WORKERS_BUDGET_BYTES)}`],
    ["size", "browser: .wasm + glue (gzip -9)", `${kib(r.size.browser.gzip)} (raw ${kib(r.size.browser.raw)})`, ""],
    ["size", "Node: inline .wasm + glue (gzip -9)", `${kib(r.size.node.gzip)} (raw ${kib(r.size.node.raw)})`, ""],
    ["size", "npm tarball", `${kib(r.size.tarball.gzip)} (unpacked ${kib(r.size.tarball.unpacked)})`, ""],
    ["cold start", "Node: import + construct (median)", `${r.coldStart.node.package.toFixed(2)} ms`, `baseline ${r.coldStart.node.baseline.toFixed(2)} ms`],
    ["cold start", "workerd: start + first request (median)", `${r.coldStart.workerd.package.toFixed(0)} ms`, `baseline ${r.coldStart.workerd.baseline.toFixed(0)} ms (+${r.coldStart.workerd.extraMs.toFixed(1)} ms)`],
    ["per call", "fetch() through a stub fetch", `${(r.perCall.package / 1000).toFixed(1)} k/s (${r.perCall.packageMicros.toFixed(2)} µs)`, `baseline ${(r.perCall.baseline / 1000).toFixed(1)} k/s (${r.perCall.baselineMicros.toFixed(2)} µs); ratio ${r.perCall.ratio.toFixed(2)} (target ≤ 1.5)`],
    ["", "  the same, baseline with a timeout", "", `baseline+timeout ${(r.perCall.baselineWithTimeout / 1000).toFixed(1)} k/s; ratio ${r.perCall.ratioToBaselineWithTimeout.toFixed(2)}`],
    ["loopback", `${r.loopback.calls} json() at concurrency 50`, `${r.loopback.package.toFixed(0)} /s`, `baseline ${r.loopback.baseline.toFixed(0)} /s; ratio ${r.loopback.ratio.toFixed(2)} (target ≥ 0.95)`],
    ["", "  the same, baseline with a timeout", "", `baseline+timeout ${r.loopback.baselineWithTimeout.toFixed(0)} /s; ratio ${r.loopback.ratioToBaselineWithTimeout.toFixed(2)}`],
    ["single flight", "logins under 1,000 cold calls", String(r.singleFlight.package), `baseline ${r.singleFlight.baseline}`],
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd();
  return [line(["what", "measure", "musement-auth", "plain JS / target"]), ...rows.map(line)].join("\n");
}

measureSize();
await measureColdStart();
await measurePerCall();
const mock = await startMockProcess();
try {
  await measureLoopback(mock);
} finally {
  mock.stop();
}
const { cpu, cores, memoryGiB, node, platform } = results.machine;
console.log(`\nmusement-auth benchmarks on ${cpu}, ${cores} cores, ${memoryGiB} GiB, Node ${node}, ${platform}\n`);
console.log(table());
writeFileSync(join(root, "bench/results.json"), JSON.stringify(results, null, 2) + "\n");
console.log("\nwritten to bench/results.json");
