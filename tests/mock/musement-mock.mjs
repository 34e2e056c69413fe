// A mock of the Musement partner API (v3) for tests, the demo and benchmarks.
//
// Zero dependencies: only `node:` built-ins, Node 20+. It always listens on 127.0.0.1.
//
// In-process use:
//
//   import { startMock } from './tests/mock/musement-mock.mjs';
//   const mock = await startMock({ expiresIn: 60 });
//   // ... point a client at mock.baseUrl with mock.clientId / mock.clientSecret ...
//   mock.fault({ route: 'login', mode: 'status', status: 503, retryAfter: 1 });
//   await mock.close();
//
// Command line (prints one JSON line `{"url","baseUrl","port"}` and serves until --ttl runs out,
// SIGTERM/SIGINT, or stdin closes with --exit-with-stdin):
//
//   node tests/mock/musement-mock.mjs --port 0 --expires-in 3600 --ttl 900 [--public-catalog]
//
// The rules it enforces are the ones in DESIGN.md ("The Musement rules it implements"). It never
// writes tokens or secrets to stdout/stderr, and never echoes submitted credentials in a response.

import http from 'node:http';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * When set (by tests/run-node-tests.mjs), the file to which the mock appends its client secret
 * and every token it issues, so that the runner can scan all test output for them.
 */
const LEAK_LEDGER = process.env.MUSEMENT_LEAK_LEDGER;

function recordSecret(value) {
  if (LEAK_LEDGER) appendFileSync(LEAK_LEDGER, `${value}\n`);
}

/** The only interface the mock ever listens on. */
const HOST = '127.0.0.1';

/** Prefix of the control routes used by tests (no application header needed). */
const CONTROL_PREFIX = '/__mock/';

/** Sent on every response, preflight or not, fault or not. */
const CORS_HEADERS = Object.freeze({
  'access-control-allow-origin': '*',
  'access-control-allow-headers':
    'authorization, content-type, accept, accept-language, x-musement-application, ' +
    'x-musement-version, x-musement-currency, x-musement-market',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'access-control-expose-headers': 'retry-after',
});

const JSON_TYPE = 'application/json; charset=utf-8';
const VERSION_PATTERN = /^\d+\.\d+\.\d+$/;
const TOKEN_PREFIX = 'Bearer ';
const LOGIN_FIELDS = ['client_id', 'client_secret', 'grant_type'];
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;
const ONE_MIB = 1024 * 1024;
/** Request bodies larger than this are refused with 413 (the mock only ever needs tiny ones). */
const MAX_REQUEST_BODY = ONE_MIB;
/** setTimeout cannot wait longer than this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const FAULT_ROUTES = new Set(['login', 'api', 'any']);
const FAULT_MODES = new Set([
  'status', 'oauth', 'hang', 'reset', 'malformed', 'html', 'wrong-type', 'drip', 'big',
]);

// ---------------------------------------------------------------------------------------------
// Fixtures: small, realistic catalog data.

const CITIES = [
  { id: 1, name: 'Milan', country: { iso_code: 'IT', name: 'Italy' } },
  { id: 2, name: 'Rome', country: { iso_code: 'IT', name: 'Italy' } },
  { id: 25, name: 'Venice', country: { iso_code: 'IT', name: 'Italy' } },
  { id: 36, name: 'Florence', country: { iso_code: 'IT', name: 'Italy' } },
  { id: 40, name: 'Paris', country: { iso_code: 'FR', name: 'France' } },
  { id: 41, name: 'Barcelona', country: { iso_code: 'ES', name: 'Spain' } },
  { id: 57, name: 'Amsterdam', country: { iso_code: 'NL', name: 'Netherlands' } },
  { id: 94, name: 'London', country: { iso_code: 'GB', name: 'United Kingdom' } },
];

const COUNTRIES = [
  { id: 82, iso_code: 'IT', name: 'Italy' },
  { id: 60, iso_code: 'FR', name: 'France' },
  { id: 161, iso_code: 'ES', name: 'Spain' },
  { id: 124, iso_code: 'NL', name: 'Netherlands' },
  { id: 188, iso_code: 'GB', name: 'United Kingdom' },
];

const CURRENCIES = [
  { code: 'EUR', name: 'Euro', symbol: '€' },
  { code: 'USD', name: 'US Dollar', symbol: '$' },
  { code: 'GBP', name: 'British Pound', symbol: '£' },
  { code: 'CHF', name: 'Swiss Franc', symbol: 'CHF' },
];

const CATEGORIES = [
  { id: 1, code: 'museums', name: 'Museums & Galleries' },
  { id: 2, code: 'tours', name: 'Guided Tours' },
  { id: 3, code: 'food-wine', name: 'Food & Wine' },
  { id: 4, code: 'outdoor', name: 'Outdoor Activities' },
  { id: 5, code: 'nightlife', name: 'Nightlife' },
  { id: 6, code: 'day-trips', name: 'Day Trips' },
];

/** Builds one activity fixture; `cityId` must be in CITIES. */
function activity(uuid, title, cityId, value, currency, duration) {
  const city = CITIES.find((c) => c.id === cityId);
  const symbol = CURRENCIES.find((c) => c.code === currency).symbol;
  return {
    uuid,
    title,
    city: { id: city.id, name: city.name },
    retail_price: { currency, value, formatted_value: `${symbol} ${value.toFixed(2)}` },
    duration,
  };
}

