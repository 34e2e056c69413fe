//! `fetch`, the global one or the caller's, with a deadline on every attempt, and the caller's
//! `AbortSignal` honoured throughout. Each attempt is assembled by js/http.js in one call.

use crate::error::Error;
use crate::headers;
use crate::response::MAX_BODY_BYTES;
use crate::secret::Secret;
use crate::transport::{LoginRequest, Reply, Transport};
use crate::url::{resolve, BaseUrl, Target};
use crate::wasm::clock::deferred;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::Poll;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortSignal, AddEventListenerOptions, ReadableStreamDefaultReader, Request, Response,
};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = String)]
    fn js_string(value: &JsValue) -> String;
}

#[wasm_bindgen(module = "/js/http.js")]
extern "C" {
    /// One attempt: the request assembled and sent in JavaScript (see js/http.js).
    #[wasm_bindgen(catch)]
    fn attempt(
        fetch: &JsValue,
        input: &JsValue,
        init: &JsValue,
        defaults: &JsValue,
        authorization: &JsValue,
        deadline: &JsValue,
    ) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = deadline)]
    fn new_deadline(timeout_ms: u32, caller: Option<AbortSignal>) -> JsValue;
    #[wasm_bindgen(js_name = timedOut)]
    fn timed_out(deadline: &JsValue) -> bool;
    fn release(deadline: &JsValue);
}

fn key(name: &str) -> JsValue {
    JsValue::from_str(name)
}

/// A request, prepared once and sendable more than once.
pub struct JsRequest {
    /// The resolved URL (a string), a URL of another origin as given, or a `Request`.
    input: JsValue,
    /// The caller's `init`, or `undefined`; each attempt sends a copy with its own headers.
    init: JsValue,
    /// Whether the request goes to the API's origin and so gets the client's headers.
    api: bool,
    replayable: bool,
    idempotent: bool,
    signal: Option<AbortSignal>,
}

impl JsRequest {
    /// The caller's `AbortSignal`, if any.
    pub fn signal(&self) -> Option<&AbortSignal> {
        self.signal.as_ref()
    }

    /// Whether the request goes to the API's origin.
    pub fn is_api(&self) -> bool {
        self.api
    }
}

/// A response and the deadline of the attempt that got it, which also bounds reading the body.
pub struct JsResponse {
    pub response: Response,
    pub deadline: Deadline,
}

/// Whether a body can be sent twice: anything but a stream.
fn replayable_body(body: &JsValue) -> bool {
    if body.is_undefined() || body.is_null() || body.is_string() {
        return true;
    }
    !Reflect::get(body, &key("getReader")).is_ok_and(|f| f.is_function())
}

fn is_idempotent(method: &str) -> bool {
    method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD")
}

/// Turns `fetch(input, init)` arguments into a request: the target is resolved against the
/// base URL; whether it is an API request decides, at each attempt, whether it gets the
/// client's default headers (the caller's win) and the client's `Authorization`.
pub fn prepare(base: &BaseUrl, input: &JsValue, init: Option<&Object>) -> Result<JsRequest, Error> {
    let bad = |problem| Error::InvalidRequest { problem };
    let signal = init
        .and_then(|init| Reflect::get(init, &key("signal")).ok())
        .and_then(|s| s.dyn_into::<AbortSignal>().ok());
    if let Some(request) = input.dyn_ref::<Request>() {
        let empty = Object::new();
        let request =
            Request::new_with_request_and_init(request, init.unwrap_or(&empty).unchecked_ref())
                .map_err(|_| bad("the Request could not be built from input and init"))?;
        // The caller's signal is the one the Request carries (init's, if init had one).
        let signal = Some(request.signal());
        return Ok(JsRequest {
            api: matches!(resolve(base, &request.url()), Target::Api(_)),
            idempotent: is_idempotent(&request.method()),
            input: request.into(),
            init: JsValue::UNDEFINED,
            // Each attempt sends a clone, so the request can always be sent again.
            replayable: true,
            signal,
        });
    }
    let url = if let Some(s) = input.as_string() {
        s
    } else if input.is_object() {
        js_string(input)
    } else {
        return Err(bad("input must be a path, a URL or a Request"));
    };
    let field = |name| init.and_then(|init| Reflect::get(init, &key(name)).ok());
    let replayable = replayable_body(&field("body").unwrap_or_default());
    let idempotent = field("method")
        .and_then(|m| m.as_string())
        .is_none_or(|m| is_idempotent(&m));
    let (input, api) = match resolve(base, &url) {
        Target::Api(resolved) => (JsValue::from(resolved), true),
        Target::Foreign => (input.clone(), false),
    };
    Ok(JsRequest {
        input,
        init: init.map_or(JsValue::UNDEFINED, |i| i.into()),
        api,
        replayable,
        idempotent,
        signal,
    })
}

