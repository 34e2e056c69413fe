//! The shared token cache: a store outside the process (a Workers KV namespace, say) through
//! which many clients with the same credentials share one token instead of each logging in.

use crate::json::{self, Json};
use crate::secret::Secret;
use crate::token::{Token, TokenInfo};

/// Anything with `get(key)` and `put(key, value, {expirationTtl})`, as a Workers KV namespace
/// is. A failing or slow cache is treated as empty: it can cost a login, never a call.
#[allow(async_fn_in_trait)] // single-threaded wasm: no `Send` bound is wanted
pub trait TokenCache {
    /// The value under `key`, if any.
    async fn get(&self, key: &str) -> Option<String>;
    /// Stores `value` under `key` for `ttl_seconds`.
    async fn put(&self, key: &str, value: &Secret, ttl_seconds: u32);
}

/// The shortest TTL Workers KV accepts.
pub const MIN_TTL_SECONDS: u32 = 60;

/// The key under which clients of `client_id` at `base` share their token.
pub fn key(base: &str, client_id: &str) -> String {
    format!("musement-auth/v1/{client_id}@{base}")
}

/// How long the cache should keep a token: its lifetime less the margin, at least
/// [`MIN_TTL_SECONDS`]. (A token read back is still checked against the clock.)
pub fn ttl_seconds(info: &TokenInfo, margin_ms: f64) -> u32 {
    let seconds = (info.expires_in_s - margin_ms / 1000.0).floor();
    (seconds.min(f64::from(u32::MAX)) as u32).max(MIN_TTL_SECONDS)
}

/// The cached form of a token. It holds the token, so it is a [`Secret`].
pub fn encode(token: &Token) -> Secret {
    let info = &token.info;
    let scope = info
        .scope
        .as_deref()
        .map_or_else(|| "null".to_owned(), json::quote);
    // Whole milliseconds, so that no float formatting code is needed (it costs kilobytes).
    Secret::new(format!(
        "{{\"access_token\":{},\"expires_at\":{},\"expires_in_ms\":{},\"token_type\":{},\"scope\":{}}}",
        json::quote(token.access_token.expose()),
        info.expires_at_ms.round() as i64,
        (info.expires_in_s * 1000.0).round() as i64,
        json::quote(&info.token_type),
        scope,
    ))
}

/// Reads a cached token back; anything malformed is no token.
pub fn decode(text: &str) -> Option<Token> {
    if text.len() > crate::response::MAX_BODY_BYTES {
        return None;
    }
    let value = json::parse(text)?;
    let (
        Some(Json::String(token)),
        Some(Json::Number(at)),
        Some(Json::Number(lifetime)),
        Some(Json::String(kind)),
    ) = (
        value.get("access_token"),
        value.get("expires_at"),
        value.get("expires_in_ms"),
        value.get("token_type"),
    )
    else {
        return None;
    };
    let scope = match value.get("scope") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(_) => return None,
    };
    let sane = !token.is_empty()
        && at.is_finite()
        && *lifetime > 0.0
        && kind.eq_ignore_ascii_case("bearer");
    sane.then(|| Token {
        access_token: Secret::new(token.as_str()),
        info: TokenInfo {
            expires_at_ms: *at,
            expires_in_s: *lifetime / 1000.0,
            token_type: kind.clone(),
            scope,
        },
    })
}

/// An in-memory cache for tests; clones share one map, as two isolates share one KV namespace.
#[cfg(test)]
#[allow(missing_debug_implementations)]
pub mod fake {
    use super::TokenCache;
    use crate::secret::Secret;
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::rc::Rc;

    /// The fake.
    #[derive(Clone, Default)]
    pub struct FakeCache {
        entries: Rc<RefCell<HashMap<String, (String, u32)>>>,
        /// `put` calls seen.
        pub puts: Rc<RefCell<Vec<u32>>>,
    }

    impl FakeCache {
        /// Overwrites an entry, as another writer might.
        pub fn insert(&self, key: &str, value: &str) {
            self.entries
                .borrow_mut()
                .insert(key.into(), (value.into(), 60));
        }
        /// The raw entry.
        pub fn raw(&self, key: &str) -> Option<String> {
            self.entries.borrow().get(key).map(|(v, _)| v.clone())
        }
    }

    impl TokenCache for FakeCache {
        async fn get(&self, key: &str) -> Option<String> {
            self.raw(key)
        }
        async fn put(&self, key: &str, value: &Secret, ttl_seconds: u32) {
            self.puts.borrow_mut().push(ttl_seconds);
            self.entries
                .borrow_mut()
                .insert(key.into(), (value.expose().into(), ttl_seconds));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Token {
        Token {
            access_token: Secret::new("tok\"en"),
            info: TokenInfo {
                expires_at_ms: 1_700_000_000_123.0,
                expires_in_s: 3600.0,
                token_type: "bearer".into(),
                scope: Some("all".into()),
            },
        }
    }

    #[test]
    fn a_token_round_trips() {
        let t = token();
        let encoded = encode(&t);
        assert_eq!(format!("{encoded:?}"), "[redacted]");
        assert_eq!(decode(encoded.expose()), Some(t.clone()));
        let mut unscoped = t;
        unscoped.info.scope = None;
        assert_eq!(decode(encode(&unscoped).expose()), Some(unscoped));
    }

    #[test]
    fn malformed_entries_are_no_token() {
        for bad in [
            "",
            "garbage",
            r#"{"access_token":"","expires_at":1,"expires_in_ms":1,"token_type":"bearer"}"#,
            r#"{"access_token":"t","expires_in_ms":1,"token_type":"bearer"}"#,
            r#"{"access_token":"t","expires_at":1,"expires_in_ms":0,"token_type":"bearer"}"#,
            r#"{"access_token":"t","expires_at":1,"expires_in_ms":1,"token_type":"mac"}"#,
            r#"{"access_token":"t","expires_at":1,"expires_in_ms":1,"token_type":"bearer","scope":1}"#,
        ] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn ttl_is_the_lifetime_less_the_margin_and_at_least_a_minute() {
        let info = token().info;
        assert_eq!(ttl_seconds(&info, 60_000.0), 3540);
        assert_eq!(
            ttl_seconds(
                &TokenInfo {
                    expires_in_s: 90.0,
                    ..info.clone()
                },
                60_000.0
            ),
            60
        );
        assert_eq!(
            ttl_seconds(
                &TokenInfo {
                    expires_in_s: 3.0,
                    ..info
                },
                1_000.0
            ),
            60
        );
        assert_eq!(
            key("https://x/api/v3", "id"),
            "musement-auth/v1/id@https://x/api/v3"
        );
    }
}
