// Partner scripts in a child Node process: they exit by themselves, and print no secret.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { withMock } from "./helpers.mjs";

function run(script, env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    // A script kept alive by a timer would run for the token's lifetime; stop it long before.
    const guard = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(guard);
      resolve({ code, output, ms: performance.now() - started });
    });
  });
}

for (const script of ["./fixtures/login-and-exit.mjs", "./fixtures/login-and-exit.cjs"]) {
  test(`${script.split("/").pop()} logs in and exits by itself in under a second`, async (t) => {
    const mock = await withMock(t);
    const result = await run(script, {
      MOCK_BASE_URL: mock.baseUrl,
      MOCK_CLIENT_ID: mock.clientId,
      MOCK_CLIENT_SECRET: mock.clientSecret,
    });
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /Milan, Rome, Venice/);
    assert.match(result.output, /"authenticated":true/);
    assert.equal(mock.counts.logins, 1);
    assert.ok(result.ms < 1000, `the script took ${Math.round(result.ms)} ms to exit`);
    for (const secret of [mock.clientSecret, ...mock.tokens]) {
      assert.ok(!result.output.includes(secret), "the script's output shows a secret or token");
    }
  });
}
