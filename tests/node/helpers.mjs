// Shared by the Node end-to-end tests: the built package, the mock, and the leak ledger.

import { appendFileSync } from "node:fs";
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

/** The rejection of `promise` (fails when it resolves). */
export async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}
