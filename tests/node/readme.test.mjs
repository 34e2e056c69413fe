// The README's quick starts are the files the tests run, word for word.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

test("every included block of the README matches its file", () => {
  const readme = readFileSync(`${root}README.md`, "utf8");
  const blocks = [...readme.matchAll(/<!-- include: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)];
  const paths = blocks.map(([, path]) => path);
  for (const required of ["examples/worker/wrangler.toml", "examples/worker/src/index.mjs", "examples/node/quickstart.mjs", "examples/node/quickstart.cjs", "examples/browser/index.html", "examples/browser/catalog.mjs"]) {
    assert.ok(paths.includes(required), `the README does not include ${required}`);
  }
  for (const [, path, body] of blocks) {
    assert.equal(body, readFileSync(`${root}${path}`, "utf8").trimEnd(), `the README's copy of ${path} is stale`);
  }
});
