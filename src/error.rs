//! The one error type, and the stable codes JavaScript callers branch on.

use std::fmt;

/// What a Musement error body said: `{"code", "message"}` from the API, or
/// `{"error", "error_description"}` from the OAuth layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiError {
    /// The API's own code (`"2271"`) or the OAuth error (`"invalid_grant"`).
    pub code: Option<String>,
    /// The human-readable text, already scrubbed of any secret or token.
    pub message: Option<String>,
}

/// Everything that can go wrong, each with a stable [`code`](Error::code).
///
/// No variant holds a secret, a token or a request body; messages name the option or the
/// field at fault, never its value.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// An option is missing, of the wrong type or out of range.
    InvalidOptions {
        /// The option's JavaScript name, e.g. `timeoutMs`.
        field: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// `baseUrl` is plain `http` to a host other than a loopback one.
    InsecureUrl,
    /// A `clientSecret` was given in a browser page without `dangerouslyAllowBrowser`.
    BrowserSecret,
    /// `POST /login` answered with a status other than 2xx.
    LoginFailed {
        /// The HTTP status.
        status: u16,
        /// What the body said.
        api: ApiError,
    },
    /// A body did not have the documented shape.
    InvalidResponse {
        /// What was being read, e.g. `login response`.
        context: &'static str,
        /// What was wrong with it.
        problem: &'static str,
    },
    /// The API answered 401 again after a fresh login (or the request could not be replayed).
    Unauthorized {
        /// What the body said.
        api: ApiError,
    },
    /// The API answered a non-2xx status to `json()`.
    HttpError {
        /// The HTTP status.
        status: u16,
        /// What the body said.
        api: ApiError,
    },
    /// The request never got an answer: connection refused, reset, DNS, CORS.
    NetworkError {
        /// The platform's description, scrubbed of secrets.
        detail: String,
    },
    /// An attempt took longer than `timeoutMs`.
    Timeout {
        /// The limit that was exceeded.
        after_ms: u32,
    },
    /// What was passed to `fetch()` or `json()` cannot be a request.
    InvalidRequest {
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The caller's `AbortSignal` fired; the JavaScript layer rejects with the signal's reason.
    Aborted,
    /// The client was used after `dispose()`.
    Disposed,
}

impl Error {
    /// The stable code, as `MusementError.code` carries it in JavaScript.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidOptions { .. } => "invalid_options",
            Error::InsecureUrl => "insecure_url",
            Error::BrowserSecret => "browser_secret",
            Error::LoginFailed { .. } => "login_failed",
            Error::InvalidResponse { .. } => "invalid_response",
            Error::Unauthorized { .. } => "unauthorized",
            Error::HttpError { .. } => "http_error",
            Error::NetworkError { .. } => "network_error",
            Error::Timeout { .. } => "timeout",
            Error::InvalidRequest { .. } => "invalid_request",
            Error::Aborted => "aborted",
            Error::Disposed => "disposed",
        }
    }

    /// The HTTP status, where an answer was received.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::LoginFailed { status, .. } | Error::HttpError { status, .. } => Some(*status),
            Error::Unauthorized { .. } => Some(401),
            _ => None,
        }
    }

    /// The API's own error code (`"2271"`, `"invalid_grant"`), where the body had one.
    pub fn musement_code(&self) -> Option<&str> {
        self.api().and_then(|api| api.code.as_deref())
    }

    /// Whether the error is a timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    fn api(&self) -> Option<&ApiError> {
        match self {
            Error::LoginFailed { api, .. }
            | Error::Unauthorized { api }
            | Error::HttpError { api, .. } => Some(api),
            _ => None,
        }
    }
}

/// Writes ` (code): message` for what the server said, when it said anything.
fn write_api(f: &mut fmt::Formatter<'_>, api: &ApiError) -> fmt::Result {
    if let Some(code) = &api.code {
        write!(f, " ({code})")?;
    }
    if let Some(message) = &api.message {
        write!(f, ": {message}")?;
    }
    Ok(())
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidOptions { field, problem } => write!(f, "invalid option `{field}`: {problem}"),
            Error::InsecureUrl => f.write_str(
                "baseUrl must use https; plain http is allowed only for localhost, 127.0.0.1 and [::1]",
            ),
            Error::BrowserSecret => f.write_str(
                "a clientSecret must not be used in a browser page, where anyone can read it; \
                 keep it on a server, or set dangerouslyAllowBrowser: true if you really mean it",
            ),
            Error::LoginFailed { status, api } => {
                write!(f, "login failed with HTTP {status}")?;
                write_api(f, api)
            }
            Error::InvalidResponse { context, problem } => write!(f, "invalid {context}: {problem}"),
            Error::Unauthorized { api } => {
                f.write_str("the API answered 401 Unauthorized")?;
                write_api(f, api)
            }
            Error::HttpError { status, api } => {
                write!(f, "the API answered HTTP {status}")?;
                write_api(f, api)
            }
            Error::NetworkError { detail } => write!(f, "network error: {detail}"),
            Error::Timeout { after_ms } => write!(f, "the request timed out after {after_ms} ms"),
            Error::InvalidRequest { problem } => write!(f, "invalid request: {problem}"),
            Error::Aborted => f.write_str("the request was aborted"),
            Error::Disposed => f.write_str("the client was disposed and cannot be used"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let api = ApiError::default();
        let cases: Vec<(Error, &str)> = vec![
            (
                Error::InvalidOptions {
                    field: "x".into(),
                    problem: "p",
                },
                "invalid_options",
            ),
            (Error::InsecureUrl, "insecure_url"),
            (Error::BrowserSecret, "browser_secret"),
            (
                Error::LoginFailed {
                    status: 401,
                    api: api.clone(),
                },
                "login_failed",
            ),
            (
                Error::InvalidResponse {
                    context: "c",
                    problem: "p",
                },
                "invalid_response",
            ),
            (Error::Unauthorized { api: api.clone() }, "unauthorized"),
            (Error::HttpError { status: 500, api }, "http_error"),
            (Error::NetworkError { detail: "d".into() }, "network_error"),
            (Error::Timeout { after_ms: 5 }, "timeout"),
            (Error::InvalidRequest { problem: "p" }, "invalid_request"),
            (Error::Aborted, "aborted"),
            (Error::Disposed, "disposed"),
        ];
        for (error, code) in cases {
            assert_eq!(error.code(), code);
        }
    }

    #[test]
    fn status_and_musement_code() {
        let api = ApiError {
            code: Some("invalid_grant".into()),
            message: Some("Bad".into()),
        };
        let e = Error::LoginFailed { status: 401, api };
        assert_eq!(e.status(), Some(401));
        assert_eq!(e.musement_code(), Some("invalid_grant"));
        assert_eq!(
            e.to_string(),
            "login failed with HTTP 401 (invalid_grant): Bad"
        );
        assert_eq!(
            Error::Unauthorized {
                api: ApiError::default()
            }
            .status(),
            Some(401)
        );
        assert_eq!(Error::InsecureUrl.status(), None);
        assert!(Error::Timeout { after_ms: 1 }.is_timeout());
    }
}
