// No secret and no token in any error, serialisation or inspection, even when a server or a
// fetch echoes them back.

import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";
import { exhibit, MusementClient, MusementError, optionsFor, rejection, withMock } from "./helpers.mjs";

/** Everything a partner might print of an error. */
function renderings(error) {
  return [error.message, String(error), JSON.stringify(error), inspect(error), error.stack ?? "", inspect(error, { showHidden: true, depth: 5 })];
}

test("errors and the client never show the secret or a token", async (t) => {
  const mock = await withMock(t);
  const echoed = [];
  // A fetch that echoes the secret and the token back, as a badly behaved server or proxy might.
  const echoingFetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const auth = new Headers(init?.headers).get("authorization") ?? "";
    const body = typeof init?.body === "string" ? init.body : "";
    if (url.endsWith("/echo-json")) {
      return new Response(JSON.stringify({ code: "9", message: `you sent ${auth} and ${mock.clientSecret}` }), { status: 500 });
    }
    if (url.endsWith("/echo-throw")) throw new TypeError(`failed with ${auth} ${mock.clientSecret}`);
    if (url.endsWith("/login") && echoed.length === 0) {
      echoed.push(1);
      return new Response(JSON.stringify({ error: "invalid_grant", error_description: `bad ${body}` }), { status: 401 });
    }
    return fetch(input, init);
  };
  const client = new MusementClient(optionsFor(mock, { fetch: echoingFetch }));
  const errors = [];
  errors.push(await rejection(client.login())); // login_failed echoing the body
  await client.login();
  errors.push(await rejection(client.json("/echo-json"))); // http_error echoing the token
  errors.push(await rejection(client.json("/echo-throw"))); // network_error echoing both
  errors.push(await rejection(client.json("/nope")));
  mock.fault({ route: "api", mode: "status", status: 401, count: 2 });
  errors.push(await rejection(client.json("/cities")));
  assert.deepEqual(errors.map((e) => e.code), ["login_failed", "http_error", "network_error", "http_error", "unauthorized"]);
  for (const e of errors) assert.ok(e instanceof MusementError);
  assert.match(errors[0].message, /\[redacted\]/);
  assert.match(errors[1].message, /\[redacted\]/);

  const texts = [
    ...errors.flatMap(renderings),
    inspect(client, { showHidden: true, depth: 5 }),
    JSON.stringify(client),
    String(client),
    JSON.stringify(client.tokenInfo) ?? "undefined",
    JSON.stringify(client.stats),
  ];
  exhibit(client, client.tokenInfo, client.stats);
  const secrets = [mock.clientSecret, ...mock.tokens];
  assert.ok(mock.tokens.length >= 2);
  for (const text of texts) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `leak in: ${text.slice(0, 80)}…`);
  }
});

test("the secret reaches fetch only in the body of POST /login", async (t) => {
  const mock = await withMock(t);
  const calls = [];
  const recordingFetch = async (input, init = {}) => {
    const request = new Request(input, init);
    const headers = JSON.stringify([...request.headers]);
    const body = init.body === undefined ? "" : String(init.body);
    calls.push({ url: request.url, method: request.method, headers, body });
    return fetch(input, init);
  };
  const client = new MusementClient(optionsFor(mock, { fetch: recordingFetch, maxRetries: 2 }));
  mock.fault({ route: "login", mode: "status", status: 503 });
  await client.json("/cities");
  mock.revokeAll();
  await client.json("/activities", { method: "GET", headers: { "x-trace": "1" } });
  await client.fetch(new Request(`${mock.baseUrl}/categories`));
  assert.ok(calls.length >= 6);
  for (const call of calls) {
    const isLogin = call.url === `${mock.baseUrl}/login` && call.method === "POST";
    assert.ok(!call.url.includes(mock.clientSecret) && !call.headers.includes(mock.clientSecret), call.url);
    assert.equal(call.body.includes(mock.clientSecret), isLogin, `${call.method} ${call.url}`);
  }
  assert.equal(calls.filter((c) => c.body.includes(mock.clientSecret)).length, 3);
});
