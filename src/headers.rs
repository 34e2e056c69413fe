//! Which header goes where.
//!
//! Every request to the API origin carries the client's default headers unless the caller set
//! them; `Authorization` is the client's alone. `/login` carries the two Musement headers and
//! the JSON content headers. Requests to other origins get nothing.

use crate::options::Options;
use crate::secret::Secret;

/// `X-Musement-Application`
pub const APPLICATION: &str = "x-musement-application";
/// `X-Musement-Version`
pub const VERSION: &str = "x-musement-version";
/// `Accept-Language`
pub const LANGUAGE: &str = "accept-language";
/// `X-Musement-Currency`
pub const CURRENCY: &str = "x-musement-currency";
/// `X-Musement-Market`
pub const MARKET: &str = "x-musement-market";
/// `Authorization`
pub const AUTHORIZATION: &str = "authorization";

/// A set of headers that the rules below can read and change: a JavaScript `Headers` object
/// in wasm, a list in tests.
pub trait HeaderMap {
    /// Whether `name` (lower-case) is set.
    fn has(&self, name: &str) -> bool;
    /// Sets `name` to `value`, replacing any value.
    fn set(&mut self, name: &str, value: &str);
    /// Removes `name`.
    fn remove(&mut self, name: &str);
}

/// The headers every API request carries by default, in a fixed order.
pub fn defaults(options: &Options) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        (APPLICATION, options.application.clone()),
        (VERSION, options.version.clone()),
    ];
    let optional = [
        (LANGUAGE, &options.language),
        (CURRENCY, &options.currency),
        (MARKET, &options.market),
    ];
    headers.extend(
        optional
            .into_iter()
            .filter_map(|(name, value)| value.clone().map(|v| (name, v))),
    );
    headers
}

/// Adds the defaults the caller did not set, and drops any `Authorization` the caller set:
/// only the client puts a token on an API request.
pub fn apply_defaults(headers: &mut impl HeaderMap, defaults: &[(&'static str, String)]) {
    for (name, value) in defaults {
        if !headers.has(name) {
            headers.set(name, value);
        }
    }
    headers.remove(AUTHORIZATION);
}

/// The `Authorization` value for a token.
pub fn bearer(token: &Secret) -> String {
    format!("Bearer {}", token.expose())
}

/// The headers of `POST /login`.
pub fn login(options: &Options) -> Vec<(&'static str, String)> {
    vec![
        (APPLICATION, options.application.clone()),
        (VERSION, options.version.clone()),
        ("content-type", "application/json".into()),
        ("accept", "application/json".into()),
    ]
}

/// A plain list of headers, lower-case names, for tests and fakes.
impl HeaderMap for Vec<(String, String)> {
    fn has(&self, name: &str) -> bool {
        self.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }
    fn set(&mut self, name: &str, value: &str) {
        HeaderMap::remove(self, name);
        self.push((name.to_ascii_lowercase(), value.to_owned()));
    }
    fn remove(&mut self, name: &str) {
        self.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{tests::raw, Raw};

    fn options(edit: impl FnOnce(&mut crate::options::RawOptions)) -> Options {
        let mut r = raw();
        edit(&mut r);
        Options::validate(r, false).unwrap()
    }

    #[test]
    fn defaults_include_only_configured_optional_headers() {
        let plain = options(|_| {});
        assert_eq!(
            defaults(&plain),
            vec![
                (APPLICATION, "test-app".to_owned()),
                (VERSION, "3.4.0".to_owned())
            ]
        );
        let full = options(|r| {
            r.language = Raw::Str("en-US".into());
            r.currency = Raw::Str("EUR".into());
            r.market = Raw::Str("us".into());
            r.version = Raw::Str("3.5.1".into());
        });
        let names: Vec<_> = defaults(&full)
            .into_iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        assert_eq!(
            names,
            [
                "x-musement-application=test-app",
                "x-musement-version=3.5.1",
                "accept-language=en-US",
                "x-musement-currency=EUR",
                "x-musement-market=us"
            ]
        );
    }

    #[test]
    fn the_callers_headers_win_except_authorization() {
        let o = options(|r| r.currency = Raw::Str("EUR".into()));
        let mut headers: Vec<(String, String)> = vec![
            ("X-Musement-Currency".into(), "GBP".into()),
            ("Authorization".into(), "Bearer forged".into()),
            ("x-custom".into(), "1".into()),
        ];
        apply_defaults(&mut headers, &defaults(&o));
        assert!(headers.contains(&("X-Musement-Currency".into(), "GBP".into())));
        assert!(!headers.has(AUTHORIZATION));
        assert!(headers.contains(&("x-custom".into(), "1".into())));
        assert!(headers.contains(&(APPLICATION.into(), "test-app".into())));
        assert_eq!(bearer(&Secret::new("t")), "Bearer t");
    }

    #[test]
    fn login_headers() {
        let names: Vec<_> = login(&options(|_| {}))
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, [APPLICATION, VERSION, "content-type", "accept"]);
    }
}
