//! The constructor's options: what JavaScript passed, and the validated form the client uses.

use crate::error::Error;
use crate::retry::{DEFAULT_MAX_RETRIES, MAX_RETRIES_LIMIT};
use crate::secret::Secret;
use crate::url::{parse_base, BaseUrl};

/// The default `X-Musement-Version`.
pub const DEFAULT_VERSION: &str = "3.4.0";
/// The default `grantType`.
pub const DEFAULT_GRANT_TYPE: &str = "client_credentials";
/// The default `refreshMarginSeconds`.
pub const DEFAULT_REFRESH_MARGIN_SECONDS: f64 = 60.0;
/// The default `timeoutMs`.
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;
/// The longest timeout a JavaScript timer can hold.
const MAX_TIMEOUT_MS: f64 = 2_147_483_647.0;

/// Every option name the constructor accepts. Anything else is a typo and is refused.
pub const KNOWN_OPTIONS: [&str; 15] = [
    "baseUrl",
    "application",
    "clientId",
    "clientSecret",
    "grantType",
    "version",
    "language",
    "currency",
    "market",
    "refreshMarginSeconds",
    "timeoutMs",
    "maxRetries",
    "fetch",
    "tokenCache",
    "dangerouslyAllowBrowser",
];

/// One option as JavaScript gave it; `undefined` and `null` are both `Missing`.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw<S = String> {
    /// Not given.
    Missing,
    /// A string.
    Str(S),
    /// A number.
    Num(f64),
    /// A boolean.
    Bool(bool),
    /// Anything else (an object, a function, a symbol, a bigint).
    Other,
}

/// The options object, read field by field before any validation.
#[derive(Debug, Clone)]
pub struct RawOptions {
    /// `baseUrl`
    pub base_url: Raw,
    /// `application`
    pub application: Raw,
    /// `clientId`
    pub client_id: Raw,
    /// `clientSecret`, wrapped from the moment it is read.
    pub client_secret: Raw<Secret>,
    /// `grantType`
    pub grant_type: Raw,
    /// `version`
    pub version: Raw,
    /// `language`
    pub language: Raw,
    /// `currency`
    pub currency: Raw,
    /// `market`
    pub market: Raw,
    /// `refreshMarginSeconds`
    pub refresh_margin_seconds: Raw,
    /// `timeoutMs`
    pub timeout_ms: Raw,
    /// `maxRetries`
    pub max_retries: Raw,
    /// `dangerouslyAllowBrowser`
    pub dangerously_allow_browser: Raw,
    /// Keys of the object that are not options.
    pub unknown: Vec<String>,
}

impl Default for RawOptions {
    fn default() -> Self {
        RawOptions {
            base_url: Raw::Missing,
            application: Raw::Missing,
            client_id: Raw::Missing,
            client_secret: Raw::Missing,
            grant_type: Raw::Missing,
            version: Raw::Missing,
            language: Raw::Missing,
            currency: Raw::Missing,
            market: Raw::Missing,
            refresh_margin_seconds: Raw::Missing,
            timeout_ms: Raw::Missing,
            max_retries: Raw::Missing,
            dangerously_allow_browser: Raw::Missing,
            unknown: Vec::new(),
        }
    }
}

/// The credentials for `POST /login`.
#[derive(Debug, Clone, PartialEq)]
pub struct Credentials {
    /// `client_id`
    pub client_id: String,
    /// `client_secret`
    pub client_secret: Secret,
    /// `grant_type`
    pub grant_type: String,
}

/// Validated options.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Where the API lives.
    pub base: BaseUrl,
    /// `X-Musement-Application`
    pub application: String,
    /// `X-Musement-Version`
    pub version: String,
    /// `Accept-Language`
    pub language: Option<String>,
    /// `X-Musement-Currency`
    pub currency: Option<String>,
    /// `X-Musement-Market`
    pub market: Option<String>,
    /// `None` for a client that only reads the public catalog.
    pub credentials: Option<Credentials>,
    /// How long before `expires_in` runs out a token stops being used, in milliseconds.
    pub refresh_margin_ms: f64,
    /// The limit for each HTTP attempt, in milliseconds.
    pub timeout_ms: u32,
    /// How many times a failed login or idempotent API call is tried again.
    pub max_retries: u32,
}

fn invalid(field: &str, problem: &'static str) -> Error {
    Error::InvalidOptions {
        field: field.to_owned(),
        problem,
    }
}

/// A header value: printable ASCII, no line breaks, not empty.
fn header_value(field: &str, raw: &Raw) -> Result<Option<String>, Error> {
    match raw {
        Raw::Missing => Ok(None),
        Raw::Str(s) if s.is_empty() => Err(invalid(field, "must not be empty")),
        Raw::Str(s) if s.bytes().all(|b| (0x20..0x7f).contains(&b)) => Ok(Some(s.clone())),
        Raw::Str(_) => Err(invalid(
            field,
            "must be printable ASCII, without line breaks",
        )),
        _ => Err(invalid(field, "must be a string")),
    }
}