/// Aborts an attempt after `timeoutMs` (see js/http.js), or when the caller's signal fires;
/// its signal goes to `fetch`, so it also ends the reading of the body.
pub struct Deadline {
    js: JsValue,
    caller: Option<AbortSignal>,
    timeout_ms: u32,
}

impl Deadline {
    fn new(timeout_ms: u32, caller: Option<&AbortSignal>) -> Deadline {
        Deadline {
            js: new_deadline(timeout_ms, caller.cloned()),
            caller: caller.cloned(),
            timeout_ms,
        }
    }

    /// What a failure during the attempt means: a timeout, the caller's abort, or `otherwise`.
    pub fn explain(&self, otherwise: impl FnOnce() -> Error) -> Error {
        if timed_out(&self.js) {
            Error::Timeout {
                after_ms: self.timeout_ms,
            }
        } else if self.caller.as_ref().is_some_and(AbortSignal::aborted) {
            Error::Aborted
        } else {
            otherwise()
        }
    }

    fn error(&self, thrown: &JsValue) -> Error {
        self.explain(|| Error::NetworkError {
            detail: describe(thrown),
        })
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        release(&self.js);
    }
}

/// Runs `future` until it ends or `signal` aborts, whichever comes first; an abort drops the
/// future (and with it any wait for a shared login, which goes on for its other callers).
pub async fn until_aborted<T>(
    signal: Option<&AbortSignal>,
    future: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let Some(signal) = signal else {
        return future.await;
    };
    if signal.aborted() {
        return Err(Error::Aborted);
    }
    let (aborted, resolve) = deferred();
    let listener = Closure::once(move || {
        let _ = resolve.call0(&JsValue::UNDEFINED);
    });
    let options = AddEventListenerOptions::new();
    options.set_once(true);
    let _ = signal.add_event_listener_with_callback_and_add_event_listener_options(
        "abort",
        listener.as_ref().unchecked_ref(),
        &options,
    );
    let mut future = pin!(future);
    let mut aborted = JsFuture::from(aborted);
    let outcome = poll_fn(|cx| {
        if let Poll::Ready(outcome) = future.as_mut().poll(cx) {
            return Poll::Ready(outcome);
        }
        match Pin::new(&mut aborted).poll(cx) {
            Poll::Ready(_) => Poll::Ready(Err(Error::Aborted)),
            Poll::Pending => Poll::Pending,
        }
    })
    .await;
    let _ = signal.remove_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
    outcome
}

/// `message` of a thrown value, with its `cause`'s (Node puts `ECONNREFUSED` there).
fn describe(thrown: &JsValue) -> String {
    let message = |v: &JsValue| {
        Reflect::get(v, &key("message"))
            .ok()
            .and_then(|m| m.as_string())
    };
    let mut text = message(thrown).unwrap_or_else(|| "fetch failed".into());
    if let Some(cause) = Reflect::get(thrown, &key("cause"))
        .ok()
        .filter(|c| c.is_object())
    {
        if let Some(detail) = message(&cause).filter(|d| !d.is_empty()) {
            text.push_str(": ");
            text.push_str(&detail);
        }
    }
    text
}

