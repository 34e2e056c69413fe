//! The `tokenCache` option: any object with `get(key)` and `put(key, value, {expirationTtl})`,
//! as a Workers KV namespace binding is.

use crate::cache::TokenCache;
use crate::secret::Secret;
use crate::wasm::clock::settle_within;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// The cache the caller gave, if any. Every call is bounded by `timeoutMs`; a failure or a
/// timeout reads as an empty cache.
#[derive(Debug)]
pub struct JsTokenCache {
    target: Option<Object>,
    timeout_ms: u32,
}

impl JsTokenCache {
    /// Wraps `target`.
    pub fn new(target: Option<Object>, timeout_ms: u32) -> Self {
        JsTokenCache { target, timeout_ms }
    }

    async fn call(&self, method: &str, args: &[JsValue]) -> Option<JsValue> {
        let target = self.target.as_ref()?;
        let function: Function = Reflect::get(target, &JsValue::from_str(method))
            .ok()?
            .dyn_into()
            .ok()?;
        let returned = match args {
            [a] => function.call1(target, a),
            [a, b, c] => function.call3(target, a, b, c),
            _ => return None,
        }
        .ok()?;
        settle_within(&Promise::resolve(&returned), f64::from(self.timeout_ms))
            .await?
            .ok()
    }
}

impl TokenCache for JsTokenCache {
    async fn get(&self, key: &str) -> Option<String> {
        self.call("get", &[key.into()]).await?.as_string()
    }

    async fn put(&self, key: &str, value: &Secret, ttl_seconds: u32) {
        let options = Object::new();
        let _ = Reflect::set(
            &options,
            &JsValue::from_str("expirationTtl"),
            &ttl_seconds.into(),
        );
        let _ = self
            .call("put", &[key.into(), value.expose().into(), options.into()])
            .await;
    }
}
