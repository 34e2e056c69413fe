// The package as a partner gets it: `npm pack`, installed into a scratch project, used by
// name with `import` and `require`, and bundled with esbuild into a file that runs on its own.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { withMock } from "./helpers.mjs";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const examples = join(root, "examples/node");
let scratch;

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), "musement-scratch-"));
  await run("npm", ["pack", join(root, "pkg"), "--pack-destination", scratch, "--silent"]);
  const [tarball] = readdirSync(scratch).filter((f) => f.endsWith(".tgz"));
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "scratch", private: true }));
  await run("npm", ["install", "--no-audit", "--no-fund", "--offline", `./${tarball}`], { cwd: scratch });
  for (const file of ["quickstart.mjs", "quickstart.cjs"]) copyFileSync(join(examples, file), join(scratch, file));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

function envFor(mock) {
  return {
    ...process.env,
    MUSEMENT_BASE_URL: mock.baseUrl,
    MUSEMENT_APPLICATION: "scratch-project",
    MUSEMENT_CLIENT_ID: mock.clientId,
    MUSEMENT_CLIENT_SECRET: mock.clientSecret,
  };
}

async function node(script, mock, cwd = scratch) {
  const { stdout, stderr } = await run(process.execPath, [script], { cwd, env: envFor(mock), timeout: 10_000 });
  return stdout + stderr;
}

test("the tarball has every entry and no stray file", async () => {
  const { stdout } = await run("npm", ["pack", join(root, "pkg"), "--dry-run", "--json"]);
  const files = JSON.parse(stdout)[0].files.map((f) => f.path).sort();
  for (const entry of ["package.json", "index.d.ts", "node.mjs", "node.cjs", "node-wasm.mjs", "workerd.mjs", "browser.mjs", "web/musement_auth.js", "web/musement_auth_bg.wasm"]) {
    assert.ok(files.includes(entry), `missing ${entry}`);
  }
  assert.ok(!files.some((f) => f.includes(".rs") || f.includes("node_modules")));
});

test("import by name, in the scratch project", async (t) => {
  const mock = await withMock(t);
  const output = await node("quickstart.mjs", mock);
  assert.match(output, /Colosseum, Roman Forum/);
  assert.match(output, /token valid until \d{4}-/);
  assert.equal(mock.counts.logins, 1);
  assert.equal(mock.requests.find((r) => r.path === "/activities").headers["x-musement-currency"], "EUR");
});

test("require by name, in the scratch project", async (t) => {
  const mock = await withMock(t);
  const output = await node("quickstart.cjs", mock);
  assert.match(output, /Milan\nRome\nVenice/);
  assert.match(output, /logins so far: 1/);
});

test("an esbuild bundle runs on its own, away from node_modules", async (t) => {
  const mock = await withMock(t);
  const esbuild = join(root, "node_modules/.bin/esbuild");
  const deploy = join(scratch, "deploy");
  mkdirSync(deploy);
  await run(esbuild, ["quickstart.mjs", "--bundle", "--platform=node", "--format=esm", `--outfile=${join(deploy, "app.mjs")}`, "--log-level=warning"], { cwd: scratch });
  await run(esbuild, ["quickstart.cjs", "--bundle", "--platform=node", "--format=cjs", `--outfile=${join(deploy, "app.cjs")}`, "--log-level=warning"], { cwd: scratch });
  const isolated = mkdtempSync(join(tmpdir(), "musement-deploy-"));
  t.after(() => rmSync(isolated, { recursive: true, force: true }));
  for (const file of ["app.mjs", "app.cjs"]) copyFileSync(join(deploy, file), join(isolated, file));
  assert.match(await node("app.mjs", mock, isolated), /Colosseum, Roman Forum/);
  assert.match(await node("app.cjs", mock, isolated), /Milan\nRome/);
  assert.equal(mock.counts.logins, 2);
});
