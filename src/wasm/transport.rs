//! `fetch`, the global one or the caller's, with a deadline on every attempt, and the caller's
//! `AbortSignal` honoured throughout.

use crate::error::Error;
use crate::headers::{self, HeaderMap};
use crate::response::MAX_BODY_BYTES;
use crate::secret::Secret;
use crate::transport::{LoginRequest, Reply, Transport};
use crate::url::{resolve, BaseUrl, Target};
use crate::wasm::clock::{deferred, JsTimer};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::Poll;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, AbortSignal, AddEventListenerOptions, Headers, ReadableStreamDefaultReader,
    Request, Response,
};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(input: &JsValue, init: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = AbortSignal, js_name = any)]
    fn abort_signal_any(signals: &Array) -> AbortSignal;
    #[wasm_bindgen(js_name = String)]
    fn js_string(value: &JsValue) -> String;
}

fn key(name: &str) -> JsValue {
    JsValue::from_str(name)
}

/// A JavaScript `Headers` object, as the header rules see it.
impl HeaderMap for Headers {
    fn has(&self, name: &str) -> bool {
        Headers::has(self, name).unwrap_or(false)
    }
    fn set(&mut self, name: &str, value: &str) {
        let _ = Headers::set(self, name, value);
    }
    fn remove(&mut self, name: &str) {
        let _ = Headers::delete(self, name);
    }
}

/// What a caller's `input` and `init` became.
pub enum Input {
    /// A URL (string or `URL`) and a copy of `init`.
    Url { url: JsValue, init: Object },
    /// A `Request`, kept unsent so that each attempt sends a clone.
    Request(Request),
}

/// A request, prepared once and sendable more than once.
pub struct JsRequest {
    input: Input,
    /// The headers each attempt sends; `None` for another origin, whose request is untouched.
    headers: Option<Headers>,
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
        self.headers.is_some()
    }
}

