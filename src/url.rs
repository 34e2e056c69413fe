//! The few URL rules the client needs: parse `baseUrl`, resolve a request target against it,
//! and decide whether a URL shares its origin.
//!
//! The origin test fails closed: any URL this parser cannot read with certainty as having the
//! base's origin counts as foreign and gets no client header and no token.

use crate::error::Error;

/// A validated `baseUrl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// The URL without a trailing slash, e.g. `https://api.musement.com/api/v3`.
    pub base: String,
    /// `scheme://host[:port]`, lower-cased, the default port left out.
    pub origin: String,
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Under the base URL's origin: the client's headers and token are attached.
    Api(String),
    /// Another origin: the request is passed through untouched.
    Foreign,
}

const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// An absolute URL, split the way the WHATWG URL parser splits `http` and `https` URLs.
struct Absolute<'a> {
    scheme: String,
    host: String,
    port: Option<u16>,
    has_userinfo: bool,
    /// Path, query and fragment, as written.
    rest: &'a str,
}

impl Absolute<'_> {
    fn origin(&self) -> String {
        let default_port = if self.scheme == "https" { 443 } else { 80 };
        match self.port {
            Some(port) if port != default_port => format!("{}://{}:{port}", self.scheme, self.host),
            _ => format!("{}://{}", self.scheme, self.host),
        }
    }
}