const ACTIVITIES = [
  activity('2f6d9a1e-7c4b-4e8a-9b1d-5a3c0e7f1a01', 'Colosseum, Roman Forum & Palatine Hill skip-the-line tour', 2, 59, 'EUR', 'PT3H'),
  activity('8b1e4c2d-3f5a-4d6b-8c7e-9f0a1b2c3d02', 'Vatican Museums & Sistine Chapel guided tour', 2, 69, 'EUR', 'PT3H'),
  activity('c4a7f0e3-1d2b-4a5c-9e8f-7b6a5c4d3e03', 'The Last Supper guided tour', 1, 79, 'EUR', 'PT1H30M'),
  activity('5e9b3d7a-6c1f-4b2e-a3d4-2c1b0a9f8e04', 'Milan Cathedral rooftop terraces ticket', 1, 20, 'EUR', 'PT2H'),
  activity('f1d2c3b4-a5e6-4f70-8192-a3b4c5d6e705', 'Louvre Museum reserved-entry ticket', 40, 22, 'EUR', 'PT3H'),
  activity('0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c06', 'Seine river dinner cruise', 40, 89, 'EUR', 'PT2H30M'),
  activity('7d6c5b4a-3e2f-4d1c-8b0a-9f8e7d6c5b07', 'Sagrada Familia fast-track ticket', 41, 33.8, 'EUR', 'PT1H30M'),
  activity('3c2b1a0f-9e8d-4c7b-a6f5-e4d3c2b1a008', 'Park Güell guided tour', 41, 35, 'EUR', 'PT1H15M'),
  activity('9e8f7a6b-5c4d-4e3f-b2a1-0c9d8e7f6a09', 'Rijksmuseum entrance ticket', 57, 22.5, 'EUR', 'PT2H'),
  activity('1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d10', 'Amsterdam canal cruise with audio guide', 57, 16, 'EUR', 'PT1H15M'),
  activity('6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c11', 'Tower of London & Crown Jewels ticket', 94, 33.6, 'GBP', 'PT3H'),
  activity('4d3e2f1a-0b9c-4d8e-a7f6-5b4c3d2e1f12', 'Uffizi Gallery priority-entrance ticket', 36, 39, 'EUR', 'PT2H'),
];

/** Catalog routes (relative to basePath) and the collection each one pages through. */
const CATALOG = new Map([
  ['/activities', ACTIVITIES],
  ['/cities', CITIES],
  ['/categories', CATEGORIES],
  ['/countries', COUNTRIES],
  ['/currencies', CURRENCIES],
]);

