//! Reading what Musement answers: the login answer, strictly, and error bodies of both shapes.

use crate::error::{ApiError, Error};
use crate::json::{self, Json};
use crate::secret::{scrub, Secret};

/// The most bytes of a login or error body the client reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The longest `expires_in` accepted: one year, in seconds.
pub const MAX_EXPIRES_IN_SECONDS: f64 = 365.0 * 24.0 * 3600.0;

/// A successful login answer.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginAnswer {
    /// The bearer token.
    pub access_token: Secret,
    /// The lifetime the server gave, in seconds.
    pub expires_in: f64,
    /// `token_type` as the server wrote it (`bearer` in any case).
    pub token_type: String,
    /// `scope`, when the server gave one.
    pub scope: Option<String>,
}

fn invalid(problem: &'static str) -> Error {
    Error::InvalidResponse {
        context: "login response",
        problem,
    }
}

/// Parses a 2xx login body. `access_token` must be a non-empty string, `expires_in` a number
/// in (0, one year], `token_type` `bearer` in any case, `scope` a string or null (or absent).
pub fn parse_login(body: &str) -> Result<LoginAnswer, Error> {
    if body.len() > MAX_BODY_BYTES {
        return Err(invalid("the body is larger than 64 KiB"));
    }
    let value = json::parse(body).ok_or_else(|| invalid("the body is not JSON"))?;
    if !matches!(value, Json::Object(_)) {
        return Err(invalid("the body is not a JSON object"));
    }
    let access_token = match value.get("access_token") {
        Some(Json::String(token)) if !token.is_empty() => Secret::new(token.as_str()),
        _ => return Err(invalid("access_token must be a non-empty string")),
    };
    let expires_in = match value.get("expires_in") {
        Some(Json::Number(n)) if *n > 0.0 && *n <= MAX_EXPIRES_IN_SECONDS => *n,
        _ => {
            return Err(invalid(
                "expires_in must be a number of seconds between 0 and one year",
            ))
        }
    };
    let token_type = match value.get("token_type") {
        Some(Json::String(t)) if t.eq_ignore_ascii_case("bearer") => t.clone(),
        _ => return Err(invalid("token_type must be \"bearer\"")),
    };
    let scope = match value.get("scope") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(_) => return Err(invalid("scope must be a string or null")),
    };
    Ok(LoginAnswer {
        access_token,
        expires_in,
        token_type,
        scope,
    })
}

/// A string member, or a number written as one (`"code": 2271` happens).
fn text(value: Option<&Json>) -> Option<String> {
    match value? {
        Json::String(s) if !s.is_empty() => Some(s.clone()),
        Json::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Some(format!("{}", *n as i64)),
        _ => None,
    }
}

/// Reads an error body of either shape; anything else yields an empty [`ApiError`]. The
/// message is cut to 500 characters and scrubbed of `secrets`.
pub fn parse_error(body: &str, secrets: &[&Secret]) -> ApiError {
    if body.len() > MAX_BODY_BYTES {
        return ApiError::default();
    }
    let Some(value) = json::parse(body) else {
        return ApiError::default();
    };
    let code = text(value.get("code")).or_else(|| text(value.get("error")));
    let message = text(value.get("message")).or_else(|| text(value.get("error_description")));
    // Scrub before clipping, so that a cut can never leave part of a secret behind.
    let clip = |s: String| scrub(&s, secrets).chars().take(500).collect::<String>();
    ApiError {
        code: code.map(clip),
        message: message.map(clip),
    }
}