/// Removes what the WHATWG parser ignores: leading and trailing C0 controls and spaces,
/// and tabs and newlines anywhere.
fn clean(input: &str) -> String {
    input
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// The scheme, lower-cased, when `input` starts with one (`letter *(alnum / + / - / .) :`).
fn scheme_of(input: &str) -> Option<(String, &str)> {
    let colon = input.find(':')?;
    let scheme = input.get(..colon)?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let rest = input.get(colon + 1..)?;
    (first_ok && rest_ok).then(|| (scheme.to_ascii_lowercase(), rest))
}

/// Splits an absolute `http`/`https` URL. `None` for anything else.
fn split_absolute(input: &str) -> Option<Absolute<'_>> {
    let (scheme, after) = scheme_of(input)?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    // Special schemes accept any run of `/` or `\` before the authority.
    let after = after.trim_start_matches(['/', '\\']);
    let end = after.find(['/', '\\', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    let (has_userinfo, host_port) = match authority.rfind('@') {
        Some(at) => (true, authority.get(at + 1..)?),
        None => (false, authority),
    };
    // An IPv6 literal keeps its colons inside the brackets.
    let port_colon = match host_port.rfind(']') {
        Some(close) => host_port.get(close..)?.find(':').map(|i| close + i),
        None => host_port.find(':'),
    };
    let (host, port) = match port_colon {
        Some(i) => {
            let digits = host_port.get(i + 1..)?;
            let port = if digits.is_empty() {
                None
            } else {
                Some(parse_port(digits)?)
            };
            (host_port.get(..i)?, port)
        }
        None => (host_port, None),
    };
    if host.is_empty() {
        return None;
    }
    Some(Absolute {
        scheme,
        host: host.to_ascii_lowercase(),
        port,
        has_userinfo,
        rest,
    })
}

/// A port as WHATWG reads it: decimal digits, leading zeros allowed, at most 65535.
fn parse_port(digits: &str) -> Option<u16> {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Some(0);
    }
    significant.parse().ok()
}

/// A host the WHATWG parser keeps as written (lower-cased): letters, digits, `-` and `.`, or
/// `[::1]`. Percent-escapes and other characters would be rewritten by the platform,
/// so the origin the client compares against would not be the one `fetch` uses.
fn plain_host(host: &str) -> bool {
    if host.starts_with('[') {
        // Of IPv6 literals, only the loopback one, in its canonical form.
        return host == "[::1]";
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return false;
    }
    // A host whose last label is a number is an IPv4 address to WHATWG, which rewrites forms
    // like `127.1` or `0x7f.0.0.1`; only the canonical dotted quad is kept as written.
    let last = host.trim_end_matches('.').rsplit('.').next().unwrap_or("");
    let numeric = !last.is_empty()
        && (last.bytes().all(|b| b.is_ascii_digit())
            || last.starts_with("0x")
            || last.starts_with("0X"));
    !numeric || canonical_ipv4(host)
}

/// `a.b.c.d`, each a decimal from 0 to 255 without leading zeros.
fn canonical_ipv4(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

fn invalid(problem: &'static str) -> Error {
    Error::InvalidOptions {
        field: "baseUrl".into(),
        problem,
    }
}

/// Validates `baseUrl`: an absolute `http(s)` URL without credentials, query or fragment,
/// `https` unless the host is a loopback one.
pub fn parse_base(input: &str) -> Result<BaseUrl, Error> {
    let cleaned = clean(input);
    let url = split_absolute(&cleaned).ok_or_else(|| invalid("must be an absolute http(s) URL"))?;
    if url.has_userinfo {
        return Err(invalid("must not contain a user name or password"));
    }
    if url.rest.contains(['?', '#']) {
        return Err(invalid("must not contain a query or a fragment"));
    }
    if url.rest.contains('\\') {
        return Err(invalid("must use `/` in its path"));
    }
    if url.port == Some(0) {
        return Err(invalid("has an invalid port"));
    }
    if !plain_host(&url.host) {
        return Err(invalid(
            "must have a plain ASCII host name (punycode for international names)",
        ));
    }
    if url.scheme == "http" && !LOOPBACK_HOSTS.contains(&url.host.as_str()) {
        return Err(Error::InsecureUrl);
    }
    let origin = url.origin();
    let path = url.rest.trim_end_matches('/');
    Ok(BaseUrl {
        base: format!("{origin}{path}"),
        origin,
    })
}

/// Resolves a request target: a path relative to the base (`/activities` and `activities`
/// both land under the base path) or an absolute URL, which is an API target only when it has
/// the base's origin.
///
/// ```
/// use musement_auth::url::{parse_base, resolve, Target};
/// let base = parse_base("https://api.musement.com/api/v3").unwrap();
/// assert_eq!(
///     resolve(&base, "/activities?limit=10"),
///     Target::Api("https://api.musement.com/api/v3/activities?limit=10".into())
/// );
/// assert_eq!(resolve(&base, "https://example.com/x"), Target::Foreign);
/// ```
pub fn resolve(base: &BaseUrl, input: &str) -> Target {
    let cleaned = clean(input);
    if scheme_of(&cleaned).is_some() {
        return match split_absolute(&cleaned) {
            Some(url) if !url.has_userinfo && url.origin() == base.origin => {
                Target::Api(format!("{}{}", base.origin, url.rest))
            }
            _ => Target::Foreign,
        };
    }
    // A scheme-relative `//host/x` is a path under the base here, as the docs promise for
    // every input that is not an absolute URL; it can never leave the base's origin.
    let path = cleaned.trim_start_matches('/');
    Target::Api(format!("{}/{path}", base.base))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(s: &str) -> BaseUrl {
        parse_base(s).unwrap()
    }

    #[test]
    fn base_urls_are_normalised() {
        let b = base("https://API.Musement.com:443/api/v3/");
        assert_eq!(b.base, "https://api.musement.com/api/v3");
        assert_eq!(b.origin, "https://api.musement.com");
        assert_eq!(
            base("http://127.0.0.1:8080/api/v3").origin,
            "http://127.0.0.1:8080"
        );
        assert_eq!(base("http://localhost").base, "http://localhost");
        assert_eq!(base("http://[::1]:9/x").origin, "http://[::1]:9");
        assert_eq!(
            base("  https://h.example/a\t/b  ").base,
            "https://h.example/a/b"
        );
    }

    #[test]
    fn bad_base_urls_are_rejected_with_the_right_code() {
        for bad in [
            "",
            "api.musement.com",
            "/api/v3",
            "ftp://h/x",
            "https://",
            "https://u:p@h/x",
            "https://h/x?y=1",
            "https://h/x#f",
            "https://h:99999/",
            "https://h:ab/",
            "https://api.musement%2ecom/x",
            "https://exämple.com/x",
            "https://a_b.com/x",
            "https:1//api.musement.com/x",
            "http://127.1/x",
            "http://0x7f.0.0.1/x",
            "https://1.2.3.04/x",
            "https://1.2.3.4./x",
            "https://256.1.1.1/x",
            "https://[:1]:443/x",
            "http://[0:0::1]/x",
            "mailto:x@y",
        ] {
            let e = parse_base(bad).unwrap_err();
            assert_eq!(e.code(), "invalid_options", "{bad}");
        }
        for insecure in [
            "http://api.musement.com/api/v3",
            "http://127.0.0.2/",
            "http://localhost.evil.com/",
        ] {
            assert_eq!(
                parse_base(insecure).unwrap_err(),
                Error::InsecureUrl,
                "{insecure}"
            );
        }
    }

    #[test]
    fn relative_paths_resolve_under_the_base_path() {
        let b = base("https://api.musement.com/api/v3");
        let api = |s: &str| Target::Api(s.to_owned());
        assert_eq!(
            resolve(&b, "/activities"),
            api("https://api.musement.com/api/v3/activities")
        );
        assert_eq!(
            resolve(&b, "activities"),
            api("https://api.musement.com/api/v3/activities")
        );
        assert_eq!(
            resolve(&b, "cities?limit=2"),
            api("https://api.musement.com/api/v3/cities?limit=2")
        );
        assert_eq!(
            resolve(&b, "//evil.com/x"),
            api("https://api.musement.com/api/v3/evil.com/x")
        );
        assert_eq!(
            resolve(&b, "@evil.com"),
            api("https://api.musement.com/api/v3/@evil.com")
        );
        assert_eq!(resolve(&b, ""), api("https://api.musement.com/api/v3/"));
    }

    #[test]
    fn absolute_urls_of_the_same_origin_are_api_targets() {
        let b = base("https://api.musement.com/api/v3");
        assert_eq!(
            resolve(&b, "HTTPS://API.MUSEMENT.COM:443/api/v3/cities"),
            Target::Api("https://api.musement.com/api/v3/cities".into())
        );
        assert_eq!(
            resolve(&b, "https://api.musement.com/other"),
            Target::Api("https://api.musement.com/other".into())
        );
    }

    #[test]
    fn other_origins_and_tricks_are_foreign() {
        let b = base("https://api.musement.com/api/v3");
        for foreign in [
            "https://example.com/api/v3/activities",
            "http://api.musement.com/api/v3/activities",
            "https://api.musement.com:8443/x",
            "https://api.musement.com@evil.com/x",
            "https://evil.com\\@api.musement.com/x",
            "https://evil.com#@api.musement.com/",
            "https://api.musement.com.evil.com/",
            "https://api.musement%2ecom/x",
            "https://user@api.musement.com/x",
            "ftp://api.musement.com/x",
            "data:text/plain,hi",
            "javascript:alert(1)",
        ] {
            assert_eq!(resolve(&b, foreign), Target::Foreign, "{foreign}");
        }
    }

    #[test]
    fn loopback_with_port() {
        let b = base("http://127.0.0.1:4010/api/v3");
        assert_eq!(
            resolve(&b, "http://127.0.0.1:4010/api/v3/cities"),
            Target::Api("http://127.0.0.1:4010/api/v3/cities".into())
        );
        assert_eq!(
            resolve(&b, "http://127.0.0.1:4011/api/v3/cities"),
            Target::Foreign
        );
        assert_eq!(
            resolve(&b, "http://localhost:4010/api/v3/cities"),
            Target::Foreign
        );
    }
}