// ---------------------------------------------------------------------------------------------
// Response builders. A handler returns a plain `{ status, headers, body }` description; `#send`
// writes it, which lets the 'drip' fault replay a normal answer slowly.

/** @typedef {{ status: number, headers?: Record<string, string>, body?: string | Buffer }} Reply */

/** @returns {Reply} */
function jsonReply(status, value, headers = {}) {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: JSON.stringify(value) };
}

/** Musement's own error shape: `{"code": "…", "message": "…"}`. */
function apiError(status, code, message, headers = {}) {
  return jsonReply(status, { code, message }, headers);
}

/** The OAuth layer's error shape: `{"error": "…", "error_description": "…"}`. */
function oauthError(status, error, description, headers = {}) {
  return jsonReply(status, { error, error_description: description }, { 'cache-control': 'no-store', ...headers });
}

const NOT_FOUND = () => apiError(404, '404', 'Not found');

function methodNotAllowed(allow, message = 'Method not allowed') {
  return apiError(405, '405', message, { allow });
}

/** `Content-Type` is application/json, parameters such as charset allowed. */
function isJsonContentType(value) {
  if (typeof value !== 'string') return false;
  return value.split(';', 1)[0].trim().toLowerCase() === 'application/json';
}

/** Constant-time string comparison (hashing first makes the lengths equal). */
function safeEqual(a, b) {
  const digest = (s) => createHash('sha256').update(String(s)).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** A non-negative integer query parameter; `fallback` when absent, `null` when malformed. */
function intParam(params, name, fallback) {
  const raw = params.get(name);
  if (raw === null) return fallback;
  return /^\d{1,9}$/.test(raw) ? Number(raw) : null;
}

function isPositiveNumber(value) {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function isNonNegativeNumber(value) {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** Normalises a base path: leading slash, no trailing slash ('' means "the whole server"). */
function normaliseBasePath(basePath) {
  if (typeof basePath !== 'string') throw new TypeError('basePath must be a string');
  const trimmed = basePath.replace(/\/+$/, '');
  return trimmed === '' || trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** A 1 MiB JSON document: an object with one huge string field. */
function bigJson() {
  const head = '{"data":"';
  const tail = '"}';
  return head + 'x'.repeat(ONE_MIB - head.length - tail.length) + tail;
}

const HTML_ERROR_PAGE =
  '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n' +
  '<body><h1>502 Bad Gateway</h1><p>The upstream server returned an invalid response.</p>' +
  '<hr><address>nginx</address></body></html>\n';

// ---------------------------------------------------------------------------------------------
// The mock itself.

/**
 * A running mock server. Create it with {@link startMock}.
 *
 * Public state is live: `requests`, `counts` and `tokens` are the very objects the server updates,
 * and `reset()` empties them in place, so references taken by a test stay valid.
 */
class Mock {
  /** Origin, e.g. `http://127.0.0.1:41234`. */ url;
  /** `url` + basePath, e.g. `http://127.0.0.1:41234/api/v3`. */ baseUrl;
  /** The port actually bound. */ port;
  /** The accepted client_id. */ clientId;
  /** The accepted client_secret. */ clientSecret;

  /**
   * One record per request received under basePath or outside it (preflights included); requests
   * to the `/__mock/` control routes are not recorded, so test plumbing never pollutes it.
   * @type {{ method: string, path: string, query: string, headers: Record<string, string | string[]>, body: string, at: number }[]}
   */
  requests = [];

  /**
   * Counters. `loginAttempts`: every non-preflight request to /login (faulted ones included);
   * `logins`: tokens issued; `api`: catalog requests answered 2xx by the normal handler;
   * `unauthorized`: 401s sent on non-login routes under basePath (injected ones included).
   */
  counts = { loginAttempts: 0, logins: 0, api: 0, unauthorized: 0 };

  /** Every access_token ever issued, valid or not (for leak scans in tests). */
  tokens = [];

  #basePath;
  #expiresIn;
  #publicCatalog;
  #latencyMs;
  /** Live tokens: token -> expiry (ms since epoch). Revoked tokens are removed. */
  #live = new Map();
  /** Queued faults, FIFO: `{ route, mode, remaining, status?, retryAfter?, delayMs? }`. */
  #faults = [];
  #server;
  #sockets = new Set();
  #timers = new Set();
  /** Set once close() starts; the promise close() returns. */
  #closing = null;

  /** @internal Use {@link startMock}. */
  constructor(settings) {
    this.clientId = settings.clientId;
    this.clientSecret = settings.clientSecret;
    recordSecret(this.clientSecret);
    this.#basePath = settings.basePath;
    this.#expiresIn = settings.expiresIn;
    this.#publicCatalog = settings.publicCatalog;
    this.#latencyMs = settings.latencyMs;

    this.#server = http.createServer({ noDelay: true }, (req, res) => {
      this.#onRequest(req, res).catch((err) => this.#onInternalError(res, err));
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** @internal Binds the server; resolves once it listens. */
  async listen(port) {
    await new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, HOST, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.port = this.#server.address().port;
    this.url = `http://${HOST}:${this.port}`;
    this.baseUrl = this.url + this.#basePath;
    return this;
  }

  // --- Test controls ---------------------------------------------------------------------------

  /** Every token issued so far becomes invalid (401 on use). */
  revokeAll() {
    this.#live.clear();
  }

  /** Lifetime in seconds of tokens issued from now on. */
  setExpiresIn(seconds) {
    if (!isPositiveNumber(seconds)) throw new TypeError('expiresIn must be a positive number of seconds');
    this.#expiresIn = seconds;
  }

  /**
   * Changes settings at run time (the `POST /__mock/config` route calls this).
   * @param {{ expiresIn?: number, publicCatalog?: boolean, latencyMs?: number }} patch
   */
  configure(patch = {}) {
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
      throw new TypeError('config must be an object');
    }
    const { expiresIn, publicCatalog, latencyMs } = patch;
    // Validate everything first so a bad patch changes nothing.
    if (expiresIn !== undefined && !isPositiveNumber(expiresIn)) {
      throw new TypeError('expiresIn must be a positive number of seconds');
    }
    if (publicCatalog !== undefined && typeof publicCatalog !== 'boolean') {
      throw new TypeError('publicCatalog must be a boolean');
    }
    if (latencyMs !== undefined && !isNonNegativeNumber(latencyMs)) {
      throw new TypeError('latencyMs must be a non-negative number');
    }
    if (expiresIn !== undefined) this.#expiresIn = expiresIn;
    if (publicCatalog !== undefined) this.#publicCatalog = publicCatalog;
    if (latencyMs !== undefined) this.#latencyMs = latencyMs;
    return { expiresIn: this.#expiresIn, publicCatalog: this.#publicCatalog, latencyMs: this.#latencyMs };
  }

  /**
   * Queues a fault for the next `count` matching requests (matched after the header checks).
   * @param {{ route?: 'login' | 'api' | 'any', mode: string, count?: number, status?: number,
   *           retryAfter?: number | string, delayMs?: number }} spec
   */
  fault(spec) {
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
      throw new TypeError('fault spec must be an object');
    }
    const { route = 'any', mode, count = 1, status, retryAfter, delayMs } = spec;
    if (!FAULT_ROUTES.has(route)) throw new TypeError("fault route must be 'login', 'api' or 'any'");
    if (!FAULT_MODES.has(mode)) throw new TypeError(`fault mode must be one of: ${[...FAULT_MODES].join(', ')}`);
    if (!Number.isInteger(count) || count < 1) throw new TypeError('fault count must be a positive integer');
    if (status !== undefined && !(Number.isInteger(status) && status >= 200 && status <= 599)) {
      throw new TypeError('fault status must be an integer between 200 and 599');
    }
    if (retryAfter !== undefined && !isNonNegativeNumber(retryAfter) && typeof retryAfter !== 'string') {
      throw new TypeError('fault retryAfter must be a number of seconds or an HTTP-date string');
    }
    if (delayMs !== undefined && !isNonNegativeNumber(delayMs)) {
      throw new TypeError('fault delayMs must be a non-negative number');
    }
    this.#faults.push({ route, mode, remaining: count, status, retryAfter, delayMs });
  }

  /** Clears requests, counts and queued faults. Issued tokens stay valid. */
  reset() {
    this.requests.length = 0;
    for (const key of Object.keys(this.counts)) this.counts[key] = 0;
    this.#faults.length = 0;
  }

  /** Stops the server, destroying every open socket (hanging ones too). Idempotent. */
  close() {
    this.#closing ??= new Promise((resolve) => {
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
      this.#server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
    });
    return this.#closing;
  }

  // --- Request pipeline ------------------------------------------------------------------------

  async #onRequest(req, res) {
    const at = Date.now();
    let url;
    try {
      // Origin-form targets ('/path?q') are appended to our origin so that '//x' stays a path.
      const target = req.url ?? '/';
      url = target.startsWith('/') ? new URL(this.url + target) : new URL(target);
    } catch {
      return this.#send(res, null, apiError(400, '400', 'Bad request'));
    }
    const { body, tooLarge } = await readBody(req);
    if (this.#closing) return;

    const { pathname } = url;
    const control = pathname.startsWith(CONTROL_PREFIX);
    const path = control ? null : this.#relativePath(pathname);
    if (!control) {
      this.requests.push({
        method: req.method,
        path: path ?? pathname,
        query: url.search,
        headers: { ...req.headers },
        body,
        at,
      });
    }

    if (!control && this.#latencyMs > 0) {
      await this.#sleep(this.#latencyMs);
      if (this.#closing) return;
    }

    // Preflight: 204 on any path, no other checks.
    if (req.method === 'OPTIONS') return this.#send(res, null, { status: 204 });
    if (control) return this.#send(res, null, this.#control(req, pathname, body));
    if (path === null) return this.#send(res, null, NOT_FOUND());
    if (tooLarge) return this.#send(res, null, apiError(413, '413', 'Request body too large'));

    const route = path === '/login' ? 'login' : 'api';
    if (route === 'login') this.counts.loginAttempts++;

    // Header rules apply to every route under basePath, /login included.
    const application = req.headers['x-musement-application'];
    if (typeof application !== 'string' || application.trim() === '') {
      return this.#send(res, route, apiError(400, '2271', "The header 'x-musement-application' is mandatory"));
    }
    const version = req.headers['x-musement-version'];
    if (version !== undefined && !VERSION_PATTERN.test(version)) {
      return this.#send(res, route, apiError(400, '2272', 'Invalid x-musement-version header'));
    }

    const answer = () => (route === 'login' ? this.#login(req, body) : this.#catalog(req, path, url));
    const fault = this.#takeFault(route);
    if (fault) return this.#applyFault(req, res, route, fault, answer);
    return this.#send(res, route, answer());
  }

  /** The path relative to basePath ('/login'), or null when outside basePath. */
  #relativePath(pathname) {
    const base = this.#basePath;
    if (pathname === base) return '/';
    if (pathname.startsWith(`${base}/`)) return pathname.slice(base.length);
    return null;
  }

  /** Removes one use of the first queued fault matching `route` (FIFO), if any. */
  #takeFault(route) {
    const index = this.#faults.findIndex((f) => f.route === 'any' || f.route === route);
    if (index === -1) return null;
    const fault = this.#faults[index];
    if (--fault.remaining === 0) this.#faults.splice(index, 1);
    return fault;
  }

  #applyFault(req, res, route, fault, answer) {
    const retryAfter = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
    switch (fault.mode) {
      case 'status': {
        const status = fault.status ?? 500;
        return this.#send(res, route, apiError(status, String(status), 'Injected failure', retryAfter));
      }
      case 'oauth':
        return this.#send(res, route, oauthError(fault.status ?? 400, 'invalid_grant', 'Injected OAuth failure', retryAfter));
      case 'hang':
        return undefined; // Never answer; close() destroys the socket.
      case 'reset':
        req.socket.destroy();
        return undefined;
      case 'malformed':
        return this.#send(res, route, {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: '{"access_token": "abc", "expires_in',
        });
      case 'html':
        return this.#send(res, route, {
          status: fault.status ?? 502,
          headers: { 'content-type': 'text/html; charset=utf-8', ...retryAfter },
          body: HTML_ERROR_PAGE,
        });
      case 'wrong-type':
        return this.#send(res, route, { status: 200, headers: { 'content-type': 'text/plain' }, body: 'OK' });
      case 'drip':
        return this.#send(res, route, answer(), fault.delayMs ?? 50);
      case 'big':
        return this.#send(res, route, { status: 200, headers: { 'content-type': 'application/json' }, body: bigJson() });
      default:
        throw new Error('unreachable: unknown fault mode');
    }
  }

  // --- Routes ----------------------------------------------------------------------------------

  /** POST /login (client_credentials). Never echoes a submitted value. */
  #login(req, body) {
    if (req.method === 'GET') return methodNotAllowed('POST, OPTIONS', 'GET /login is deprecated');
    if (req.method !== 'POST') return methodNotAllowed('POST, OPTIONS');
    if (!isJsonContentType(req.headers['content-type'])) {
      return oauthError(415, 'invalid_request', 'Content-Type must be application/json');
    }
    let params;
    try {
      params = JSON.parse(body);
    } catch {
      params = undefined;
    }
    if (params === null || typeof params !== 'object' || Array.isArray(params)) {
      return oauthError(400, 'invalid_request', 'The request body must be a JSON object');
    }
    for (const field of LOGIN_FIELDS) {
      const value = Object.hasOwn(params, field) ? params[field] : undefined;
      if (value === undefined || value === null) return oauthError(400, 'invalid_request', `Missing ${field}`);
      if (typeof value !== 'string') return oauthError(400, 'invalid_request', `Invalid ${field}: must be a string`);
    }
    if (params.grant_type !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', 'Only the client_credentials grant type is supported');
    }
    // Compare both, always, so timing does not tell which one was wrong.
    const idOk = safeEqual(params.client_id, this.clientId);
    const secretOk = safeEqual(params.client_secret, this.clientSecret);
    if (!(idOk && secretOk)) return oauthError(401, 'invalid_grant', 'Invalid client credentials');

    const token = randomBytes(20).toString('hex');
    this.tokens.push(token);
    recordSecret(token);
    this.#live.set(token, Date.now() + this.#expiresIn * 1000);
    this.counts.logins++;
    return jsonReply(
      200,
      { access_token: token, expires_in: this.#expiresIn, token_type: 'bearer', scope: null },
      { 'cache-control': 'no-store' },
    );
  }

  /** GET on a catalog collection, with bearer checks and limit/offset paging. */
  #catalog(req, path, url) {
    const items = CATALOG.get(path);
    if (!items) return NOT_FOUND();
    if (req.method !== 'GET') return methodNotAllowed('GET, OPTIONS');

    const authorization = req.headers.authorization;
    if (authorization === undefined) {
      if (!this.#publicCatalog) {
        return apiError(401, '1400', 'Authentication required', { 'www-authenticate': 'Bearer' });
      }
    } else if (!this.#isLive(authorization)) {
      return apiError(401, '1401', 'Invalid or expired access token', { 'www-authenticate': 'Bearer' });
    }

    const limit = intParam(url.searchParams, 'limit', DEFAULT_LIMIT);
    const offset = intParam(url.searchParams, 'offset', 0);
    if (limit === null || limit < 1) return apiError(400, '400', 'Invalid limit: expected an integer from 1 to 100');
    if (offset === null) return apiError(400, '400', 'Invalid offset: expected a non-negative integer');

    this.counts.api++;
    return jsonReply(200, items.slice(offset, offset + Math.min(limit, MAX_LIMIT)));
  }

  /** `Authorization` is exactly `Bearer <token>` with an issued, unrevoked, unexpired token. */
  #isLive(authorization) {
    if (!authorization.startsWith(TOKEN_PREFIX)) return false;
    const token = authorization.slice(TOKEN_PREFIX.length);
    const expiresAt = this.#live.get(token);
    if (expiresAt === undefined) return false;
    if (Date.now() < expiresAt) return true;
    this.#live.delete(token);
    return false;
  }

  /** The `/__mock/` control routes. */
  #control(req, pathname, body) {
    const name = pathname.slice(CONTROL_PREFIX.length);
    const routes = {
      state: ['GET', () => jsonReply(200, { ...this.counts, requests: this.requests.length })],
      tokens: ['GET', () => jsonReply(200, { tokens: [...this.tokens] })],
      revoke: ['POST', () => (this.revokeAll(), jsonReply(200, { ok: true }))],
      config: ['POST', () => jsonReply(200, { ok: true, config: this.configure(parseJsonBody(body)) })],
      fault: ['POST', () => (this.fault(parseJsonBody(body)), jsonReply(200, { ok: true }))],
      reset: ['POST', () => (this.reset(), jsonReply(200, { ok: true }))],
    };
    if (!Object.hasOwn(routes, name)) return NOT_FOUND();
    const [method, handle] = routes[name];
    if (req.method !== method) return methodNotAllowed(`${method}, OPTIONS`);
    try {
      return handle();
    } catch (err) {
      if (err instanceof TypeError || err instanceof SyntaxError) return apiError(400, '400', err.message);
      throw err;
    }
  }

  // --- Output ----------------------------------------------------------------------------------

  /**
   * Writes a reply with the CORS headers. With `dripMs`, the headers go out at once and the body
   * follows one byte every `dripMs` milliseconds.
   * @param {'login' | 'api' | null} route used for the `unauthorized` counter
   * @param {Reply} reply
   */
  #send(res, route, { status, headers = {}, body = '' }, dripMs) {
    if (this.#closing || res.destroyed) return;
    if (route === 'api' && status === 401) this.counts.unauthorized++;
    const bytes = Buffer.from(body);
    const allHeaders = { ...CORS_HEADERS, ...headers };
    if (status !== 204 && status !== 304) allHeaders['content-length'] = String(bytes.length);
    res.writeHead(status, allHeaders);
    if (dripMs === undefined || bytes.length === 0) {
      res.end(bytes);
      return;
    }
    res.flushHeaders();
    let next = 0;
    const step = () => {
      if (res.destroyed) return;
      res.write(bytes.subarray(next, next + 1));
      next += 1;
      if (next < bytes.length) this.#later(dripMs, step);
      else res.end();
    };
    this.#later(dripMs, step);
  }

  #onInternalError(res, err) {
    // Only the stack of the mock's own code; it never holds tokens or secrets.
    process.stderr.write(`[musement-mock] internal error: ${err?.stack ?? err}\n`);
    if (!res.headersSent) this.#send(res, null, apiError(500, '500', 'Mock internal error'));
    else res.destroy();
  }

  /** A setTimeout that close() cancels. Does nothing once closing. */
  #later(ms, fn) {
    if (this.#closing) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, Math.min(ms, MAX_TIMER_MS));
    this.#timers.add(timer);
  }

  /** Resolves after `ms`, or never if the mock closes first (the socket is gone by then). */
  #sleep(ms) {
    return new Promise((resolve) => this.#later(ms, resolve));
  }
}

