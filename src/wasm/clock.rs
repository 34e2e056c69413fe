//! `Date.now()` and the global `setTimeout`, unref'd where the handle allows (Node), so that a
//! pending timer never keeps a process alive.

use crate::clock::Clock;
use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;

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
}