/// The error for a non-2xx API answer: `unauthorized` for 401, `http_error` otherwise.
pub fn api_error(status: u16, body: &str, secrets: &[&Secret]) -> Error {
    let api = parse_error(body, secrets);
    if status == 401 {
        Error::Unauthorized { api }
    } else {
        Error::HttpError { status, api }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str =
        r#"{"access_token":"tok-123","expires_in":3600,"token_type":"bearer","scope":null}"#;

    #[test]
    fn a_good_answer() {
        let a = parse_login(GOOD).unwrap();
        assert_eq!(a.access_token.expose(), "tok-123");
        assert_eq!(a.expires_in, 3600.0);
        assert_eq!(a.token_type, "bearer");
        assert_eq!(a.scope, None);
        let b = parse_login(r#"{"access_token":"t","expires_in":60,"token_type":"Bearer","scope":"read","extra":[1]}"#)
            .unwrap();
        assert_eq!(b.scope.as_deref(), Some("read"));
        assert_eq!(b.token_type, "Bearer");
        let c =
            parse_login(r#"{"access_token":"t","expires_in":60,"token_type":"BEARER"}"#).unwrap();
        assert_eq!(c.scope, None);
    }

    #[test]
    fn each_malformed_field_is_invalid_response() {
        let cases = [
            ("not json", "not JSON"),
            ("[]", "not a JSON object"),
            (
                r#"{"expires_in":3600,"token_type":"bearer"}"#,
                "access_token",
            ),
            (
                r#"{"access_token":"","expires_in":3600,"token_type":"bearer"}"#,
                "access_token",
            ),
            (
                r#"{"access_token":7,"expires_in":3600,"token_type":"bearer"}"#,
                "access_token",
            ),
            (
                r#"{"access_token":null,"expires_in":3600,"token_type":"bearer"}"#,
                "access_token",
            ),
            (
                r#"{"access_token":"t","token_type":"bearer"}"#,
                "expires_in",
            ),
            (
                r#"{"access_token":"t","expires_in":"3600","token_type":"bearer"}"#,
                "expires_in",
            ),
            (
                r#"{"access_token":"t","expires_in":0,"token_type":"bearer"}"#,
                "expires_in",
            ),
            (
                r#"{"access_token":"t","expires_in":-5,"token_type":"bearer"}"#,
                "expires_in",
            ),
            (
                r#"{"access_token":"t","expires_in":31536001,"token_type":"bearer"}"#,
                "expires_in",
            ),
            (
                r#"{"access_token":"t","expires_in":1e999,"token_type":"bearer"}"#,
                "expires_in",
            ),
            (r#"{"access_token":"t","expires_in":3600}"#, "token_type"),
            (
                r#"{"access_token":"t","expires_in":3600,"token_type":"mac"}"#,
                "token_type",
            ),
            (
                r#"{"access_token":"t","expires_in":3600,"token_type":null}"#,
                "token_type",
            ),
            (
                r#"{"access_token":"t","expires_in":3600,"token_type":"bearer","scope":5}"#,
                "scope",
            ),
            (
                r#"{"access_token":"t","expires_in":3600,"token_type":"bearer","scope":["a"]}"#,
                "scope",
            ),
            (
                r#"{"access_token":"a","access_token":"b","expires_in":1,"token_type":"bearer"}"#,
                "not JSON",
            ),
        ];
        for (body, field) in cases {
            let e = parse_login(body).unwrap_err();
            assert_eq!(e.code(), "invalid_response", "{body}");
            let message = e.to_string();
            assert!(message.contains(field), "{body}: {message}");
            assert!(!message.contains("tok-"), "{message}");
        }
    }

    #[test]
    fn oversized_login_bodies_are_refused() {
        let big = format!(
            r#"{{"access_token":"{}","expires_in":1,"token_type":"bearer"}}"#,
            "x".repeat(MAX_BODY_BYTES)
        );
        assert_eq!(parse_login(&big).unwrap_err().code(), "invalid_response");
    }

    #[test]
    fn both_error_shapes() {
        let musement = parse_error(
            r#"{"code":"2271","message":"The header is mandatory"}"#,
            &[],
        );
        assert_eq!(musement.code.as_deref(), Some("2271"));
        assert_eq!(musement.message.as_deref(), Some("The header is mandatory"));
        let oauth = parse_error(
            r#"{"error":"invalid_grant","error_description":"Bad credentials"}"#,
            &[],
        );
        assert_eq!(oauth.code.as_deref(), Some("invalid_grant"));
        assert_eq!(oauth.message.as_deref(), Some("Bad credentials"));
        let numeric = parse_error(r#"{"code":1401,"message":"expired"}"#, &[]);
        assert_eq!(numeric.code.as_deref(), Some("1401"));
        assert_eq!(parse_error("<html>502</html>", &[]), ApiError::default());
        assert_eq!(parse_error("[1]", &[]), ApiError::default());
    }

    #[test]
    fn error_messages_are_scrubbed_and_clipped() {
        let secret = Secret::new("s3cr3t");
        let api = parse_error(
            r#"{"error":"invalid_grant","error_description":"bad secret s3cr3t"}"#,
            &[&secret],
        );
        assert_eq!(api.message.as_deref(), Some("bad secret [redacted]"));
        let long = format!(r#"{{"code":"1","message":"{}"}}"#, "y".repeat(2000));
        assert_eq!(parse_error(&long, &[]).message.unwrap().len(), 500);
    }

    #[test]
    fn api_errors_by_status() {
        let e = api_error(401, r#"{"code":"1401","message":"expired"}"#, &[]);
        assert_eq!(
            (e.code(), e.status(), e.musement_code()),
            ("unauthorized", Some(401), Some("1401"))
        );
        let e = api_error(404, r#"{"code":"404","message":"Not found"}"#, &[]);
        assert_eq!(
            (e.code(), e.status(), e.musement_code()),
            ("http_error", Some(404), Some("404"))
        );
    }
}