/** Reads the whole request body as UTF-8, refusing (but draining) anything over the limit. */
function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    const done = () => resolve({ body: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), tooLarge });
    req.on('end', done);
    req.on('error', done);
    req.on('close', done); // Aborted uploads: resolve anyway, the first call wins.
  });
}

/** Parses a control-route body; an empty body means `{}`. Throws SyntaxError when malformed. */
function parseJsonBody(body) {
  return body.trim() === '' ? {} : JSON.parse(body);
}

// ---------------------------------------------------------------------------------------------
// Public entry point.

/**
 * Starts a mock Musement API on 127.0.0.1.
 *
 * @param {object} [options]
 * @param {number} [options.port=0] 0 picks a free port
 * @param {string} [options.basePath='/api/v3']
 * @param {string} [options.clientId='test-client-id']
 * @param {string} [options.clientSecret='test-secret-s3cr3t-value']
 * @param {number} [options.expiresIn=3600] token lifetime in seconds (any positive number)
 * @param {boolean} [options.publicCatalog=false] catalog routes also answer without Authorization
 * @param {number} [options.latencyMs=0] delay before answering every request
 * @returns {Promise<Mock>}
 */
export async function startMock(options = {}) {
  const {
    port = 0,
    basePath = '/api/v3',
    clientId = 'test-client-id',
    clientSecret = 'test-secret-s3cr3t-value',
    expiresIn = 3600,
    publicCatalog = false,
    latencyMs = 0,
  } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError('port must be an integer from 0 to 65535');
  if (typeof clientId !== 'string' || typeof clientSecret !== 'string') {
    throw new TypeError('clientId and clientSecret must be strings');
  }
  if (!isPositiveNumber(expiresIn)) throw new TypeError('expiresIn must be a positive number of seconds');
  if (typeof publicCatalog !== 'boolean') throw new TypeError('publicCatalog must be a boolean');
  if (!isNonNegativeNumber(latencyMs)) throw new TypeError('latencyMs must be a non-negative number');

  const mock = new Mock({
    basePath: normaliseBasePath(basePath),
    clientId,
    clientSecret,
    expiresIn,
    publicCatalog,
    latencyMs,
  });
  return mock.listen(port);
}

