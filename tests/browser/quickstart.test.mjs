// The browser quick start (examples/browser) in headless Chromium: the package's browser entry
// reads the public catalog from the mock across origins, and refuses a secret in the page.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { startMock } from "../mock/musement-mock.mjs";
import { startStaticServer } from "../../scripts/static-server.mjs";
import { launch } from "./chromium.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
let browser, site, mock;

before(async () => {
  mock = await startMock({ publicCatalog: true });
  site = await startStaticServer({ "/pkg/": `${root}pkg`, "/": `${root}examples/browser` });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await site?.close();
  await mock?.close();
});

test("the quick start page lists cities from the public catalog", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${site.url}/?api=${encodeURIComponent(mock.baseUrl)}`);
  await page.waitForSelector("#cities li");
  assert.deepEqual(await page.locator("#cities li").allTextContents(), ["Milan", "Rome", "Venice", "Florence", "Paris"]);
  assert.deepEqual(errors, []);
  const [read] = mock.requests.filter((r) => r.path === "/cities" && r.method === "GET");
  assert.equal(read.headers["x-musement-application"], "my-application");
  assert.equal(read.headers.authorization, undefined);
  assert.equal(mock.counts.loginAttempts, 0);
  await page.close();
});

test("a page that passes a clientSecret gets browser_secret", async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/?api=${encodeURIComponent(mock.baseUrl)}`);
  const outcome = await page.evaluate(async (baseUrl) => {
    const { MusementClient, MusementError } = await import("musement-auth");
    const options = { baseUrl, application: "a", clientId: "id", clientSecret: "page-secret-value" };
    try {
      new MusementClient(options);
      return { thrown: false };
    } catch (error) {
      const allowed = new MusementClient({ ...options, dangerouslyAllowBrowser: true });
      return {
        thrown: true,
        isMusementError: error instanceof MusementError,
        code: error.code,
        leaks: error.message.includes("page-secret-value"),
        allowed: allowed instanceof MusementClient,
      };
    }
  }, mock.baseUrl);
  assert.deepEqual(outcome, { thrown: true, isMusementError: true, code: "browser_secret", leaks: false, allowed: true });
  await page.close();
});
