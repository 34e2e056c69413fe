// Refreshes the README's included blocks (`<!-- include: path -->` + a fenced block) from the
// files they show. tests/node/readme.test.mjs fails when they drift.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const readme = readFileSync(`${root}README.md`, "utf8");
const updated = readme.replace(
  /(<!-- include: (\S+) -->\n```\w*\n)[\s\S]*?(\n```)/g,
  (_, head, path, tail) => head + readFileSync(`${root}${path}`, "utf8").trimEnd() + tail,
);
writeFileSync(`${root}README.md`, updated);
console.log(updated === readme ? "README.md is up to date" : "README.md updated");
