// Runs Node's test runner over the given files and folders, then scans everything the tests
// printed, and every error and object they exhibited (tests/node/helpers.mjs `exhibit`), for
// the secrets and tokens the mocks recorded in a ledger while the tests ran
// (tests/mock/musement-mock.mjs appends each client secret and each token it issues). Any hit
// fails the run; the hit itself is never printed.
//
//   node tests/run-node-tests.mjs tests/mock tests/node

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "musement-leaks-"));
const ledger = join(dir, "ledger.txt");
const exhibits = join(dir, "exhibits.txt");
writeFileSync(ledger, "");
writeFileSync(exhibits, "");

const output = [];
const child = spawn(process.execPath, ["--test", "--test-reporter=spec", ...process.argv.slice(2)], {
  env: { ...process.env, MUSEMENT_LEAK_LEDGER: ledger, MUSEMENT_EXHIBITS: exhibits },
  stdio: ["ignore", "pipe", "pipe"],
});
for (const [stream, sink] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
  stream.on("data", (chunk) => {
    output.push(chunk);
    sink.write(chunk);
  });
}
const code = await new Promise((resolve) => child.on("close", (c, signal) => resolve(c ?? (signal ? 1 : 0))));

const secrets = [...new Set(readFileSync(ledger, "utf8").split("\n").filter((s) => s.length >= 8))];
const exhibited = readFileSync(exhibits, "utf8");
rmSync(dir, { recursive: true, force: true });
const text = Buffer.concat(output).toString("utf8") + exhibited;
const hits = secrets.filter((s) => text.includes(s)).length;
if (secrets.length === 0) {
  console.error("leak scan: the ledger is empty, so the scan would prove nothing");
  process.exit(1);
}
if (hits > 0) {
  console.error(`leak scan: ${hits} of ${secrets.length} secrets and tokens appear in the test output`);
  process.exit(1);
}
console.log(
  `leak scan: ${secrets.length} secrets and tokens, 0 hits in ${text.length} characters of output and exhibits`,
);
process.exit(code);
