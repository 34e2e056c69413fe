// The package in real Node against the mock over real HTTP on 127.0.0.1.

import assert from "node:assert/strict";
import http from "node:http";
import { test } from "node:test";
import {
  MusementClient,
  MusementError,
  optionsFor,
  rejection,
  requestsTo,
  sleep,
  withMock,
} from "./helpers.mjs";

test("login() is a POST with the exact JSON body and headers", async (t) => {
  const mock = await withMock(t);
  const client = new MusementClient(optionsFor(mock, { version: "3.5.0" }));
  const info = await client.login();
  const [login] = requestsTo(mock, "/login");
  assert.equal(login.method, "POST");
  assert.deepEqual(JSON.parse(login.body), {
    client_id: mock.clientId,
    client_secret: mock.clientSecret,
    grant_type: "client_credentials",
  });
  assert.equal(login.headers["content-type"], "application/json");
  assert.equal(login.headers["accept"], "application/json");
  assert.equal(login.headers["x-musement-application"], "e2e-tests");
  assert.equal(login.headers["x-musement-version"], "3.5.0");
  assert.equal(login.headers["authorization"], undefined);
  assert.deepEqual(Object.keys(info).sort(), ["expiresAt", "expiresIn", "scope", "tokenType"]);
  assert.equal(info.expiresIn, 3600);
  assert.equal(info.tokenType, "bearer");
  assert.equal(info.scope, null);
  assert.ok(Math.abs(info.expiresAt - (Date.now() + 3600_000)) < 5_000);
  assert.deepEqual(client.tokenInfo, info);
  assert.deepEqual(client.stats, { logins: 1, retries: 0, cacheHits: 0 });
  // login() always logs in, even with a valid token.
  await client.login();
  assert.equal(mock.counts.logins, 2);
});

test("every API request carries the Musement headers and the bearer token", async (t) => {
  const mock = await withMock(t);
  const client = new MusementClient(
    optionsFor(mock, { language: "en-US", currency: "EUR", market: "us" }),
  );
  const activities = await client.json("/activities?limit=2");
  assert.equal(activities.length, 2);
  const cities = await client.json("cities");
  assert.ok(cities.some((c) => c.name === "Rome"));
  const response = await client.fetch(`${mock.baseUrl}/categories`);
  assert.ok(response instanceof Response);
  assert.equal(response.status, 200);
  assert.ok(Array.isArray(await response.json()));
  const request = new Request(`${mock.baseUrl}/countries`, { headers: { "x-extra": "1" } });
  assert.equal((await client.fetch(request)).status, 200);

  const [token] = mock.tokens;
  const api = mock.requests.filter((r) => r.path !== "/login");
  assert.deepEqual(
    api.map((r) => r.path + r.query),
    ["/activities?limit=2", "/cities", "/categories", "/countries"],
  );
  for (const r of api) {
    assert.equal(r.headers["x-musement-application"], "e2e-tests");
    assert.equal(r.headers["x-musement-version"], "3.4.0");
    assert.equal(r.headers["accept-language"], "en-US");
    assert.equal(r.headers["x-musement-currency"], "EUR");
    assert.equal(r.headers["x-musement-market"], "us");
    assert.equal(r.headers["authorization"], `Bearer ${token}`);
  }
  assert.equal(api[3].headers["x-extra"], "1");
  assert.equal(mock.counts.logins, 1);
});

test("the caller's headers win, except Authorization, which only the client sets", async (t) => {
  const mock = await withMock(t);
  const client = new MusementClient(optionsFor(mock, { currency: "EUR" }));
  const headers = new Headers({ "X-Musement-Currency": "GBP", Authorization: "Bearer forged" });
  await client.json("/cities", { headers });
  const [r] = requestsTo(mock, "/cities");
  assert.equal(r.headers["x-musement-currency"], "GBP");
  assert.equal(r.headers["authorization"], `Bearer ${mock.tokens[0]}`);
  // The caller's object is left as it was.
  assert.equal(headers.get("authorization"), "Bearer forged");
});

