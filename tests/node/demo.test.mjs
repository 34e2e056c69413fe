// `make demo`'s server as a user runs it: it serves quickly, and Ctrl-C leaves nothing behind.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../../scripts/demo.mjs", import.meta.url));

/** Every live descendant of `pid`, from /proc. */
function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {}
  }
  const found = [];
  const walk = (p) => (children.get(p) ?? []).forEach((c) => (found.push(c), walk(c)));
  walk(pid);
  return found;
}

/** Whether `pid` still runs (a zombie, already exited and waiting to be reaped, does not). */
const alive = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
};

test("the demo serves within a minute and stops cleanly on Ctrl-C", async () => {
  const started = Date.now();
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, MUSEMENT_BASE_URL: "", MUSEMENT_CLIENT_SECRET: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL after 60 s: ${output}`)), 60_000);
    child.stdout.on("data", (d) => {
      output += d;
      const match = /demo: (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.stderr.on("data", (d) => (output += d));
    child.on("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
  assert.ok(Date.now() - started < 60_000);
  const page = await fetch(url);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /musement-auth/);
  const workerUrl = /worker \((http:\/\/127\.0\.0\.1:\d+)\)/.exec(output)[1];
  assert.equal((await fetch(`${workerUrl}/cities?limit=1`)).status, 200);

  const family = descendants(child.pid);
  assert.ok(family.length >= 1, "workerd runs as a child of the demo");
  const code = await new Promise((resolve) => {
    child.on("exit", (c, signal) => resolve(c ?? signal));
    child.kill("SIGINT");
  });
  // 130 is the conventional status after Ctrl-C (Miniflare exits with it once workerd is down).
  assert.ok(code === 0 || code === 130, `exit status ${code}`);
  // workerd may take a moment to go after its parent; give it up to two seconds.
  for (let i = 0; i < 20 && family.some(alive); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(family.filter(alive), [], "processes left behind");
  await assert.rejects(fetch(url), "the page server still answers");
  await assert.rejects(fetch(`${workerUrl}/status`), "the worker still answers");
});
