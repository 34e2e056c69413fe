//! The platform side: the global `fetch`, `setTimeout` and `Date.now` (never `window`), the
//! options object, errors as JavaScript sees them, and the `#[wasm_bindgen]` surface.

mod api;
mod cache;
pub use api::MusementClient;

mod clock;
mod error;
mod options;
mod transport;