test("50 concurrent json() calls on a cold client make exactly one login", async (t) => {
  const mock = await withMock(t, { latencyMs: 20 });
  const client = new MusementClient(optionsFor(mock));
  const results = await Promise.all(Array.from({ length: 50 }, () => client.json("/cities")));
  assert.equal(results.length, 50);
  assert.ok(results.every((r) => Array.isArray(r) && r.length > 0));
  assert.equal(mock.counts.loginAttempts, 1);
  assert.equal(client.stats.logins, 1);
  const auth = new Set(requestsTo(mock, "/cities").map((r) => r.headers.authorization));
  assert.deepEqual([...auth], [`Bearer ${mock.tokens[0]}`]);
});

test("expires_in 3 s with a 1 s margin: 1.3 s reuses the token, 2.3 s logs in again", async (t) => {
  const mock = await withMock(t, { expiresIn: 3 });
  const client = new MusementClient(optionsFor(mock, { refreshMarginSeconds: 1 }));
  const started = Date.now();
  await client.json("/cities");
  await sleep(1300 - (Date.now() - started));
  await client.json("/cities");
  assert.equal(mock.counts.logins, 1);
  await sleep(2300 - (Date.now() - started));
  await client.json("/cities");
  assert.equal(mock.counts.logins, 2);
  const auth = requestsTo(mock, "/cities").map((r) => r.headers.authorization);
  assert.deepEqual(auth, [mock.tokens[0], mock.tokens[0], mock.tokens[1]].map((t) => `Bearer ${t}`));
});

test("an idle client drops its token when the timer fires", async (t) => {
  const mock = await withMock(t, { expiresIn: 2 });
  const client = new MusementClient(optionsFor(mock, { refreshMarginSeconds: 1 }));
  await client.login();
  assert.ok(client.tokenInfo);
  await sleep(1100);
  assert.equal(client.tokenInfo, undefined);
});

test("a revoked token costs one re-login and the call succeeds", async (t) => {
  const mock = await withMock(t);
  const client = new MusementClient(optionsFor(mock));
  await client.json("/cities");
  mock.revokeAll();
  const cities = await client.json("/cities");
  assert.ok(cities.length > 0);
  assert.equal(mock.counts.logins, 2);
  assert.equal(mock.counts.unauthorized, 1);
  const auth = requestsTo(mock, "/cities").map((r) => r.headers.authorization);
  assert.deepEqual(auth, [mock.tokens[0], mock.tokens[0], mock.tokens[1]].map((t) => `Bearer ${t}`));
});

test("a second 401 after the fresh login is unauthorized", async (t) => {
  const mock = await withMock(t);
  const client = new MusementClient(optionsFor(mock));
  await client.login();
  mock.fault({ route: "api", mode: "status", status: 401, count: 2 });
  const error = await rejection(client.json("/cities"));
  assert.ok(error instanceof MusementError);
  assert.equal(error.code, "unauthorized");
  assert.equal(error.status, 401);
  assert.equal(error.musementCode, "401");
  assert.equal(mock.counts.logins, 2);
  assert.equal(requestsTo(mock, "/cities").length, 2);
  assert.equal(client.tokenInfo, undefined);
});

test("a 401 on a request whose body is a stream is not repeated", async (t) => {
  const mock = await withMock(t);
  const client = new MusementClient(optionsFor(mock));
  await client.login();
  mock.fault({ route: "api", mode: "status", status: 401 });
  const body = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"items":[]}'));
      controller.close();
    },
  });
  const error = await rejection(client.json("/carts", { method: "POST", body, duplex: "half" }));
  assert.equal(error.code, "unauthorized");
  assert.equal(requestsTo(mock, "/carts").length, 1);
  assert.equal(mock.counts.logins, 1);
  // The condemned token is gone; the next call logs in afresh.
  assert.equal(client.tokenInfo, undefined);
  await client.json("/cities");
  assert.equal(mock.counts.logins, 2);
});

test("a client without credentials reads the public catalog and never logs in", async (t) => {
  const mock = await withMock(t, { publicCatalog: true });
  const client = new MusementClient({ baseUrl: mock.baseUrl, application: "catalog-only" });
  const activities = await client.json("/activities");
  assert.ok(activities.length > 0);
  assert.equal(requestsTo(mock, "/login").length, 0);
  const [r] = requestsTo(mock, "/activities");
  assert.equal(r.headers.authorization, undefined);
  assert.equal(r.headers["x-musement-application"], "catalog-only");
  const error = await rejection(client.login());
  assert.equal(error.code, "invalid_options");
  assert.equal(client.tokenInfo, undefined);
});