/// Reads a body as text, at most `MAX_BODY_BYTES + 1` bytes of it: one byte more than any
/// parser accepts, so that an oversized body is seen as such, and no more is buffered.
async fn bounded_text(response: &Response, deadline: &Deadline) -> Result<String, Error> {
    let Some(body) = response.body() else {
        return Ok(String::new());
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| deadline.error(&e))?;
        if Reflect::get(&chunk, &key("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true)
        {
            break;
        }
        let value = Reflect::get(&chunk, &key("value")).unwrap_or_default();
        let Some(array) = value.dyn_ref::<Uint8Array>() else {
            break;
        };
        let room = MAX_BODY_BYTES + 1 - bytes.len();
        let take = (array.length() as usize).min(room);
        bytes.extend_from_slice(&array.subarray(0, take as u32).to_vec());
        if bytes.len() > MAX_BODY_BYTES {
            let _ = reader.cancel();
            break;
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn retry_after_of(response: &Response) -> Option<String> {
    response.headers().get("retry-after").ok().flatten()
}

/// A flat `[name, value, …]` array of headers, made once.
pub fn header_array(headers: &[(&'static str, String)]) -> Array {
    headers
        .iter()
        .flat_map(|(name, value)| [JsValue::from_str(name), JsValue::from_str(value)])
        .collect()
}

/// The platform's HTTP.
pub struct JsTransport {
    /// The caller's `fetch`, or `undefined` for the global one.
    fetch: JsValue,
    timeout_ms: u32,
    /// The default headers of API requests and of `/login`, as JavaScript strings.
    defaults: JsValue,
    login_headers: JsValue,
    /// `Bearer <token>` as a JavaScript string, for the token it was made from.
    bearer: RefCell<Option<(Secret, JsValue)>>,
}

impl JsTransport {
    /// Uses `fetch` when given, the global `fetch` otherwise.
    pub fn new(
        fetch: Option<Function>,
        timeout_ms: u32,
        defaults: Array,
        login_headers: Array,
    ) -> Self {
        JsTransport {
            fetch: fetch.map_or(JsValue::UNDEFINED, JsValue::from),
            timeout_ms,
            defaults: defaults.into(),
            login_headers: login_headers.into(),
            bearer: RefCell::new(None),
        }
    }

    /// The `Authorization` value for `token`, converted to a JavaScript string once per token.
    fn authorization(&self, token: &Secret) -> JsValue {
        let mut cached = self.bearer.borrow_mut();
        match &*cached {
            Some((secret, value)) if secret == token => value.clone(),
            _ => {
                let value = JsValue::from_str(&headers::bearer(token));
                *cached = Some((token.clone(), value.clone()));
                value
            }
        }
    }

    async fn call(
        &self,
        input: &JsValue,
        init: &JsValue,
        defaults: &JsValue,
        authorization: &JsValue,
        deadline: &Deadline,
    ) -> Result<Response, Error> {
        let sent = attempt(
            &self.fetch,
            input,
            init,
            defaults,
            authorization,
            &deadline.js,
        );
        let result = match sent {
            Ok(promise) => JsFuture::from(promise).await,
            Err(thrown) => Err(thrown),
        };
        match result {
            Ok(value) => value
                .dyn_into::<Response>()
                .map_err(|_| Error::InvalidResponse {
                    context: "fetch result",
                    problem: "the fetch function did not resolve to a Response",
                }),
            Err(thrown) => Err(deadline.error(&thrown)),
        }
    }
}

impl Transport for JsTransport {
    type Request = JsRequest;
    type Response = JsResponse;

    async fn login(&self, request: &LoginRequest) -> Result<Reply, Error> {
        let deadline = Deadline::new(self.timeout_ms, None);
        let init = Object::new();
        let _ = Reflect::set(&init, &key("method"), &key("POST"));
        let _ = Reflect::set(
            &init,
            &key("body"),
            &JsValue::from_str(request.body.expose()),
        );
        let url = JsValue::from_str(&request.url);
        let response = self
            .call(&url, &init, &self.login_headers, &JsValue::NULL, &deadline)
            .await?;
        let body = bounded_text(&response, &deadline).await?;
        Ok(Reply {
            status: response.status(),
            retry_after: retry_after_of(&response),
            body,
        })
    }

    async fn send(&self, request: &JsRequest, token: Option<&Secret>) -> Result<JsResponse, Error> {
        let deadline = Deadline::new(self.timeout_ms, request.signal.as_ref());
        let (defaults, authorization) = match (request.api, token) {
            (true, Some(token)) => (self.defaults.clone(), self.authorization(token)),
            (true, None) => (self.defaults.clone(), JsValue::NULL),
            (false, _) => (JsValue::NULL, JsValue::NULL),
        };
        let response = self
            .call(
                &request.input,
                &request.init,
                &defaults,
                &authorization,
                &deadline,
            )
            .await?;
        Ok(JsResponse { response, deadline })
    }

    fn status(&self, response: &JsResponse) -> u16 {
        response.response.status()
    }

    fn replayable(&self, request: &JsRequest) -> bool {
        request.replayable
    }

    fn idempotent(&self, request: &JsRequest) -> bool {
        request.idempotent
    }

    fn retry_after(&self, response: &JsResponse) -> Option<String> {
        retry_after_of(&response.response)
    }

    async fn error_text(&self, response: JsResponse) -> String {
        bounded_text(&response.response, &response.deadline)
            .await
            .unwrap_or_default()
    }

    fn discard(&self, response: JsResponse) {
        if let Some(body) = response.response.body() {
            let _ = body.cancel();
        }
    }
}
