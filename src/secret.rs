//! Values that must never be shown: the client secret and access tokens.

use std::fmt;

/// A string that redacts itself.
///
/// `Debug` and `Display` print `[redacted]`; the value is reachable only through
/// [`Secret::expose`], called where it must leave the process (the `/login` body, the
/// `Authorization` value, the token cache, `accessToken()`) and where text is compared with
/// it (`scrub`, validation).
///
/// ```
/// use musement_auth::Secret;
/// let secret = Secret::new("s3cr3t");
/// assert_eq!(format!("{secret} {secret:?}"), "[redacted] [redacted]");
/// assert_eq!(secret.expose(), "s3cr3t");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Box<str>);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into().into_boxed_str())
    }

    /// The value itself. Call it only where the value must leave the process.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Replaces every occurrence of any of `secrets` in `text` with `[redacted]`.
///
/// Used on text that comes from outside (a server's error message, a platform error) before
/// it is put into an error, so that an echoed secret never reaches a message.
pub fn scrub(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        let value = secret.expose();
        if !value.is_empty() && out.contains(value) {
            out = out.replace(value, "[redacted]");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&s)), "Some([redacted])");
    }

    #[test]
    fn scrub_replaces_every_occurrence() {
        let a = Secret::new("abc");
        let b = Secret::new("xyz");
        assert_eq!(
            scrub("abc and xyz and abc", &[&a, &b]),
            "[redacted] and [redacted] and [redacted]"
        );
        assert_eq!(scrub("nothing here", &[&a]), "nothing here");
        assert_eq!(scrub("abc", &[&Secret::new("")]), "abc");
    }
}
