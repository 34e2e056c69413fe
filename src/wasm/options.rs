//! Reads the constructor's options object field by field, without echoing any value.

use crate::error::Error;
use crate::options::{Options, Raw, RawOptions, KNOWN_OPTIONS};
use crate::secret::Secret;
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// The options, with the JavaScript values the Rust side cannot hold.
pub struct JsOptions {
    pub options: Options,
    pub fetch: Option<Function>,
    pub token_cache: Option<Object>,
}

fn get(object: &JsValue, key: &str) -> JsValue {
    // A throwing getter reads as a value of the wrong type.
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::FALSE)
}

fn raw(value: JsValue) -> Raw {
    if value.is_undefined() || value.is_null() {
        Raw::Missing
    } else if let Some(s) = value.as_string() {
        Raw::Str(s)
    } else if let Some(n) = value.as_f64() {
        Raw::Num(n)
    } else if let Some(b) = value.as_bool() {
        Raw::Bool(b)
    } else {
        Raw::Other
    }
}

/// Whether this is a page with a `window` and a `document`: a browser's main thread.
fn in_browser() -> bool {
    let global = js_sys::global();
    !get(&global, "window").is_undefined() && !get(&global, "document").is_undefined()
}

/// Reads and validates `options`.
pub fn read(options: &JsValue) -> Result<JsOptions, Error> {
    if !options.is_object() || options.is_function() {
        return Err(Error::InvalidOptions {
            field: "options".into(),
            problem: "must be an object",
        });
    }
    let unknown = Object::keys(options.unchecked_ref::<Object>())
        .iter()
        .filter_map(|key| key.as_string())
        .filter(|key| !KNOWN_OPTIONS.contains(&key.as_str()))
        .collect();
    let client_secret = match raw(get(options, "clientSecret")) {
        Raw::Str(s) => Raw::Str(Secret::new(s)),
        Raw::Missing => Raw::Missing,
        _ => Raw::Other,
    };
    let raw_options = RawOptions {
        base_url: raw(get(options, "baseUrl")),
        application: raw(get(options, "application")),
        client_id: raw(get(options, "clientId")),
        client_secret,
        grant_type: raw(get(options, "grantType")),
        version: raw(get(options, "version")),
        language: raw(get(options, "language")),
        currency: raw(get(options, "currency")),
        market: raw(get(options, "market")),
        refresh_margin_seconds: raw(get(options, "refreshMarginSeconds")),
        timeout_ms: raw(get(options, "timeoutMs")),
        max_retries: raw(get(options, "maxRetries")),
        dangerously_allow_browser: raw(get(options, "dangerouslyAllowBrowser")),
        unknown,
    };
    let fetch = match get(options, "fetch") {
        f if f.is_undefined() || f.is_null() => None,
        f => Some(
            f.dyn_into::<Function>()
                .map_err(|_| Error::InvalidOptions {
                    field: "fetch".into(),
                    problem: "must be a function",
                })?,
        ),
    };
    let token_cache = match get(options, "tokenCache") {
        c if c.is_undefined() || c.is_null() => None,
        c if get(&c, "get").is_function() && get(&c, "put").is_function() => {
            Some(c.unchecked_into())
        }
        _ => {
            return Err(Error::InvalidOptions {
                field: "tokenCache".into(),
                problem: "must have get(key) and put(key, value, options) methods",
            })
        }
    };
    let options = Options::validate(raw_options, in_browser())?;
    Ok(JsOptions {
        options,
        fetch,
        token_cache,
    })
}
