//! # musement-auth
//!
//! Logs in to the [Musement](https://www.musement.com) partner API and gives server-side
//! JavaScript (Cloudflare Workers, Node) an authenticated `fetch`, so that a partner's
//! `client_secret` never has to reach a browser.
//!
//! ## The token lifecycle, in five lines
//!
//! 1. The [`token::TokenStore`] is the only source of truth; a token is used while
//!    `now < expiresAt - refreshMarginSeconds`, checked on every use.
//! 2. A timer also drops the token at that moment, so an idle client forgets it on time.
//! 3. Callers that find no valid token share one `POST /login` ([`token::Flight`]).
//! 4. A 401 drops the token, logs in once more and repeats a replayable request once.
//! 5. A second 401 is [`Error::Unauthorized`]; every error has a stable [`Error::code`].
//!
//! The modules below `client` are plain Rust, tested natively with a fake clock and a fake
//! transport; `wasm` binds them to the platform's `fetch`, `setTimeout` and `Date.now`, and
//! holds the `#[wasm_bindgen]` surface.
#![deny(missing_docs, missing_debug_implementations)]

pub mod cache;
pub mod client;
pub mod clock;
pub mod error;
pub mod headers;
pub mod json;
pub mod options;
pub mod response;
pub mod retry;
pub mod secret;
pub mod token;
pub mod transport;
pub mod url;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{ApiError, Error};
pub use secret::Secret;
#[cfg(target_arch = "wasm32")]
pub use wasm::MusementClient;
