// Tests for the mock Musement API: `node --test tests/mock/`.
//
// Real HTTP on 127.0.0.1 with the global fetch; every test starts its own mock and closes it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { startMock } from './musement-mock.mjs';

const MOCK_PATH = fileURLToPath(new URL('./musement-mock.mjs', import.meta.url));

/** The headers every Musement request carries. */
const APP_HEADERS = { 'X-Musement-Application': 'mock-tests', 'X-Musement-Version': '3.4.0' };

const EXPECTED_CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers':
    'authorization, content-type, accept, accept-language, x-musement-application, ' +
    'x-musement-version, x-musement-currency, x-musement-market',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'access-control-expose-headers': 'retry-after',
};

/** Starts a mock that is closed when the test ends. */
async function setup(t, options) {
  const mock = await startMock(options);
  t.after(() => mock.close());
  return mock;
}

/** POST /login with a JSON body (override fields with `params`, drop them with `undefined`). */
function postLogin(mock, params = {}, headers = {}) {
  const body = {
    client_id: mock.clientId,
    client_secret: mock.clientSecret,
    grant_type: 'client_credentials',
    ...params,
  };
  return fetch(`${mock.baseUrl}/login`, {
    method: 'POST',
    headers: { ...APP_HEADERS, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** Logs in and returns the access token. */
async function login(mock) {
  const res = await postLogin(mock);
  assert.equal(res.status, 200);
  return (await res.json()).access_token;
}

/** GET a catalog path, with a bearer token when given. */
function getApi(mock, path, token, headers = {}) {
  const auth = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  return fetch(mock.baseUrl + path, { headers: { ...APP_HEADERS, ...auth, ...headers } });
}

/** Asserts status and JSON body in one go; returns the body. */
async function expectJson(res, status, expected) {
  const body = await res.json();
  assert.equal(res.status, status, `unexpected status, body: ${JSON.stringify(body)}`);
  if (expected !== undefined) assert.deepEqual(body, expected);
  return body;
}

function assertCors(res) {
  for (const [name, value] of Object.entries(EXPECTED_CORS)) {
    assert.equal(res.headers.get(name), value, `header ${name}`);
  }
}

// --- Basics ------------------------------------------------------------------------------------

test('startMock listens on 127.0.0.1 and exposes url, baseUrl, port and credentials', async (t) => {
  const mock = await setup(t);
  assert.match(mock.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(mock.baseUrl, `${mock.url}/api/v3`);
  assert.equal(mock.url, `http://127.0.0.1:${mock.port}`);
  assert.equal(mock.clientId, 'test-client-id');
  assert.equal(mock.clientSecret, 'test-secret-s3cr3t-value');

  const custom = await setup(t, { basePath: '/v3/', clientId: 'id-x', clientSecret: 'secret-y' });
  assert.equal(custom.baseUrl, `${custom.url}/v3`);
  await expectJson(await postLogin(custom), 200);
});

test('missing X-Musement-Application gives 2271 on /login and on /activities', async (t) => {
  const mock = await setup(t);
  const expected = { code: '2271', message: "The header 'x-musement-application' is mandatory" };

  const loginRes = await fetch(`${mock.baseUrl}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_id: mock.clientId, client_secret: mock.clientSecret, grant_type: 'client_credentials' }),
  });
  await expectJson(loginRes, 400, expected);
  assertCors(loginRes);

  const token = await login(mock);
  const apiRes = await fetch(`${mock.baseUrl}/activities`, { headers: { Authorization: `Bearer ${token}` } });
  await expectJson(apiRes, 400, expected);

  const empty = await fetch(`${mock.baseUrl}/cities`, { headers: { 'X-Musement-Application': '' } });
  await expectJson(empty, 400, expected);
  assert.equal(mock.counts.logins, 1);
});

test('an invalid X-Musement-Version gives 2272; a valid one or none passes', async (t) => {
  const mock = await setup(t, { publicCatalog: true });
  const bad = await getApi(mock, '/cities', undefined, { 'X-Musement-Version': '3.4' });
  await expectJson(bad, 400, { code: '2272', message: 'Invalid x-musement-version header' });
  const none = await fetch(`${mock.baseUrl}/cities`, { headers: { 'X-Musement-Application': 'a' } });
  assert.equal(none.status, 200);
  await none.arrayBuffer();
});

test('preflight OPTIONS answers 204 with CORS headers on any path, without checks', async (t) => {
  const mock = await setup(t);
  for (const path of ['/api/v3/login', '/api/v3/activities', '/nowhere', '/__mock/state']) {
    const res = await fetch(mock.url + path, {
      method: 'OPTIONS',
      headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(res.status, 204, path);
    assertCors(res);
    assert.equal(await res.text(), '');
  }
  // Preflights to the API are recorded; control routes are not.
  assert.deepEqual(mock.requests.map((r) => [r.method, r.path]), [
    ['OPTIONS', '/login'],
    ['OPTIONS', '/activities'],
    ['OPTIONS', '/nowhere'],
  ]);
});

test('404 outside basePath and for unknown paths under it, CORS included', async (t) => {
  const mock = await setup(t, { publicCatalog: true });
  const outside = await fetch(`${mock.url}/activities`, { headers: APP_HEADERS });
  await expectJson(outside, 404, { code: '404', message: 'Not found' });
  assertCors(outside);
  await expectJson(await getApi(mock, '/events'), 404, { code: '404', message: 'Not found' });
  await expectJson(await fetch(`${mock.url}/__mock/nope`), 404, { code: '404', message: 'Not found' });
});

// --- /login ------------------------------------------------------------------------------------

test('GET /login is deprecated (405); other methods are 405 too', async (t) => {
  const mock = await setup(t);
  const get = await fetch(`${mock.baseUrl}/login`, { headers: APP_HEADERS });
  await expectJson(get, 405, { code: '405', message: 'GET /login is deprecated' });
  const put = await fetch(`${mock.baseUrl}/login`, { method: 'PUT', headers: APP_HEADERS, body: '{}' });
  assert.equal(put.status, 405);
  await put.arrayBuffer();
  assert.equal(mock.counts.loginAttempts, 2);
  assert.equal(mock.counts.logins, 0);
});

test('POST /login needs Content-Type application/json (charset allowed)', async (t) => {
  const mock = await setup(t);
  const res = await postLogin(mock, {}, { 'Content-Type': 'text/plain' });
  await expectJson(res, 415, {
    error: 'invalid_request',
    error_description: 'Content-Type must be application/json',
  });
  await expectJson(await postLogin(mock, {}, { 'Content-Type': 'application/json; charset=utf-8' }), 200);
});

test('POST /login rejects a body that is not a JSON object', async (t) => {
  const mock = await setup(t);
  for (const body of ['not json', '[1,2]', 'null', '"client_credentials"']) {
    const res = await fetch(`${mock.baseUrl}/login`, {
      method: 'POST',
      headers: { ...APP_HEADERS, 'Content-Type': 'application/json' },
      body,
    });
    const json = await expectJson(res, 400);
    assert.equal(json.error, 'invalid_request', body);
  }
});

test('POST /login: each missing field gives 400 invalid_request "Missing <field>"', async (t) => {
  const mock = await setup(t);
  for (const field of ['client_id', 'client_secret', 'grant_type']) {
    const res = await postLogin(mock, { [field]: undefined }); // JSON.stringify drops it
    await expectJson(res, 400, { error: 'invalid_request', error_description: `Missing ${field}` });
  }
  const notString = await postLogin(mock, { client_id: 42 });
  assert.equal((await expectJson(notString, 400)).error, 'invalid_request');
});

test('POST /login: an unsupported grant type gives 400 without echoing it', async (t) => {
  const mock = await setup(t);
  const res = await postLogin(mock, { grant_type: 'password-GRANT-xyz' });
  const text = await res.text();
  assert.equal(res.status, 400);
  assert.equal(JSON.parse(text).error, 'unsupported_grant_type');
  assert.ok(!text.includes('password-GRANT-xyz'));
});

test('POST /login: wrong credentials give 401 invalid_grant that never echoes them', async (t) => {
  const mock = await setup(t);
  const wrongSecret = 'wrong-secret-VALUE-123';
  const wrongId = 'wrong-client-ID-456';
  for (const params of [{ client_secret: wrongSecret }, { client_id: wrongId }]) {
    const res = await postLogin(mock, params);
    const text = await res.text();
    assert.equal(res.status, 401);
    assert.deepEqual(JSON.parse(text), { error: 'invalid_grant', error_description: 'Invalid client credentials' });
    assert.ok(!text.includes(wrongSecret) && !text.includes(wrongId) && !text.includes(mock.clientSecret));
    assert.ok(![...res.headers.values()].some((v) => v.includes(wrongSecret) || v.includes(wrongId)));
  }
  assert.equal(mock.counts.loginAttempts, 2);
  assert.equal(mock.counts.logins, 0);
  assert.deepEqual(mock.tokens, []);
});

test('POST /login success: token shape, expires_in, token_type, scope', async (t) => {
  const mock = await setup(t, { expiresIn: 1800 });
  const res = await postLogin(mock);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  assertCors(res);
  const body = await expectJson(res, 200);
  assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
  assert.match(body.access_token, /^[0-9a-f]{40}$/);
  assert.equal(body.expires_in, 1800);
  assert.equal(body.token_type, 'bearer');
  assert.equal(body.scope, null);
  assert.deepEqual(mock.tokens, [body.access_token]);

  const second = await login(mock);
  assert.notEqual(second, body.access_token, 'tokens are random');
  assert.equal(mock.counts.logins, 2);
});

// --- Catalog -----------------------------------------------------------------------------------

test('a token works on every catalog route; answers are JSON arrays of fixtures', async (t) => {
  const mock = await setup(t);
  const token = await login(mock);
  for (const path of ['/activities', '/cities', '/categories', '/countries', '/currencies']) {
    const res = await getApi(mock, path, token);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assertCors(res);
    const items = await expectJson(res, 200);
    assert.ok(Array.isArray(items) && items.length > 0, path);
  }
  const [activity] = await (await getApi(mock, '/activities', token)).json();
  assert.match(activity.uuid, /^[0-9a-f-]{36}$/);
  assert.equal(typeof activity.title, 'string');
  assert.deepEqual(Object.keys(activity.city), ['id', 'name']);
  assert.deepEqual(Object.keys(activity.retail_price), ['currency', 'value', 'formatted_value']);
  assert.equal(typeof activity.duration, 'string');
  const [city] = await (await getApi(mock, '/cities', token)).json();
  assert.deepEqual(Object.keys(city.country), ['iso_code', 'name']);
  assert.equal(mock.counts.api, 7);
});

test('catalog routes are GET only (405)', async (t) => {
  const mock = await setup(t);
  const token = await login(mock);
  const res = await fetch(`${mock.baseUrl}/activities`, {
    method: 'POST',
    headers: { ...APP_HEADERS, Authorization: `Bearer ${token}` },
  });
  assert.equal((await expectJson(res, 405)).code, '405');
});

test('no token gives 401 code 1400; a bad bearer gives 401 code 1401', async (t) => {
  const mock = await setup(t);
  await expectJson(await getApi(mock, '/activities'), 401, { code: '1400', message: 'Authentication required' });
  const invalid = { code: '1401', message: 'Invalid or expired access token' };
  await expectJson(await getApi(mock, '/activities', 'f'.repeat(40)), 401, invalid);
  const token = await login(mock);
  // The header must be exactly "Bearer <token>" (trailing blanks cannot be tested: HTTP strips them).
  for (const authorization of [`bearer ${token}`, token, `Bearer  ${token}`, `Token ${token}`, '']) {
    const res = await getApi(mock, '/activities', undefined, { Authorization: authorization });
    await expectJson(res, 401, invalid);
  }
  assert.equal(mock.counts.unauthorized, 7);
  assert.equal(mock.counts.api, 0);
});

test('publicCatalog: no Authorization is fine, but a bogus bearer is still 401', async (t) => {
  const mock = await setup(t, { publicCatalog: true });
  assert.equal((await expectJson(await getApi(mock, '/activities'), 200)).length, 10);
  await expectJson(await getApi(mock, '/activities', 'bogus'), 401, {
    code: '1401',
    message: 'Invalid or expired access token',
  });
  const token = await login(mock);
  await expectJson(await getApi(mock, '/cities', token), 200);
});

test('tokens expire by the clock after expiresIn seconds', async (t) => {
  const mock = await setup(t, { expiresIn: 1 });
  const token = await login(mock);
  await expectJson(await getApi(mock, '/cities', token), 200);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await expectJson(await getApi(mock, '/cities', token), 401, {
    code: '1401',
    message: 'Invalid or expired access token',
  });
  // setExpiresIn applies to tokens issued afterwards.
  mock.setExpiresIn(7200);
  assert.equal((await (await postLogin(mock)).json()).expires_in, 7200);
  assert.throws(() => mock.setExpiresIn(0), TypeError);
});

test('revokeAll invalidates every issued token; reset keeps tokens valid', async (t) => {
  const mock = await setup(t);
  const first = await login(mock);
  const second = await login(mock);
  mock.revokeAll();
  for (const token of [first, second]) {
    await expectJson(await getApi(mock, '/cities', token), 401);
  }
  const third = await login(mock);
  mock.reset();
  assert.deepEqual(mock.counts, { loginAttempts: 0, logins: 0, api: 0, unauthorized: 0 });
  assert.equal(mock.requests.length, 0);
  assert.deepEqual(mock.tokens, [first, second, third]);
  await expectJson(await getApi(mock, '/cities', third), 200);
});

test('limit/offset paging: default 10, max 100, offset slices, bad values 400', async (t) => {
  const mock = await setup(t);
  const token = await login(mock);
  const all = await (await getApi(mock, '/activities?limit=100', token)).json();
  assert.equal(all.length, 12);
  assert.equal((await (await getApi(mock, '/activities', token)).json()).length, 10);

  const page = await (await getApi(mock, '/activities?limit=3&offset=2', token)).json();
  assert.deepEqual(page.map((a) => a.uuid), all.slice(2, 5).map((a) => a.uuid));
  const tail = await (await getApi(mock, '/activities?offset=10', token)).json();
  assert.deepEqual(tail, all.slice(10));
  assert.deepEqual(await (await getApi(mock, '/activities?offset=50', token)).json(), []);
  assert.equal((await (await getApi(mock, '/activities?limit=1000', token)).json()).length, 12);

  for (const query of ['?limit=abc', '?limit=0', '?limit=-1', '?offset=-5', '?offset=1.5']) {
    assert.equal((await expectJson(await getApi(mock, `/cities${query}`, token), 400)).code, '400', query);
  }
});

// --- Faults ------------------------------------------------------------------------------------

test("fault 'status': injected status, JSON body and Retry-After (seconds or HTTP-date)", async (t) => {
  const mock = await setup(t);
  mock.fault({ route: 'login', mode: 'status', status: 503, retryAfter: 2 });
  const res = await postLogin(mock);
  await expectJson(res, 503, { code: '503', message: 'Injected failure' });
  assert.equal(res.headers.get('retry-after'), '2');
  assertCors(res);

  const date = new Date(Date.now() + 5000).toUTCString();
  mock.fault({ route: 'any', mode: 'status', status: 429, retryAfter: date });
  const limited = await getApi(mock, '/cities');
  await expectJson(limited, 429, { code: '429', message: 'Injected failure' });
  assert.equal(limited.headers.get('retry-after'), date);

  mock.fault({ mode: 'status' }); // defaults: any route, 500, no Retry-After
  const plain = await getApi(mock, '/cities');
  await expectJson(plain, 500, { code: '500', message: 'Injected failure' });
  assert.equal(plain.headers.get('retry-after'), null);

  // Faults are used up: the next login is normal.
  await expectJson(await postLogin(mock), 200);
  assert.equal(mock.counts.logins, 1);
  assert.equal(mock.counts.loginAttempts, 2);
});

test("fault 'oauth': 400 invalid_grant by default, status overridable", async (t) => {
  const mock = await setup(t);
  mock.fault({ route: 'login', mode: 'oauth' });
  mock.fault({ route: 'login', mode: 'oauth', status: 401 });
  const expected = { error: 'invalid_grant', error_description: 'Injected OAuth failure' };
  await expectJson(await postLogin(mock), 400, expected);
  await expectJson(await postLogin(mock), 401, expected);
  await expectJson(await postLogin(mock), 200);
});

test('faults match routes, honour count, and are consumed in FIFO order', async (t) => {
  const mock = await setup(t);
  const token = await login(mock);
  mock.fault({ route: 'api', mode: 'status', status: 502, count: 2 });
  mock.fault({ route: 'any', mode: 'status', status: 504 });
  mock.fault({ route: 'login', mode: 'status', status: 503 });

  // A login skips the api-only fault and takes the first matching one: 'any' (504).
  assert.equal((await postLogin(mock)).status, 504);
  assert.equal((await getApi(mock, '/cities', token)).status, 502);
  assert.equal((await getApi(mock, '/cities', token)).status, 502);
  assert.equal((await getApi(mock, '/cities', token)).status, 200);
  assert.equal((await postLogin(mock)).status, 503);
  assert.equal((await postLogin(mock)).status, 200);

  // Header checks come before faults: a 2271 request does not consume one.
  mock.fault({ route: 'api', mode: 'status', status: 500 });
  assert.equal((await fetch(`${mock.baseUrl}/cities`)).status, 400);
  assert.equal((await getApi(mock, '/cities', token)).status, 500);

  // An injected 401 on an API route counts as unauthorized.
  mock.fault({ route: 'api', mode: 'status', status: 401 });
  assert.equal((await getApi(mock, '/cities', token)).status, 401);
  assert.equal(mock.counts.unauthorized, 1);

  assert.throws(() => mock.fault({ route: 'nope', mode: 'status' }), TypeError);
  assert.throws(() => mock.fault({ mode: 'explode' }), TypeError);
  assert.throws(() => mock.fault({ mode: 'status', count: 0 }), TypeError);
});

test("fault 'hang': never answers; the client's abort fires and close() still resolves", async (t) => {
  const mock = await setup(t);
  mock.fault({ route: 'login', mode: 'hang' });
  const started = Date.now();
  await assert.rejects(
    fetch(`${mock.baseUrl}/login`, {
      method: 'POST',
      headers: { ...APP_HEADERS, 'Content-Type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(300),
    }),
    (err) => err.name === 'TimeoutError' || err.name === 'AbortError',
  );
  assert.ok(Date.now() - started >= 290);

  // A hanging request that the client does not abort: close() destroys its socket.
  mock.fault({ route: 'api', mode: 'hang' });
  const pending = getApi(mock, '/cities');
  await waitFor(() => mock.requests.length === 2);
  const closing = Date.now();
  await mock.close();
  await assert.rejects(pending, TypeError);
  assert.ok(Date.now() - closing < 1000);
  await mock.close(); // idempotent
});

test("fault 'reset': the socket is destroyed and fetch rejects", async (t) => {
  const mock = await setup(t);
  mock.fault({ route: 'login', mode: 'reset' });
  await assert.rejects(postLogin(mock), TypeError);
  await expectJson(await postLogin(mock), 200);
});

test("fault 'malformed': 200 with truncated JSON", async (t) => {
  const mock = await setup(t);
  mock.fault({ route: 'login', mode: 'malformed' });
  const res = await postLogin(mock);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  const text = await res.text();
  assert.equal(text, '{"access_token": "abc", "expires_in');
  assert.throws(() => JSON.parse(text), SyntaxError);
  assert.equal(mock.counts.logins, 0);
});

test("fault 'html': an HTML error page, 502 by default", async (t) => {
  const mock = await setup(t, { publicCatalog: true });
  mock.fault({ route: 'api', mode: 'html' });
  mock.fault({ route: 'api', mode: 'html', status: 503 });
  const res = await getApi(mock, '/activities');
  assert.equal(res.status, 502);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.match(await res.text(), /<html>/i);
  assert.equal((await getApi(mock, '/activities')).status, 503);
});

test("fault 'wrong-type': 200 text/plain OK", async (t) => {
  const mock = await setup(t);
  mock.fault({ route: 'login', mode: 'wrong-type' });
  const res = await postLogin(mock);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain');
  assert.equal(await res.text(), 'OK');
});

test("fault 'drip': headers at once, then the normal body one byte at a time", async (t) => {
  const mock = await setup(t, { publicCatalog: true });
  const expected = await (await getApi(mock, '/currencies?limit=1')).text();
  const delayMs = 8;
  mock.fault({ route: 'api', mode: 'drip', delayMs });

  const started = Date.now();
  const res = await getApi(mock, '/currencies?limit=1');
  const headersAt = Date.now();
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(expected)));
  const text = await res.text();
  const bodyTime = Date.now() - headersAt;

  assert.equal(text, expected, 'the body arrives complete');
  const minimum = Buffer.byteLength(expected) * delayMs;
  assert.ok(headersAt - started < minimum / 4, `headers took ${headersAt - started} ms`);
  assert.ok(bodyTime >= minimum * 0.8, `body took ${bodyTime} ms, expected about ${minimum} ms`);
  assert.equal(mock.counts.api, 2, 'a dripped answer is still a normal answer');
});

test("fault 'big': a 1 MiB JSON body", async (t) => {
  const mock = await setup(t, { publicCatalog: true });
  mock.fault({ route: 'api', mode: 'big' });
  const res = await getApi(mock, '/activities');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  const text = await res.text();
  assert.equal(Buffer.byteLength(text), 1024 * 1024);
  assert.equal(typeof JSON.parse(text).data, 'string');
});

test('latencyMs delays every answer', async (t) => {
  const mock = await setup(t, { latencyMs: 150, publicCatalog: true });
  const started = Date.now();
  await (await getApi(mock, '/cities')).arrayBuffer();
  assert.ok(Date.now() - started >= 140);
});

// --- Records and controls ----------------------------------------------------------------------

test('counts and request records (lower-cased headers, body, query, relative path)', async (t) => {
  const mock = await setup(t);
  const before = Date.now();
  const token = await login(mock);
  await getApi(mock, '/cities?limit=2&offset=1', token, { 'X-Custom-Thing': 'Mixed-Case' });
  await getApi(mock, '/cities');

  assert.deepEqual(mock.counts, { loginAttempts: 1, logins: 1, api: 1, unauthorized: 1 });
  assert.equal(mock.requests.length, 3);
  const [loginReq, citiesReq, anonReq] = mock.requests;

  assert.equal(loginReq.method, 'POST');
  assert.equal(loginReq.path, '/login');
  assert.equal(loginReq.query, '');
  assert.equal(loginReq.headers['x-musement-application'], 'mock-tests');
  assert.equal(loginReq.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(loginReq.body).grant_type, 'client_credentials');
  assert.ok(loginReq.at >= before && loginReq.at <= Date.now());

  assert.equal(citiesReq.method, 'GET');
  assert.equal(citiesReq.path, '/cities');
  assert.equal(citiesReq.query, '?limit=2&offset=1');
  assert.equal(citiesReq.headers.authorization, `Bearer ${token}`);
  assert.equal(citiesReq.headers['x-custom-thing'], 'Mixed-Case');
  assert.equal(citiesReq.body, '');
  for (const name of Object.keys(citiesReq.headers)) assert.equal(name, name.toLowerCase());

  assert.equal(anonReq.headers.authorization, undefined);
});

test('control routes over HTTP: state, tokens, revoke, config, fault, reset', async (t) => {
  const mock = await setup(t);
  const control = async (method, name, body) => {
    const res = await fetch(`${mock.url}/__mock/${name}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assertCors(res);
    return { status: res.status, body: await res.json() };
  };

  const token = await login(mock);
  await getApi(mock, '/cities', token);
  const state = await control('GET', 'state');
  assert.deepEqual(state, {
    status: 200,
    body: { logins: 1, loginAttempts: 1, api: 1, unauthorized: 0, requests: 2 },
  });
  assert.ok(!JSON.stringify(state).includes(token), 'state never shows tokens');
  assert.deepEqual((await control('GET', 'tokens')).body, { tokens: [token] });

  assert.deepEqual((await control('POST', 'revoke')).body, { ok: true });
  assert.equal((await getApi(mock, '/cities', token)).status, 401);

  const config = await control('POST', 'config', { expiresIn: 42, publicCatalog: true, latencyMs: 0 });
  assert.deepEqual(config.body, { ok: true, config: { expiresIn: 42, publicCatalog: true, latencyMs: 0 } });
  assert.equal((await (await postLogin(mock)).json()).expires_in, 42);
  assert.equal((await getApi(mock, '/cities')).status, 200);
  assert.equal((await control('POST', 'config', { expiresIn: -1 })).status, 400);

  assert.deepEqual((await control('POST', 'fault', { route: 'api', mode: 'status', status: 418 })).body, { ok: true });
  assert.equal((await getApi(mock, '/cities')).status, 418);
  assert.equal((await control('POST', 'fault', { mode: 'nonsense' })).status, 400);

  assert.deepEqual((await control('POST', 'reset')).body, { ok: true });
  assert.deepEqual((await control('GET', 'state')).body, {
    logins: 0, loginAttempts: 0, api: 0, unauthorized: 0, requests: 0,
  });
  assert.equal((await control('POST', 'state')).status, 405);
});

// --- CLI ---------------------------------------------------------------------------------------

/** Spawns the CLI and resolves with the child and the parsed JSON line it prints. */
async function spawnCli(t, args) {
  const child = spawn(process.execPath, [MOCK_PATH, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout });
  const [line] = await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`CLI exited early (${code}): ${stderr}`);
    }),
  ]);
  const exited = once(child, 'exit');
  return { child, info: JSON.parse(line), exited, stderr: () => stderr };
}