/// Whether `s` has the form `1.2.3`.
fn is_version(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn number(field: &str, raw: &Raw, default: f64) -> Result<f64, Error> {
    match raw {
        Raw::Missing => Ok(default),
        Raw::Num(n) if n.is_finite() && *n >= 0.0 => Ok(*n),
        Raw::Num(_) => Err(invalid(field, "must be a finite number, zero or more")),
        _ => Err(invalid(field, "must be a number")),
    }
}

impl Options {
    /// Validates what JavaScript passed. `in_browser` is true in a page with a `window`.
    ///
    /// ```
    /// use musement_auth::options::{Options, Raw, RawOptions};
    /// let raw = RawOptions {
    ///     base_url: Raw::Str("https://sandbox.musement.com/api/v3".into()),
    ///     application: Raw::Str("my-app".into()),
    ///     ..RawOptions::default()
    /// };
    /// let options = Options::validate(raw, false).unwrap();
    /// assert_eq!(options.version, "3.4.0");
    /// assert!(options.credentials.is_none());
    /// ```
    pub fn validate(raw: RawOptions, in_browser: bool) -> Result<Options, Error> {
        if let Some(key) = raw.unknown.first() {
            return Err(Error::InvalidOptions {
                field: key.clone(),
                problem: "is not an option",
            });
        }
        let base = match &raw.base_url {
            Raw::Str(s) => parse_base(s)?,
            Raw::Missing => return Err(invalid("baseUrl", "is required")),
            _ => return Err(invalid("baseUrl", "must be a string")),
        };
        let application = header_value("application", &raw.application)?
            .ok_or_else(|| invalid("application", "is required"))?;
        let version =
            header_value("version", &raw.version)?.unwrap_or_else(|| DEFAULT_VERSION.into());
        if !is_version(&version) {
            return Err(invalid("version", "must look like 3.4.0"));
        }
        let language = header_value("language", &raw.language)?;
        let currency = header_value("currency", &raw.currency)?;
        let market = header_value("market", &raw.market)?;
        let refresh_margin_ms = number(
            "refreshMarginSeconds",
            &raw.refresh_margin_seconds,
            DEFAULT_REFRESH_MARGIN_SECONDS,
        )? * 1000.0;
        let timeout_ms = number("timeoutMs", &raw.timeout_ms, f64::from(DEFAULT_TIMEOUT_MS))?;
        if !(1.0..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
            return Err(invalid("timeoutMs", "must be between 1 and 2147483647"));
        }
        let max_retries = number(
            "maxRetries",
            &raw.max_retries,
            f64::from(DEFAULT_MAX_RETRIES),
        )?;
        if max_retries.fract() != 0.0 || max_retries > f64::from(MAX_RETRIES_LIMIT) {
            return Err(invalid("maxRetries", "must be a whole number from 0 to 10"));
        }
        let allow_browser = match raw.dangerously_allow_browser {
            Raw::Missing => false,
            Raw::Bool(b) => b,
            _ => return Err(invalid("dangerouslyAllowBrowser", "must be a boolean")),
        };
        let credentials = match (raw.client_id, raw.client_secret) {
            (Raw::Missing, Raw::Missing) => None,
            (Raw::Missing, _) => {
                return Err(invalid(
                    "clientId",
                    "is required when clientSecret is given",
                ))
            }
            (_, Raw::Missing) => {
                return Err(invalid(
                    "clientSecret",
                    "is required when clientId is given",
                ))
            }
            (Raw::Str(id), Raw::Str(secret)) => {
                if id.is_empty() {
                    return Err(invalid("clientId", "must not be empty"));
                }
                if secret.expose().is_empty() {
                    return Err(invalid("clientSecret", "must not be empty"));
                }
                let grant_type = match raw.grant_type {
                    Raw::Missing => DEFAULT_GRANT_TYPE.to_owned(),
                    Raw::Str(g) if !g.is_empty() => g,
                    _ => return Err(invalid("grantType", "must be a non-empty string")),
                };
                Some(Credentials {
                    client_id: id,
                    client_secret: secret,
                    grant_type,
                })
            }
            (Raw::Str(_), _) => return Err(invalid("clientSecret", "must be a string")),
            (_, _) => return Err(invalid("clientId", "must be a string")),
        };
        if credentials.is_some() && in_browser && !allow_browser {
            return Err(Error::BrowserSecret);
        }
        Ok(Options {
            base,
            application,
            version,
            language,
            currency,
            market,
            credentials,
            refresh_margin_ms,
            timeout_ms: timeout_ms as u32,
            max_retries: max_retries as u32,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn raw() -> RawOptions {
        RawOptions {
            base_url: Raw::Str("https://sandbox.musement.com/api/v3".into()),
            application: Raw::Str("test-app".into()),
            client_id: Raw::Str("id".into()),
            client_secret: Raw::Str(Secret::new("the-secret")),
            ..RawOptions::default()
        }
    }

    fn field_of(e: Error) -> String {
        match e {
            Error::InvalidOptions { field, .. } => field,
            other => panic!("expected invalid_options, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let o = Options::validate(raw(), false).unwrap();
        assert_eq!(o.version, "3.4.0");
        assert_eq!(o.refresh_margin_ms, 60_000.0);
        assert_eq!(o.timeout_ms, 10_000);
        assert_eq!(o.max_retries, 2);
        let c = o.credentials.unwrap();
        assert_eq!(c.grant_type, "client_credentials");
        assert_eq!(c.client_secret.expose(), "the-secret");
    }

    #[test]
    fn each_bad_option_names_its_field() {
        type Edit = fn(&mut RawOptions);
        let cases: Vec<(Edit, &str)> = vec![
            (|r| r.application = Raw::Missing, "application"),
            (|r| r.application = Raw::Str(String::new()), "application"),
            (|r| r.application = Raw::Num(1.0), "application"),
            (
                |r| r.application = Raw::Str("a\r\nX-Evil: 1".into()),
                "application",
            ),
            (|r| r.base_url = Raw::Missing, "baseUrl"),
            (|r| r.base_url = Raw::Str("not a url".into()), "baseUrl"),
            (|r| r.base_url = Raw::Bool(true), "baseUrl"),
            (|r| r.client_secret = Raw::Missing, "clientSecret"),
            (|r| r.client_id = Raw::Missing, "clientId"),
            (|r| r.client_secret = Raw::Other, "clientSecret"),
            (|r| r.client_id = Raw::Num(5.0), "clientId"),
            (|r| r.client_id = Raw::Str(String::new()), "clientId"),
            (
                |r| r.client_secret = Raw::Str(Secret::new("")),
                "clientSecret",
            ),
            (|r| r.grant_type = Raw::Num(1.0), "grantType"),
            (|r| r.version = Raw::Str("3.4".into()), "version"),
            (|r| r.version = Raw::Str("v3.4.0".into()), "version"),
            (|r| r.version = Raw::Str("3.4.0.1".into()), "version"),
            (
                |r| r.refresh_margin_seconds = Raw::Num(-1.0),
                "refreshMarginSeconds",
            ),
            (
                |r| r.refresh_margin_seconds = Raw::Str("60".into()),
                "refreshMarginSeconds",
            ),
            (
                |r| r.refresh_margin_seconds = Raw::Num(f64::NAN),
                "refreshMarginSeconds",
            ),
            (|r| r.timeout_ms = Raw::Num(-5.0), "timeoutMs"),
            (|r| r.timeout_ms = Raw::Num(0.0), "timeoutMs"),
            (|r| r.timeout_ms = Raw::Num(f64::INFINITY), "timeoutMs"),
            (|r| r.timeout_ms = Raw::Str("abc".into()), "timeoutMs"),
            (|r| r.max_retries = Raw::Num(-1.0), "maxRetries"),
            (|r| r.max_retries = Raw::Num(1.5), "maxRetries"),
            (|r| r.max_retries = Raw::Num(11.0), "maxRetries"),
            (|r| r.max_retries = Raw::Str("2".into()), "maxRetries"),
            (|r| r.language = Raw::Num(1.0), "language"),
            (|r| r.currency = Raw::Str(String::new()), "currency"),
            (|r| r.market = Raw::Other, "market"),
            (
                |r| r.dangerously_allow_browser = Raw::Str("yes".into()),
                "dangerouslyAllowBrowser",
            ),
            (
                |r| r.unknown = vec!["clientSecrets".into()],
                "clientSecrets",
            ),
        ];
        for (edit, field) in cases {
            let mut r = raw();
            edit(&mut r);
            assert_eq!(field_of(Options::validate(r, false).unwrap_err()), field);
        }
    }

    #[test]
    fn insecure_base_url() {
        let mut r = raw();
        r.base_url = Raw::Str("http://sandbox.musement.com/api/v3".into());
        assert_eq!(Options::validate(r, false).unwrap_err(), Error::InsecureUrl);
    }

    #[test]
    fn a_secret_in_a_browser_needs_the_explicit_flag() {
        assert_eq!(
            Options::validate(raw(), true).unwrap_err(),
            Error::BrowserSecret
        );
        let mut r = raw();
        r.dangerously_allow_browser = Raw::Bool(true);
        assert!(Options::validate(r, true).is_ok());
        let mut anonymous = raw();
        anonymous.client_id = Raw::Missing;
        anonymous.client_secret = Raw::Missing;
        assert!(Options::validate(anonymous, true)
            .unwrap()
            .credentials
            .is_none());
    }

    #[test]
    fn no_message_echoes_the_secret() {
        let mut r = raw();
        r.client_id = Raw::Missing;
        let e = Options::validate(r.clone(), false).unwrap_err();
        assert!(!format!("{e} {e:?} {r:?}").contains("the-secret"));
    }
}
