//! The JavaScript surface: `MusementClient`, with the names DESIGN.md fixes.

use crate::client::{Core, Stats};
use crate::error::Error;
use crate::headers;
use crate::token::TokenInfo;
use crate::transport::Transport;
use crate::wasm::cache::JsTokenCache;
use crate::wasm::clock::JsClock;
use crate::wasm::error::to_js;
use crate::wasm::options;
use crate::wasm::transport::{
    header_array, prepare, until_aborted, JsRequest, JsResponse, JsTransport,
};
use js_sys::{Object, Promise, Reflect};
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Options of `new MusementClient(options)`. */
export interface MusementClientOptions {
  /** The API root, e.g. `https://sandbox.musement.com/api/v3`. https, except for loopback hosts. */
  baseUrl: string;
  /** Sent as `X-Musement-Application` on every request. */
  application: string;
  /** With `clientSecret`: the partner credentials. Leave both out for public catalog reads. */
  clientId?: string;
  /** Never put this in code that reaches a browser. */
  clientSecret?: string;
  /** Default `"client_credentials"`. */
  grantType?: string;
  /** `X-Musement-Version`, default `"3.4.0"`. */
  version?: string;
  /** Default `Accept-Language`, e.g. `"en-US"`. */
  language?: string;
  /** Default `X-Musement-Currency`, e.g. `"EUR"`. */
  currency?: string;
  /** Default `X-Musement-Market`, e.g. `"us"`. */
  market?: string;
  /** A token counts as expired this many seconds before `expires_in` runs out. Default 60. */
  refreshMarginSeconds?: number;
  /** The limit for each HTTP attempt, login included, in ms. Default 10000. */
  timeoutMs?: number;
  /**
   * How often a failed login (429, 5xx, network error) or GET/HEAD (429, 503, network error)
   * is tried again, with exponential backoff and jitter, honouring `Retry-After`. Default 2.
   */
  maxRetries?: number;
  /**
   * Shares one token between clients with the same credentials, e.g. a Workers KV namespace:
   * anything with `get(key)` and `put(key, value, { expirationTtl })`. It holds the token.
   */
  tokenCache?: MusementTokenCache;
  /** Replaces the global `fetch`. */
  fetch?: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  /** Refuse a `clientSecret` in a browser page unless this is true. Default false. */
  dangerouslyAllowBrowser?: boolean;
}

/** What `tokenCache` must offer; a Workers KV namespace binding already does. */
export interface MusementTokenCache {
  get(key: string): Promise<string | null> | string | null | undefined;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<unknown> | unknown;
}

/** What is known about the current token; never the token itself. */
export interface TokenInfo {
  /** When the token expires, in ms since the epoch. */
  expiresAt: number;
  /** The lifetime the server gave, in seconds. */
  expiresIn: number;
  /** `token_type` as the server wrote it. */
  tokenType: string;
  /** `scope`, or null. */
  scope: string | null;
}

/** Counters since construction. */
export interface MusementStats {
  logins: number;
  retries: number;
  cacheHits: number;
}

/** The stable codes of `MusementError`. */
export type MusementErrorCode =
  | "invalid_options" | "insecure_url" | "browser_secret" | "login_failed" | "invalid_response"
  | "unauthorized" | "http_error" | "network_error" | "timeout" | "invalid_request" | "disposed";
"#;

type JsCore = Core<JsTransport, JsClock, JsTokenCache>;

/// A Musement API client: logs in when needed and attaches the headers and the token.
#[wasm_bindgen]
#[derive(Debug)]
pub struct MusementClient {
    core: Rc<JsCore>,
}

fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

fn token_info_js(info: &TokenInfo) -> JsValue {
    let object = Object::new();
    set(&object, "expiresAt", &info.expires_at_ms.into());
    set(&object, "expiresIn", &info.expires_in_s.into());
    set(&object, "tokenType", &JsValue::from_str(&info.token_type));
    set(
        &object,
        "scope",
        &info
            .scope
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str),
    );
    object.into()
}

fn stats_js(stats: Stats) -> JsValue {
    let object = Object::new();
    set(&object, "logins", &stats.logins.into());
    set(&object, "retries", &stats.retries.into());
    set(&object, "cacheHits", &stats.cache_hits.into());
    object.into()
}

/// A promise of `future`, rejected with a `MusementError` (or, when the caller aborted, with
/// the reason of the caller's signal).
fn promise(
    future: impl Future<Output = Result<JsValue, (Error, Option<JsValue>)>> + 'static,
) -> Promise {
    future_to_promise(async move {
        future
            .await
            .map_err(|(error, reason)| match (error, reason) {
                (Error::Aborted, Some(reason)) => reason,
                (error, _) => to_js(&error),
            })
    })
}

impl MusementClient {
    /// Sends `input`/`init` through the client: API requests with headers and token, others
    /// untouched.
    ///
    /// The caller's `AbortSignal` ends the whole call, a wait for a shared login included.
    async fn send(core: &JsCore, request: &JsRequest) -> Result<JsResponse, Error> {
        core.check_live()?;
        until_aborted(request.signal(), async {
            if request.is_api() {
                core.send(request).await
            } else {
                core.transport().send(request, None).await
            }
        })
        .await
    }

    fn prepare(&self, input: &JsValue, init: Option<&Object>) -> Result<JsRequest, Error> {
        prepare(&self.core.options().base, input, init)
    }
}