/// A response and the deadline of the attempt that got it, which still bounds reading the
/// body; dropping the deadline leaves the body to the caller, unbounded.
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
/// base URL, and API requests get the client's default headers (the caller's win) and lose
/// any `Authorization` of the caller's.
pub fn prepare(
    base: &BaseUrl,
    defaults: &[(&'static str, String)],
    input: &JsValue,
    init: Option<&Object>,
) -> Result<JsRequest, Error> {
    let bad = |problem| Error::InvalidRequest { problem };
    let init = init.cloned().unwrap_or_default();
    let signal = Reflect::get(&init, &key("signal"))
        .ok()
        .and_then(|s| s.dyn_into::<AbortSignal>().ok());
    if let Some(request) = input.dyn_ref::<Request>() {
        let request = Request::new_with_request_and_init(request, init.unchecked_ref())
            .map_err(|_| bad("the Request could not be built from input and init"))?;
        let headers = match resolve(base, &request.url()) {
            Target::Api(_) => {
                let mut headers = request.headers();
                headers::apply_defaults(&mut headers, defaults);
                Some(headers)
            }
            Target::Foreign => None,
        };
        // Each attempt sends a clone, so the request can always be sent again.
        return Ok(JsRequest {
            idempotent: is_idempotent(&request.method()),
            input: Input::Request(request),
            headers,
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
    let init = Object::assign(&Object::new(), &init);
    let replayable = replayable_body(&Reflect::get(&init, &key("body")).unwrap_or_default());
    let method = Reflect::get(&init, &key("method"))
        .ok()
        .and_then(|m| m.as_string());
    let idempotent = method.as_deref().is_none_or(is_idempotent);
    let (url, headers) = match resolve(base, &url) {
        Target::Api(resolved) => {
            let given = Reflect::get(&init, &key("headers")).unwrap_or_default();
            let mut headers = if given.is_undefined() || given.is_null() {
                Headers::new()
            } else {
                Headers::new_with_str_sequence_sequence(&given)
            }
            .map_err(|_| bad("init.headers is not a valid set of headers"))?;
            headers::apply_defaults(&mut headers, defaults);
            let _ = Reflect::set(&init, &key("headers"), &headers);
            (JsValue::from(resolved), Some(headers))
        }
        Target::Foreign => (input.clone(), None),
    };
    Ok(JsRequest {
        input: Input::Url { url, init },
        headers,
        replayable,
        idempotent,
        signal,
    })
}

/// Aborts an attempt after `timeoutMs`, or when the caller's signal fires; its signal goes to
/// `fetch`, so it also ends the reading of the body.
pub struct Deadline {
    timed_out: Rc<Cell<bool>>,
    _timer: Option<JsTimer>,
    signal: AbortSignal,
    caller: Option<AbortSignal>,
    timeout_ms: u32,
}

impl Deadline {
    fn new(timeout_ms: u32, caller: Option<&AbortSignal>) -> Result<Deadline, Error> {
        let controller = AbortController::new().map_err(|_| Error::NetworkError {
            detail: "AbortController is unavailable".into(),
        })?;
        let timed_out = Rc::new(Cell::new(false));
        let timer = {
            let (controller, timed_out) = (controller.clone(), timed_out.clone());
            JsTimer::start(
                f64::from(timeout_ms),
                Box::new(move || {
                    timed_out.set(true);
                    controller.abort();
                }),
            )
        };
        let signal = match caller {
            Some(caller) => abort_signal_any(&Array::of2(caller, &controller.signal())),
            None => controller.signal(),
        };
        Ok(Deadline {
            timed_out,
            _timer: timer,
            signal,
            caller: caller.cloned(),
            timeout_ms,
        })
    }

    /// What a failure during the attempt (`thrown`) means: a timeout, the caller's abort, or
    /// `otherwise`.
    pub fn explain(&self, otherwise: impl FnOnce() -> Error) -> Error {
        if self.timed_out.get() {
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

/// The platform's HTTP.
pub struct JsTransport {
    fetch: Option<Function>,
    timeout_ms: u32,
}

impl JsTransport {
    /// Uses `fetch` when given, the global `fetch` otherwise.
    pub fn new(fetch: Option<Function>, timeout_ms: u32) -> Self {
        JsTransport { fetch, timeout_ms }
    }

    async fn call(
        &self,
        input: &JsValue,
        init: &JsValue,
        deadline: &Deadline,
    ) -> Result<Response, Error> {
        let promise = match &self.fetch {
            Some(f) => f
                .call2(&JsValue::UNDEFINED, input, init)
                .map(|v| Promise::resolve(&v)),
            None => global_fetch(input, init),
        };
        let result = match promise {
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
        let deadline = Deadline::new(self.timeout_ms, None)?;
        let mut headers = Headers::new().map_err(|_| Error::NetworkError {
            detail: "Headers is unavailable".into(),
        })?;
        for (name, value) in &request.headers {
            HeaderMap::set(&mut headers, name, value);
        }
        let init = Object::new();
        let _ = Reflect::set(&init, &key("method"), &key("POST"));
        let _ = Reflect::set(&init, &key("headers"), &headers);
        let _ = Reflect::set(
            &init,
            &key("body"),
            &JsValue::from_str(request.body.expose()),
        );
        let _ = Reflect::set(&init, &key("signal"), &deadline.signal);
        let response = self
            .call(&JsValue::from_str(&request.url), &init, &deadline)
            .await?;
        let body = bounded_text(&response, &deadline).await?;
        Ok(Reply {
            status: response.status(),
            retry_after: retry_after_of(&response),
            body,
        })
    }

    async fn send(&self, request: &JsRequest, token: Option<&Secret>) -> Result<JsResponse, Error> {
        let deadline = Deadline::new(self.timeout_ms, request.signal.as_ref())?;
        if let (Some(headers), Some(token)) = (&request.headers, token) {
            let _ = headers.set(headers::AUTHORIZATION, &headers::bearer(token));
        }
        let (input, init): (JsValue, Object) = match &request.input {
            Input::Url { url, init } => {
                let init = Object::assign(&Object::new(), init);
                let _ = Reflect::set(&init, &key("signal"), &deadline.signal);
                (url.clone(), init)
            }
            Input::Request(template) => {
                let copy = template.clone().map_err(|_| Error::InvalidRequest {
                    problem: "the Request body was already used",
                })?;
                let init = Object::new();
                let _ = Reflect::set(&init, &key("signal"), &deadline.signal);
                (copy.into(), init)
            }
        };
        let outcome = self.call(&input, &init, &deadline).await;
        // `fetch` copied the headers when it was called: keep the token out of the object.
        if let Some(headers) = &request.headers {
            let _ = headers.delete(headers::AUTHORIZATION);
        }
        outcome.map(|response| JsResponse { response, deadline })
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
