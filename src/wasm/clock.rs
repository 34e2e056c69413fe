//! `Date.now()` and the global `setTimeout`, unref'd where the handle allows (Node), so that a
//! pending timer never keeps a process alive.

use crate::clock::Clock;
use js_sys::{Array, Function, Object, Promise, Reflect};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{spawn_local, JsFuture};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, delay_ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// The longest delay `setTimeout` honours; a longer one would fire at once.
const MAX_DELAY_MS: f64 = 2_147_483_647.0;

/// A pending `setTimeout`; dropping it clears it and frees its closure.
#[derive(Debug)]
pub struct JsTimer {
    handle: JsValue,
    _closure: Closure<dyn FnMut()>,
}

impl JsTimer {
    /// Calls `callback` after `delay_ms`, or never when the delay is beyond what a JavaScript
    /// timer can hold (the token store's clock check covers that case).
    pub fn start(delay_ms: f64, callback: Box<dyn FnOnce()>) -> Option<JsTimer> {
        if delay_ms > MAX_DELAY_MS {
            return None;
        }
        let closure = Closure::once(callback);
        let handle = set_timeout(closure.as_ref().unchecked_ref(), delay_ms.max(0.0));
        if let Ok(unref) = Reflect::get(&handle, &JsValue::from_str("unref")) {
            if let Some(unref) = unref.dyn_ref::<Function>() {
                let _ = unref.call0(&handle);
            }
        }
        Some(JsTimer {
            handle,
            _closure: closure,
        })
    }
}

impl Drop for JsTimer {
    fn drop(&mut self) {
        clear_timeout(&self.handle);
    }
}

/// A promise created now, in the caller's context, and the function that resolves it.
pub fn deferred() -> (Promise, Function) {
    let mut resolve = None;
    let promise = Promise::new(&mut |res, _rej| resolve = Some(res));
    // The executor runs before `Promise::new` returns.
    (
        promise,
        resolve.unwrap_or_else(|| Function::new_no_args("")),
    )
}

/// `promise`'s outcome, or `None` when `limit_ms` passes first.
pub async fn settle_within(promise: &Promise, limit_ms: f64) -> Option<Result<JsValue, JsValue>> {
    let (timeout, resolve) = deferred();
    let sentinel: JsValue = Object::new().into();
    let _timer = {
        let sentinel = sentinel.clone();
        JsTimer::start(
            limit_ms,
            Box::new(move || {
                let _ = resolve.call1(&JsValue::UNDEFINED, &sentinel);
            }),
        )
    };
    match JsFuture::from(Promise::race(&Array::of2(promise, &timeout))).await {
        Ok(value) if Object::is(&value, &sentinel) => None,
        outcome => Some(outcome),
    }
}

/// The platform's clock.
#[derive(Debug, Default)]
pub struct JsClock;

impl Clock for JsClock {
    type Timer = Option<JsTimer>;

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn set_timer(&self, delay_ms: f64, callback: Box<dyn FnOnce()>) -> Option<JsTimer> {
        JsTimer::start(delay_ms, callback)
    }

    async fn sleep(&self, ms: f64) {
        gloo_timers::future::TimeoutFuture::new(ms.clamp(0.0, MAX_DELAY_MS) as u32).await;
    }

    fn jitter(&self) -> f64 {
        js_sys::Math::random()
    }

    async fn wait<F>(&self, future: F, limit_ms: f64) -> Option<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // The outcome travels through a promise created here, in the caller's context, and
        // resolved from wherever the future finishes; workerd runs the continuation in the
        // context that created the promise.
        let (promise, resolve) = deferred();
        let slot = Rc::new(RefCell::new(None));
        {
            let (slot, resolve) = (slot.clone(), resolve.clone());
            spawn_local(async move {
                let output = future.await;
                *slot.borrow_mut() = Some(output);
                let _ = resolve.call0(&JsValue::UNDEFINED);
            });
        }
        let _timer = JsTimer::start(
            limit_ms,
            Box::new(move || {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }),
        );
        let _ = JsFuture::from(promise).await;
        let output = slot.borrow_mut().take();
        output
    }
}
