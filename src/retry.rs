//! When to try again: which failures are retried, how long to wait, and `Retry-After`.
//!
//! Logins are retried on 429, any 5xx and network errors; API calls only when they are GET or
//! HEAD, and only on network errors, 429 and 503. Timeouts are not retried: the attempt has
//! already used its whole `timeoutMs`. No other 4xx is ever retried. Each retry waits an
//! exponential backoff with jitter, or the server's `Retry-After` when that is longer; a wait
//! longer than `timeoutMs` is not worth it, and the failure is returned at once instead.

use crate::error::Error;

/// The first backoff, in milliseconds; it doubles with each retry.
pub const BASE_BACKOFF_MS: f64 = 200.0;

/// The default `maxRetries`.
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// The most `maxRetries` may be.
pub const MAX_RETRIES_LIMIT: u32 = 10;

/// What an attempt came to, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An answer with this status.
    Status(u16),
    /// No answer: connection refused or reset, DNS.
    NetworkError,
    /// Anything else (a timeout, a bad request, an abort): never retried.
    Final,
}

impl Outcome {
    /// The outcome of a transport error.
    pub fn of_error(error: &Error) -> Self {
        match error {
            Error::NetworkError { .. } => Outcome::NetworkError,
            _ => Outcome::Final,
        }
    }
}

/// Whether a login attempt that came to `outcome` is retried.
pub fn login_retryable(outcome: Outcome) -> bool {
    match outcome {
        Outcome::Status(status) => status == 429 || (500..600).contains(&status),
        Outcome::NetworkError => true,
        Outcome::Final => false,
    }
}

/// Whether an API attempt that came to `outcome` is retried; `idempotent` is true for GET and
/// HEAD.
pub fn api_retryable(idempotent: bool, outcome: Outcome) -> bool {
    idempotent && matches!(outcome, Outcome::NetworkError | Outcome::Status(429 | 503))
}

/// The backoff before retry number `retry` (0 for the first): half of `200 ms × 2^retry`
/// plus a random share (`jitter` in [0, 1)) of the other half.
pub fn backoff_ms(retry: u32, jitter: f64) -> f64 {
    let ceiling = BASE_BACKOFF_MS * f64::from(1u32 << retry.min(16));
    ceiling / 2.0 + jitter.clamp(0.0, 1.0) * ceiling / 2.0
}

/// How long to wait before retry number `retry`, or `None` when the wait would exceed
/// `timeout_ms` (a `Retry-After` that far off is the server saying "not now").
pub fn wait_ms(
    retry: u32,
    jitter: f64,
    retry_after_ms: Option<f64>,
    timeout_ms: u32,
) -> Option<f64> {
    let wait = backoff_ms(retry, jitter).max(retry_after_ms.unwrap_or(0.0));
    (wait <= f64::from(timeout_ms)).then_some(wait)
}

/// Reads `Retry-After`: delay-seconds, or an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`)
/// measured from `now_ms`. A date in the past means now.
pub fn retry_after_ms(value: &str, now_ms: f64) -> Option<f64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(value.parse::<u64>().ok()? as f64 * 1000.0);
    }
    Some((http_date_ms(value)? - now_ms).max(0.0))
}

/// Milliseconds since the epoch of an IMF-fixdate, the form HTTP servers send.
fn http_date_ms(value: &str) -> Option<f64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (_, rest) = value.split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts[..] else {
        return None;
    };
    let day: i64 = day.parse().ok()?;
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let year: i64 = year.parse().ok()?;
    let clock: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [hours, minutes, seconds] = clock[..] else {
        return None;
    };
    if !(1..=31).contains(&day) || hours > 23 || minutes > 59 || seconds > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hours * 3600 + minutes * 60 + seconds) * 1000) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_retried() {
        for status in [429, 500, 502, 503, 504] {
            assert!(login_retryable(Outcome::Status(status)), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 422] {
            assert!(!login_retryable(Outcome::Status(status)), "{status}");
        }
        assert!(login_retryable(Outcome::NetworkError));
        assert!(!login_retryable(Outcome::Final));
        assert!(api_retryable(true, Outcome::Status(429)));
        assert!(api_retryable(true, Outcome::Status(503)));
        assert!(api_retryable(true, Outcome::NetworkError));
        assert!(!api_retryable(true, Outcome::Status(500)));
        assert!(!api_retryable(true, Outcome::Status(502)));
        assert!(!api_retryable(false, Outcome::Status(503)));
        assert!(!api_retryable(false, Outcome::NetworkError));
        assert_eq!(
            Outcome::of_error(&Error::Timeout { after_ms: 1 }),
            Outcome::Final
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_in_its_upper_half() {
        assert_eq!(backoff_ms(0, 0.0), 100.0);
        assert_eq!(backoff_ms(0, 1.0), 200.0);
        assert_eq!(backoff_ms(1, 0.5), 300.0);
        assert_eq!(backoff_ms(2, 0.0), 400.0);
        assert_eq!(backoff_ms(40, 0.0), backoff_ms(16, 0.0));
    }

    #[test]
    fn retry_after_wins_when_longer_and_too_long_is_no_retry() {
        assert_eq!(wait_ms(0, 0.0, None, 10_000), Some(100.0));
        assert_eq!(wait_ms(0, 0.0, Some(2_000.0), 10_000), Some(2_000.0));
        assert_eq!(wait_ms(0, 0.0, Some(50.0), 10_000), Some(100.0));
        assert_eq!(wait_ms(0, 0.0, Some(20_000.0), 10_000), None);
        assert_eq!(wait_ms(6, 0.0, None, 5_000), None);
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(retry_after_ms("2", 0.0), Some(2_000.0));
        assert_eq!(retry_after_ms(" 0 ", 0.0), Some(0.0));
        let date = http_date_ms("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(date, 784_111_777_000.0);
        assert_eq!(
            retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", date - 3_000.0),
            Some(3_000.0)
        );
        assert_eq!(
            retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", date + 3_000.0),
            Some(0.0)
        );
        assert_eq!(http_date_ms("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0.0));
        assert_eq!(
            http_date_ms("Tue, 29 Feb 2028 23:59:59 GMT"),
            Some(1_835_481_599_000.0)
        );
        for bad in [
            "",
            "-1",
            "1.5",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 8:49 GMT",
        ] {
            assert_eq!(retry_after_ms(bad, 0.0), None, "{bad}");
        }
    }
}