// ---------------------------------------------------------------------------------------------
// Command line.

/** Parses a numeric CLI flag without echoing its value in errors. */
function numberFlag(values, name, fallback, check) {
  if (values[name] === undefined) return fallback;
  const value = Number(values[name]);
  if (values[name].trim() === '' || !check(value)) throw new TypeError(`--${name}: invalid value`);
  return value;
}

async function main(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      'expires-in': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'base-path': { type: 'string' },
      'latency-ms': { type: 'string' },
      'public-catalog': { type: 'boolean', default: false },
      ttl: { type: 'string' },
      'exit-with-stdin': { type: 'boolean', default: false },
    },
  });
  const ttlSeconds = numberFlag(values, 'ttl', 900, isPositiveNumber);
  const mock = await startMock({
    port: numberFlag(values, 'port', 0, (n) => Number.isInteger(n) && n >= 0 && n <= 65535),
    expiresIn: numberFlag(values, 'expires-in', undefined, isPositiveNumber),
    latencyMs: numberFlag(values, 'latency-ms', undefined, isNonNegativeNumber),
    clientId: values['client-id'],
    clientSecret: values['client-secret'],
    basePath: values['base-path'],
    publicCatalog: values['public-catalog'],
  });
  // The one line of output; never the credentials.
  process.stdout.write(`${JSON.stringify({ url: mock.url, baseUrl: mock.baseUrl, port: mock.port })}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearTimeout(ttlTimer);
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    process.stdin.off('end', stop).off('close', stop);
    await mock.close();
    if (values['exit-with-stdin']) process.stdin.destroy();
    // Everything is closed, so the process exits by itself; this is only a safety net.
    setTimeout(() => process.exit(0), 1000).unref();
  };
  const ttlTimer = setTimeout(stop, Math.min(ttlSeconds * 1000, MAX_TIMER_MS));
  ttlTimer.unref(); // The listening server keeps the process alive, not this timer.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (values['exit-with-stdin']) {
    process.stdin.on('end', stop).on('close', stop);
    process.stdin.resume();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`musement-mock: ${err?.message ?? err}\n`);
    process.exit(2);
  });
}
