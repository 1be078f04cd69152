//! Retry timing: exponential backoff with jitter, and the wait a server asks for in
//! `retry-after` / `retry-after-ms`. Pure apart from the jitter's randomness and, for an HTTP-date
//! `retry-after` without a `date` header, the wall clock.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use time::OffsetDateTime;
use time::macros::format_description;

/// `initial` doubled per attempt (1 = the first retry) up to `max`, then a random point
/// between half and all of it (jitter, so parallel requests do not retry in step).
pub fn backoff(initial: Duration, max: Duration, attempt: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX);
    let full = initial.saturating_mul(factor).min(max);
    let mut h = RandomState::new().build_hasher();
    h.write_u32(attempt);
    let unit = (h.finish() >> 11) as f64 / (1u64 << 53) as f64;
    full / 2 + (full / 2).mul_f64(unit)
}

/// The wait a server asks for: `retry-after-ms`, or `retry-after` in seconds or as an HTTP date
/// (measured from the answer's `date` header when there is one).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let secs = |s: &str| {
        s.parse::<f64>()
            .ok()
            .and_then(|v| Duration::try_from_secs_f64(v).ok())
    };
    if let Some(ms) = get("retry-after-ms").and_then(secs) {
        return Some(ms / 1000);
    }
    let value = get("retry-after")?;
    if let Some(d) = secs(value) {
        return Some(d);
    }
    let at = http_date(value)?;
    let now = get("date")
        .and_then(http_date)
        .unwrap_or_else(|| SystemTime::now().into());
    Some(Duration::try_from((at - now).max(time::Duration::ZERO)).unwrap_or_default())
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110's IMF-fixdate).
fn http_date(s: &str) -> Option<OffsetDateTime> {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(s, format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("valid"));
        }
        h
    }

    #[test]
    fn retry_after_forms() {
        let s = Duration::from_secs;
        assert_eq!(retry_after(&headers(&[("retry-after", "2")])), Some(s(2)));
        assert_eq!(
            retry_after(&headers(&[("retry-after", "0.5")])),
            Some(s(1) / 2)
        );
        assert_eq!(
            retry_after(&headers(&[
                ("retry-after", "9"),
                ("retry-after-ms", "1500")
            ])),
            Some(Duration::from_millis(1500))
        );
        let dated = headers(&[
            ("retry-after", "Wed, 01 Jul 2026 12:00:30 GMT"),
            ("date", "Wed, 01 Jul 2026 12:00:00 GMT"),
        ]);
        assert_eq!(retry_after(&dated), Some(s(30)));
        let past = headers(&[
            ("retry-after", "Wed, 01 Jul 2026 11:00:00 GMT"),
            ("date", "Wed, 01 Jul 2026 12:00:00 GMT"),
        ]);
        assert_eq!(retry_after(&past), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "-3")])), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_doubles_to_the_cap_with_jitter() {
        let ms = Duration::from_millis;
        for (attempt, full) in [(1, 100), (2, 200), (3, 400), (4, 400), (40, 400)] {
            let full = ms(full);
            let seen: Vec<_> = (0..20)
                .map(|_| backoff(ms(100), ms(400), attempt))
                .collect();
            assert!(
                seen.iter().all(|d| *d >= full / 2 && *d <= full),
                "{attempt}: {seen:?}"
            );
            assert!(
                seen.iter().any(|d| *d != seen[0]),
                "jitter varies: {seen:?}"
            );
        }
        assert_eq!(backoff(ms(0), ms(0), 3), Duration::ZERO);
    }
}
