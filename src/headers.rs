//! Which header goes where.
//!
//! Every request to the API origin carries the client's default headers unless the caller set
//! them; `Authorization` is the client's alone (set with the token, removed without one).
//! `/login` carries the two Musement headers and the JSON content headers. Requests to other
//! origins get nothing. The lists are made here, once per client; merging them into a request
//! is done by `withDefaults` in js/http.js, in the same call that sends it.

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
    fn bearer_value() {
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
