// The demo page in headless Chromium against the whole local stack: the mock API, the example
// worker in workerd and the static server, as `make demo` starts them.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { startDemo } from "../../scripts/demo.mjs";
import { launch } from "./chromium.mjs";

const docs = fileURLToPath(new URL("../../docs/", import.meta.url));
let demo, browser, page;
const requests = [];
const bodies = [];

before(async () => {
  demo = await startDemo();
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("request", (request) => requests.push(request));
  page.on("response", async (response) => {
    const type = response.request().resourceType();
    if (["document", "script", "fetch", "xhr", "stylesheet"].includes(type)) {
      bodies.push(await response.text().catch(() => ""));
    }
  });
  await page.goto(demo.url);
  await page.waitForSelector("body[data-ready=true]");
});
after(async () => {
  await browser?.close();
  await demo?.close();
});

const logins = async () => Number(await page.locator("#logins").textContent());

test("the page reads cities straight from the API and activities through the worker", async () => {
  const cities = await page.locator("#cities li").allTextContents();
  assert.ok(cities.includes("Rome") && cities.length === 8, cities.join());
  assert.equal(await page.locator("#activities li").count(), 6);
  assert.match(await page.locator("#activities").textContent(), /Colosseum/);
  assert.equal(demo.mock.counts.logins, 1);
  assert.equal(await logins(), 1);
  // The direct read carried the application header and nothing else of the client's.
  const direct = demo.mock.requests.find((r) => r.path === "/cities" && r.method === "GET" && !r.headers.authorization);
  assert.equal(direct.headers["x-musement-application"], "musement-auth-demo");
});

test("expiring the token costs exactly one login on the next fetch", async () => {
  const before = demo.mock.counts.logins;
  await page.click("#expire");
  await page.locator("#log li", { hasText: "revoked" }).waitFor();
  await page.click("#fetch");
  await page.locator("#log li", { hasText: "it logged in once" }).waitFor();
  assert.equal(demo.mock.counts.logins, before + 1);
  assert.equal(await logins(), before + 1);
  assert.equal(await page.locator("#activities li").count(), 6);
});

test("20 parallel requests all succeed with no extra login", async () => {
  const before = demo.mock.counts.logins;
  await page.click("#parallel");
  await page.locator("#parallel-result", { hasText: "succeeded" }).waitFor();
  assert.equal(await page.locator("#parallel-result").textContent(), "20 of 20 succeeded; logins +0");
  assert.equal(demo.mock.counts.logins, before);
});

test("API errors read as messages with their code", async () => {
  await page.click("#missing");
  const message = page.locator("#log li.error", { hasText: "missing activity" });
  await message.waitFor();
  assert.match(await message.textContent(), /404 \(HTTP 404\): Not found/);
});

test("the timeline draws each token, and the page never held a secret or a token", async () => {
  await page.waitForFunction(() => document.querySelectorAll("#timeline .lane").length >= 2);
  assert.ok((await page.locator("#timeline .mark").count()) >= 1, "a refresh is marked");
  const secrets = [demo.mock.clientSecret, ...demo.mock.tokens];
  assert.ok(demo.mock.tokens.length >= 2);
  for (const request of requests) {
    const headers = await request.allHeaders();
    assert.equal(headers.authorization, undefined, `${request.url()} carried Authorization`);
    const sent = request.url() + (request.postData() ?? "");
    assert.ok(!sent.includes("client_secret") && !secrets.some((s) => sent.includes(s)), `${request.url()} carried a secret`);
  }
  const seen = [await page.content(), ...bodies];
  assert.ok(bodies.length > 5);
  for (const text of seen) assert.ok(!secrets.some((s) => text.includes(s)), "the page saw a secret or a token");
});

test("screenshots at 1280×800 and at a phone's width", async () => {
  await page.screenshot({ path: `${docs}demo.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone`);
  await page.screenshot({ path: `${docs}demo-phone.png`, fullPage: true });
});
