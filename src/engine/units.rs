//! Parsing of human sizes (`64MiB`), durations (`30s`, `7d`) and points in time (RFC 3339, epoch, relative).

use std::time::Duration;

/// Parses a byte size: a plain number of bytes or a number with a unit (`K`, `KB`, `KiB`, `M`, `MiB`, `G`, ...).
/// Decimal units (KB, MB, GB) are powers of 1000, binary ones (KiB, K, MiB, M, ...) powers of 1024.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| format!("invalid size {text:?}: expected e.g. 64MiB, 500KB or 1048576"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "kb" => 1000.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "mb" => 1e6,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "gb" => 1e9,
        "t" | "tib" => 1024f64.powi(4),
        "tb" => 1e12,
        other => return Err(format!("invalid size {text:?}: unknown unit {other:?} (use B, KiB, MiB, GiB, KB, MB, GB)")),
    };
    let bytes = value * mult;
    if !bytes.is_finite() || bytes < 1.0 {
        return Err(format!("invalid size {text:?}: must be at least 1 byte"));
    }
    Ok(bytes as u64)
}

/// Parses a duration such as `30s`, `5m`, `1h30m`, `7d`, `250ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text.trim())
        .map_err(|e| format!("invalid duration {text:?}: {e} (use e.g. 30s, 5m, 1h, 7d)"))?;
    if d.is_zero() {
        return Err(format!("invalid duration {text:?}: must be greater than zero"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size("64M").unwrap(), 64 << 20);
        assert_eq!(parse_size("1.5KiB").unwrap(), 1536);
        assert_eq!(parse_size("10MB").unwrap(), 10_000_000);
        assert_eq!(parse_size("123").unwrap(), 123);
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(7 * 86400));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("0s").is_err());
    }
}

/// Parses a point in time to epoch milliseconds: RFC 3339, epoch seconds (up to 11 digits) or milliseconds,
/// or a duration before `now_ms` (`2h`, `7d`).
pub fn parse_time(text: &str, now_ms: i64) -> Result<i64, String> {
    let t = text.trim();
    if let Ok(n) = t.parse::<i64>() {
        return Ok(if n.abs() < 100_000_000_000 { n * 1000 } else { n });
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(dt.timestamp_millis());
    }
    if let Ok(d) = humantime::parse_duration(t) {
        return Ok(now_ms - d.as_millis() as i64);
    }
    Err(format!("invalid time {text:?}: use RFC 3339 (2024-05-01T00:00:00Z), epoch seconds or millis, or a duration ago (2h, 7d)"))
}

#[cfg(test)]
mod time_tests {
    use super::parse_time;

    #[test]
    fn times() {
        assert_eq!(parse_time("1700000000", 0).unwrap(), 1_700_000_000_000);
        assert_eq!(parse_time("1700000000123", 0).unwrap(), 1_700_000_000_123);
        assert_eq!(parse_time("2024-01-01T00:00:00Z", 0).unwrap(), 1_704_067_200_000);
        assert_eq!(parse_time("2h", 10_000_000).unwrap(), 10_000_000 - 7_200_000);
        assert!(parse_time("yesterday-ish", 0).is_err());
    }
}
