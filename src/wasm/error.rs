//! Errors as JavaScript sees them: `MusementError`, a real `Error` with `code`, `status` and
//! `musementCode`.

use crate::error::Error;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/musement-error.js")]
extern "C" {
    #[wasm_bindgen(js_name = createMusementError)]
    fn create_musement_error(
        code: &str,
        message: &str,
        status: Option<u16>,
        musement_code: Option<String>,
    ) -> JsValue;
}

/// The `MusementError` for `error`.
pub fn to_js(error: &Error) -> JsValue {
    create_musement_error(
        error.code(),
        &error.to_string(),
        error.status(),
        error.musement_code().map(str::to_owned),
    )
}
