//! The object naming convention: `{prefix}.{timestamp_millis}[.{suffix}].parquet` for data files and
//! `{prefix}.{timestamp_millis}.c.parquet` for compaction outputs, plus prestige's own control objects.

/// What a key under `{prefix}.` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyKind {
    /// A data file with its timestamp; `compacted` for `.c.parquet` outputs.
    Data { timestamp_ms: i64, compacted: bool },
    /// prestige's lock and journal objects.
    Control,
    /// Starts with `{prefix}.` but does not follow the pattern: skipped with a warning.
    Stray(&'static str),
    /// Belongs to another prefix (`events_other.*` for `events`) or another folder.
    Foreign,
}

pub const LOCK_SUFFIX: &str = "compaction.lock";
pub const JOURNAL_SUFFIX: &str = "compaction-journal.json";

/// Classifies `name` (the part of a key after the prefix's folder) against the file name prefix `name_prefix`.
pub fn classify(name: &str, name_prefix: &str) -> KeyKind {
    let Some(rest) = name.strip_prefix(name_prefix).and_then(|r| r.strip_prefix('.')) else {
        return KeyKind::Foreign;
    };
    if rest == LOCK_SUFFIX || rest == JOURNAL_SUFFIX {
        return KeyKind::Control;
    }
    if rest.contains('/') {
        return KeyKind::Stray("inside a sub-folder");
    }
    let (ts, tail) = rest.split_once('.').unwrap_or((rest, ""));
    if ts.is_empty() || ts.len() > 16 || !ts.bytes().all(|b| b.is_ascii_digit()) {
        return KeyKind::Stray("no millisecond timestamp after the prefix");
    }
    let Ok(timestamp_ms) = ts.parse::<i64>() else { return KeyKind::Stray("timestamp out of range") };
    match tail {
        "parquet" => KeyKind::Data { timestamp_ms, compacted: false },
        "c.parquet" => KeyKind::Data { timestamp_ms, compacted: true },
        t if t.ends_with(".parquet") => KeyKind::Data { timestamp_ms, compacted: false },
        "processed" => KeyKind::Stray("a .processed marker"),
        _ => KeyKind::Stray("not a .parquet file"),
    }
}

/// Splits `raw/events` into the folder part (`raw/`) and the file name prefix (`events`).
pub fn split_prefix(prefix: &str) -> (String, String) {
    match prefix.rfind('/') {
        Some(i) => (prefix[..=i].to_string(), prefix[i + 1..].to_string()),
        None => (String::new(), prefix.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_keys() {
        let d = |ts, c| KeyKind::Data { timestamp_ms: ts, compacted: c };
        assert_eq!(classify("events.1700000000000.parquet", "events"), d(1700000000000, false));
        assert_eq!(classify("events.1700000000000.ab12-0001.parquet", "events"), d(1700000000000, false));
        assert_eq!(classify("events.1700000000000.c.parquet", "events"), d(1700000000000, true));
        assert_eq!(classify("events_other.1700000000000.parquet", "events"), KeyKind::Foreign);
        assert_eq!(classify("eventsx.1.parquet", "events"), KeyKind::Foreign);
        assert!(matches!(classify("events.notatime.parquet", "events"), KeyKind::Stray(_)));
        assert!(matches!(classify("events.1700000000000.txt", "events"), KeyKind::Stray(_)));
        assert!(matches!(classify("events.1700000000000.processed", "events"), KeyKind::Stray(_)));
        assert_eq!(classify("events.compaction.lock", "events"), KeyKind::Control);
        assert_eq!(split_prefix("raw/x/events"), ("raw/x/".to_string(), "events".to_string()));
    }
}
