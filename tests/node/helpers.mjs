// Shared by the Node end-to-end tests: the built package, the mock, and the leak ledger.

import { appendFileSync } from "node:fs";
import { inspect } from "node:util";
import { startMock } from "../mock/musement-mock.mjs";

export { MusementClient, MusementError } from "musement-auth";

/**
 * Starts a mock for one test and closes it afterwards. (Under tests/run-node-tests.mjs the
 * mock writes its secret and every token it issues to the ledger the runner scans the whole
 * output against.)
 */
export async function withMock(t, options = {}) {
  const mock = await startMock(options);
  t.after(() => mock.close());
  return mock;
}

/** Adds values that must never appear in the output to the leak ledger. */
export function record(...secrets) {
  const ledger = process.env.MUSEMENT_LEAK_LEDGER;
  if (ledger && secrets.length) appendFileSync(ledger, secrets.map((s) => s + "\n").join(""));
}

/** Options for a client of `mock`. */
export function optionsFor(mock, extra = {}) {
  return {
    baseUrl: mock.baseUrl,
    application: "e2e-tests",
    clientId: mock.clientId,
    clientSecret: mock.clientSecret,
    ...extra,
  };
}

/** The requests the mock received on `path`, preflights left out. */
export function requestsTo(mock, path) {
  return mock.requests.filter((r) => r.path === path && r.method !== "OPTIONS");
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Hands `values` (errors, clients, anything a partner might print) to the leak scan: under
 * tests/run-node-tests.mjs every way of printing them is written to a file that is scanned,
 * with the test output, for every secret and token the mocks issued.
 */
export function exhibit(...values) {
  const file = process.env.MUSEMENT_EXHIBITS;
  if (!file) return;
  const renderings = values.flatMap((value) => [
    String(value),
    JSON.stringify(value) ?? "undefined",
    inspect(value, { showHidden: true, depth: 6 }),
    value instanceof Error ? value.stack ?? "" : "",
  ]);
  appendFileSync(file, renderings.join("\n") + "\n");
}

/** The rejection of `promise` (fails when it resolves); the error goes to the leak scan. */
export async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    exhibit(error);
    return error;
  }
  throw new Error("expected a rejection");
}