test("a URL of another origin gets no token and no Musement header", async (t) => {
  const mock = await withMock(t);
  const seen = [];
  const other = http.createServer((req, res) => {
    seen.push(req.headers);
    res.setHeader("content-type", "application/json");
    res.end("{}");
  });
  await new Promise((resolve) => other.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => other.close(resolve)));
  const { port } = other.address();
  const client = new MusementClient(optionsFor(mock, { currency: "EUR" }));
  await client.login();
  const foreign = [
    `http://127.0.0.1:${port}/api/v3/cities`,
    new URL(`http://127.0.0.1:${port}/x`),
    new Request(`http://127.0.0.1:${port}/y`),
    // WHATWG reads a backslash as a path separator: the host is the other server.
    `http://127.0.0.1:${port}\\@${new URL(mock.url).host}/z`,
  ];
  for (const input of foreign) assert.equal((await client.fetch(input)).status, 200);
  assert.equal(seen.length, foreign.length);
  for (const headers of seen) {
    assert.equal(headers.authorization, undefined);
    assert.equal(headers["x-musement-application"], undefined);
    assert.equal(headers["x-musement-version"], undefined);
    assert.equal(headers["x-musement-currency"], undefined);
  }
  assert.deepEqual(await client.json(`http://127.0.0.1:${port}/q`), {});
});

test("a request carrying the token never follows a redirect", async (t) => {
  // An "API" on one port that logs in and then redirects; a second server records visitors.
  const seen = [];
  const elsewhere = http.createServer((req, res) => {
    seen.push(req.headers);
    res.end("{}");
  });
  await new Promise((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => elsewhere.close(resolve)));
  const target = `http://127.0.0.1:${elsewhere.address().port}/collect`;
  const api = http.createServer((req, res) => {
    if (req.url === "/api/v3/login") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ access_token: "redirect-test-token", expires_in: 3600, token_type: "bearer", scope: null }));
    } else {
      res.writeHead(302, { location: target }).end();
    }
  });
  await new Promise((resolve) => api.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => api.close(resolve)));
  const client = new MusementClient({
    baseUrl: `http://127.0.0.1:${api.address().port}/api/v3`,
    application: "redirects",
    clientId: "id",
    clientSecret: "secret-value",
  });
  for (const init of [undefined, { redirect: "follow" }]) {
    const response = await client.fetch("/activities", init);
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), target);
  }
  const request = await client.fetch(new Request(`http://127.0.0.1:${api.address().port}/api/v3/x`));
  assert.equal(request.status, 302);
  assert.deepEqual(seen, []);
});

test("a Request's own signal cancels the call", async (t) => {
  const mock = await withMock(t);
  const client = new MusementClient(optionsFor(mock));
  await client.login();
  mock.fault({ route: "api", mode: "hang" });
  const controller = new AbortController();
  setTimeout(() => controller.abort("stop"), 100);
  const request = new Request(`${mock.baseUrl}/cities`, { signal: controller.signal });
  const started = performance.now();
  await assert.rejects(client.fetch(request), (error) => error === "stop");
  assert.ok(performance.now() - started < 2000);
});

test("API errors: http_error with status and musementCode", async (t) => {
  const mock = await withMock(t);
  const client = new MusementClient(optionsFor(mock));
  const error = await rejection(client.json("/no-such-route"));
  assert.ok(error instanceof MusementError && error instanceof Error);
  assert.equal(error.name, "MusementError");
  assert.equal(error.code, "http_error");
  assert.equal(error.status, 404);
  assert.equal(error.musementCode, "404");
  assert.match(error.message, /HTTP 404 \(404\): Not found/);
  // fetch() hands back the real Response instead.
  const response = await client.fetch("/no-such-route");
  assert.equal(response.status, 404);
  assert.deepEqual(await response.json(), { code: "404", message: "Not found" });
});

