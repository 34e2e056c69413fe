// Starts the mock Musement API, runs a command with its address in the environment, and
// stops the mock when the command ends (the mock never outlives it):
//
//   node tests/with-mock.mjs [--public-catalog] -- wasm-pack test --node
//
// The command sees MUSEMENT_MOCK_BASE_URL, MUSEMENT_MOCK_CLIENT_ID and
// MUSEMENT_MOCK_CLIENT_SECRET.

import { spawn } from "node:child_process";
import { startMock } from "./mock/musement-mock.mjs";

const args = process.argv.slice(2);
const split = args.indexOf("--");
if (split < 0 || split === args.length - 1) {
  console.error("usage: node tests/with-mock.mjs [--public-catalog] -- command [args…]");
  process.exit(2);
}
const flags = args.slice(0, split);
const [command, ...rest] = args.slice(split + 1);

const mock = await startMock({ publicCatalog: flags.includes("--public-catalog") });
const child = spawn(command, rest, {
  stdio: "inherit",
  env: {
    ...process.env,
    MUSEMENT_MOCK_BASE_URL: mock.baseUrl,
    MUSEMENT_MOCK_CLIENT_ID: mock.clientId,
    MUSEMENT_MOCK_CLIENT_SECRET: mock.clientSecret,
  },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
const code = await new Promise((resolve) => {
  child.on("error", (error) => {
    console.error(`with-mock: cannot run ${command}: ${error.message}`);
    resolve(127);
  });
  child.on("close", (c, signal) => resolve(c ?? (signal ? 1 : 0)));
});
await mock.close();
process.exit(code);