test('CLI: prints one JSON line, serves, and exits on SIGTERM', async (t) => {
  const { child, info, exited, stderr } = await spawnCli(t, [
    '--port', '0', '--ttl', '5', '--client-id', 'cli-id', '--client-secret', 'cli-secret-zzz',
  ]);
  assert.deepEqual(Object.keys(info), ['url', 'baseUrl', 'port']);
  assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(info.baseUrl, `${info.url}/api/v3`);

  const state = await (await fetch(`${info.url}/__mock/state`)).json();
  assert.deepEqual(state, { logins: 0, loginAttempts: 0, api: 0, unauthorized: 0, requests: 0 });
  const cli = { clientId: 'cli-id', clientSecret: 'cli-secret-zzz', baseUrl: info.baseUrl };
  const token = await login(cli);

  child.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0);
  assert.ok(!stderr().includes(token) && !stderr().includes('cli-secret-zzz'));
});

test('CLI: stops by itself after --ttl and with --exit-with-stdin when stdin closes', async (t) => {
  const ttl = await spawnCli(t, ['--ttl', '0.3']);
  assert.equal((await ttl.exited)[0], 0);

  const stdin = await spawnCli(t, ['--exit-with-stdin']);
  stdin.child.stdin.end();
  assert.equal((await stdin.exited)[0], 0);
});

/** Polls `predicate` every 5 ms for up to a second. */
async function waitFor(predicate) {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(predicate(), 'condition not reached in time');
}