test("login failures: login_failed with the OAuth code, invalid_response, network_error, timeout", async (t) => {
  const mock = await withMock(t);
  const wrong = new MusementClient(optionsFor(mock, { clientSecret: "not-the-secret" }));
  let error = await rejection(wrong.json("/cities"));
  assert.equal(error.code, "login_failed");
  assert.equal(error.status, 401);
  assert.equal(error.musementCode, "invalid_grant");
  assert.equal(requestsTo(mock, "/cities").length, 0);

  const client = new MusementClient(optionsFor(mock, { timeoutMs: 300 }));
  mock.fault({ route: "login", mode: "malformed" });
  error = await rejection(client.login());
  assert.equal(error.code, "invalid_response");

  mock.fault({ route: "login", mode: "hang" });
  const started = Date.now();
  error = await rejection(client.login());
  assert.equal(error.code, "timeout");
  assert.ok(Date.now() - started < 2000);

  const closed = new MusementClient({ ...optionsFor(mock), baseUrl: "http://127.0.0.1:9/api/v3" });
  error = await rejection(closed.json("/cities"));
  assert.equal(error.code, "network_error");

  // After all that, the next call logs in and succeeds.
  assert.ok((await client.json("/cities")).length > 0);
});

test("a custom fetch replaces the global one", async (t) => {
  const mock = await withMock(t);
  const calls = [];
  const client = new MusementClient(
    optionsFor(mock, {
      fetch: (input, init) => {
        calls.push(String(input));
        return fetch(input, init);
      },
    }),
  );
  await client.json("/cities");
  assert.deepEqual(calls, [`${mock.baseUrl}/login`, `${mock.baseUrl}/cities`]);
});

test("clearToken() forgets the token; dispose() ends the client", async (t) => {
  const mock = await withMock(t);
  const client = new MusementClient(optionsFor(mock));
  await client.login();
  client.clearToken();
  assert.equal(client.tokenInfo, undefined);
  await client.json("/cities");
  assert.equal(mock.counts.logins, 2);
  client.dispose();
  assert.equal(client.tokenInfo, undefined);
  const error = await rejection(client.json("/cities"));
  assert.equal(error.code, "disposed");
  const foreign = await rejection(client.fetch("http://127.0.0.1:9/elsewhere"));
  assert.equal(foreign.code, "disposed");
});

test("each bad option throws MusementError with its documented code", () => {
  const good = { baseUrl: "https://sandbox.musement.com/api/v3", application: "app" };
  const cases = [
    [undefined, "invalid_options", "options"],
    [{ ...good, application: undefined }, "invalid_options", "application"],
    [{ ...good, application: "" }, "invalid_options", "application"],
    [{ ...good, baseUrl: undefined }, "invalid_options", "baseUrl"],
    [{ ...good, baseUrl: "sandbox.musement.com/api/v3" }, "invalid_options", "baseUrl"],
    [{ ...good, baseUrl: "/api/v3" }, "invalid_options", "baseUrl"],
    [{ ...good, clientId: "id" }, "invalid_options", "clientSecret"],
    [{ ...good, clientSecret: "s3cr3t-value" }, "invalid_options", "clientId"],
    [{ ...good, version: "3.4" }, "invalid_options", "version"],
    [{ ...good, version: 3.4 }, "invalid_options", "version"],
    [{ ...good, refreshMarginSeconds: -1 }, "invalid_options", "refreshMarginSeconds"],
    [{ ...good, refreshMarginSeconds: "60" }, "invalid_options", "refreshMarginSeconds"],
    [{ ...good, timeoutMs: -1 }, "invalid_options", "timeoutMs"],
    [{ ...good, timeoutMs: NaN }, "invalid_options", "timeoutMs"],
    [{ ...good, timeoutMs: "10s" }, "invalid_options", "timeoutMs"],
    [{ ...good, fetch: "fetch" }, "invalid_options", "fetch"],
    [{ ...good, clientSecrets: "typo" }, "invalid_options", "clientSecrets"],
    [{ ...good, baseUrl: "http://sandbox.musement.com/api/v3" }, "insecure_url", "https"],
    [{ ...good, baseUrl: "http://10.0.0.1/api/v3" }, "insecure_url", "https"],
  ];
  for (const [options, code, mention] of cases) {
    assert.throws(
      () => new MusementClient(options),
      (error) => {
        assert.ok(error instanceof MusementError, `${mention}: ${error}`);
        assert.ok(error instanceof Error);
        assert.equal(error.code, code, `${mention}: ${error.message}`);
        assert.ok(error.message.includes(mention), `${mention}: ${error.message}`);
        assert.ok(!error.message.includes("s3cr3t-value"));
        return true;
      },
    );
  }
  for (const baseUrl of ["http://localhost:8080/api/v3", "http://127.0.0.1/api/v3", "http://[::1]:1/api/v3"]) {
    assert.ok(new MusementClient({ ...good, baseUrl }));
  }
});