/// The abort reason to reject with, when the caller's signal fired.
fn reason(request: &JsRequest) -> Option<JsValue> {
    request.signal().filter(|s| s.aborted()).map(|s| s.reason())
}

#[wasm_bindgen]
impl MusementClient {
    /// Validates `options`; throws `MusementError` (`invalid_options`, `insecure_url`,
    /// `browser_secret`) naming the option at fault.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "MusementClientOptions")] options: JsValue,
    ) -> Result<MusementClient, JsValue> {
        let read = options::read(&options).map_err(|e| to_js(&e))?;
        let transport = JsTransport::new(
            read.fetch,
            read.options.timeout_ms,
            header_array(&headers::defaults(&read.options)),
            header_array(&headers::login(&read.options)),
        );
        let cache = JsTokenCache::new(read.token_cache, read.options.timeout_ms);
        Ok(MusementClient {
            core: Core::new(read.options, transport, JsClock, cache),
        })
    }

    /// Logs in now with `POST /login` and keeps the token.
    #[wasm_bindgen(unchecked_return_type = "Promise<TokenInfo>")]
    pub fn login(&self) -> Promise {
        let core = self.core.clone();
        promise(async move {
            core.login()
                .await
                .map(|info| token_info_js(&info))
                .map_err(|e| (e, None))
        })
    }

    /// A valid access token, logging in only when needed. Handle it like the secret it is.
    #[wasm_bindgen(js_name = accessToken, unchecked_return_type = "Promise<string>")]
    pub fn access_token(&self) -> Promise {
        let core = self.core.clone();
        promise(async move {
            core.access_token()
                .await
                .map(|t| JsValue::from_str(t.expose()))
                .map_err(|e| (e, None))
        })
    }

    /// `fetch` with the Musement headers and the token attached; resolves to the real
    /// `Response`, whatever its status (a second 401 rejects with `unauthorized`).
    #[wasm_bindgen(unchecked_return_type = "Promise<Response>")]
    pub fn fetch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RequestInfo | URL")] input: JsValue,
        #[wasm_bindgen(unchecked_param_type = "RequestInit")] init: Option<Object>,
    ) -> Promise {
        let core = self.core.clone();
        let request = self.prepare(&input, init.as_ref());
        promise(async move {
            let request = request.map_err(|e| (e, None))?;
            match Self::send(&core, &request).await {
                // The body is the caller's now: the attempt's deadline no longer bounds it.
                Ok(JsResponse { response, .. }) => Ok(response.into()),
                Err(e) => Err((e, reason(&request))),
            }
        })
    }

    /// The parsed JSON body of a 2xx answer; any other status rejects with `http_error`
    /// (`unauthorized` for 401), carrying `status` and `musementCode`.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn json(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RequestInfo | URL")] input: JsValue,
        #[wasm_bindgen(unchecked_param_type = "RequestInit")] init: Option<Object>,
    ) -> Promise {
        let core = self.core.clone();
        let request = self.prepare(&input, init.as_ref());
        promise(async move {
            let request = request.map_err(|e| (e, None))?;
            let fail = |e: Error| (e, reason(&request));
            let answer = Self::send(&core, &request).await.map_err(fail)?;
            let status = answer.response.status();
            if !(200..300).contains(&status) {
                let body = core.transport().error_text(answer).await;
                return Err(fail(core.api_error(status, &body)));
            }
            if status == 204 || status == 205 {
                return Ok(JsValue::NULL);
            }
            // Reading the body is part of the attempt: its deadline and the caller's signal
            // still apply.
            let not_json = || Error::InvalidResponse {
                context: "API response",
                problem: "the body is not JSON",
            };
            let parsed = answer.response.json().map_err(|_| fail(not_json()))?;
            JsFuture::from(parsed)
                .await
                .map_err(|_| fail(answer.deadline.explain(not_json)))
        })
    }

    /// What is known of the current token, or `undefined` when there is no valid one.
    #[wasm_bindgen(getter = tokenInfo, unchecked_return_type = "TokenInfo | undefined")]
    pub fn token_info(&self) -> JsValue {
        self.core
            .token_info()
            .map_or(JsValue::UNDEFINED, |info| token_info_js(&info))
    }

    /// Counters since construction.
    #[wasm_bindgen(getter, unchecked_return_type = "MusementStats")]
    pub fn stats(&self) -> JsValue {
        stats_js(self.core.stats())
    }

    /// Forgets the token now; the next call logs in again.
    #[wasm_bindgen(js_name = clearToken)]
    pub fn clear_token(&self) {
        self.core.clear_token();
    }

    /// Clears the token and the timers; the client must not be used afterwards.
    pub fn dispose(&self) {
        self.core.dispose();
    }

    /// What `JSON.stringify(client)` shows: the configuration and state, never a secret.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "{ baseUrl: string; application: string; authenticated: boolean; tokenInfo?: TokenInfo; stats: MusementStats }")]
    pub fn to_json(&self) -> JsValue {
        let options = self.core.options();
        let object = Object::new();
        set(&object, "baseUrl", &JsValue::from_str(&options.base.base));
        set(
            &object,
            "application",
            &JsValue::from_str(&options.application),
        );
        set(
            &object,
            "authenticated",
            &options.credentials.is_some().into(),
        );
        set(&object, "tokenInfo", &self.token_info());
        set(&object, "stats", &self.stats());
        object.into()
    }
}
