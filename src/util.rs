//! Small shared helpers: hashing, timestamps, and the caller context (who and when).
//! The core never reads the clock or the OS user: a [`Ctx`] is passed in.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Who is acting and when. Built by the binary (honouring `LUCID_ACTOR` / `LUCID_NOW`) or by tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctx {
    pub actor: String,
    /// RFC 3339 UTC, e.g. `2026-11-25T20:51:35.123Z`.
    pub now: String,
}

impl Ctx {
    pub fn new(actor: impl Into<String>, now: OffsetDateTime) -> Self {
        Self {
            actor: actor.into(),
            now: format_time(now),
        }
    }
}

/// Lower-case hex SHA-256 of raw bytes (equal to Anthropic's `content_sha256`).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Formats a time as RFC 3339 UTC with millisecond precision and a `Z` suffix.
pub fn format_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Parses an RFC 3339 time (any offset) or a bare `YYYY-MM-DD` date (midnight UTC).
pub fn parse_time(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let date =
        time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(date.midnight().assume_utc())
}

/// Normalises a user-given time to the canonical stored form.
pub fn normalize_time(s: &str) -> Option<String> {
    parse_time(s).map(format_time)
}

/// Truncates to at most `max` bytes on a char boundary.
pub fn truncate_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn times_round_trip_to_utc_millis() {
        assert_eq!(
            normalize_time("2026-06-30").as_deref(),
            Some("2026-06-30T00:00:00.000Z")
        );
        assert_eq!(
            normalize_time("2026-06-30T02:00:00.5+02:00").as_deref(),
            Some("2026-06-30T00:00:00.500Z")
        );
        assert_eq!(normalize_time("yesterday"), None);
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate_str("héllo", 2), "h");
        assert_eq!(truncate_str("abc", 10), "abc");
    }
}
