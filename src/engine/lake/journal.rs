//! The ingest journal: an append-only, fsynced log of which input spans landed in which output files,
//! so a rerun after a crash resumes exactly where the durable output ends.
//!
//! Protocol per output file: `pending` (span + key) is fsynced before the file is made visible, `done` after.
//! On resume a `pending` entry counts as landed iff its key is visible at the destination.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::error::{Error, Result};
use crate::engine::sink::Position;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputFingerprint {
    pub path: String,
    pub size: u64,
    pub mtime_ns: i64,
}

impl InputFingerprint {
    pub fn of(path: &Path) -> Result<Self> {
        let canon = std::fs::canonicalize(path).map_err(|e| Error::io("open input", path, e))?;
        let m = std::fs::metadata(&canon).map_err(|e| Error::io("stat input", path, e))?;
        let mtime_ns = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        Ok(Self { path: canon.display().to_string(), size: m.len(), mtime_ns })
    }
}

/// What a run consumed of one input: the first `bytes` bytes of its decoded stream, whose xxh3 hash is `hash`.
/// A rerun resumes only if those bytes are unchanged; anything after them may be corrected or appended.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Consumed {
    pub input: u32,
    pub bytes: u64,
    pub hash: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Record {
    Run { destination: String, inputs: Vec<InputFingerprint> },
    /// One attempt (process) working on the run; its tag names its in-progress and staging files.
    Attempt { tag: String },
    /// The schema the run writes (the schema file's JSON form); reruns keep it.
    Schema { schema: serde_json::Value },
    Pending {
        seq: u64,
        key: String,
        start: Position,
        end: Position,
        rows: u64,
        bytes: u64,
        /// The input bytes up to `end`.
        #[serde(default)]
        consumed: Option<Consumed>,
        /// For an Iceberg commit (`key` = `commit:{id}`): the data files it adds, deleted on resume when the
        /// commit provably did not land.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        files: Vec<String>,
    },
    Done { seq: u64 },
    /// Every byte of an input was read (and each of its lines either written, skipped or dead-lettered, or
    /// in a file whose own record follows).
    InputEnd(Consumed),
    Complete,
}

/// What an existing journal says about earlier runs.
#[derive(Debug, Default)]
pub struct Recovered {
    pub inputs: Option<Vec<InputFingerprint>>,
    pub complete: bool,
    pub done: Vec<(Position, Position)>,
    /// Keys of the files recorded as done.
    pub done_keys: Vec<String>,
    /// Fingerprints of consumed input: of done files' ends and of inputs read to the end.
    pub consumed: Vec<Consumed>,
    pub schema: Option<serde_json::Value>,
    /// Files (or Iceberg commits) whose landing is unknown.
    pub pending: Vec<PendingEntry>,
    pub next_seq: u64,
    /// Tags of earlier attempts, whose leftover in-progress files may be removed.
    pub attempts: Vec<String>,
}

/// A `pending` record without its `done`.
#[derive(Debug, Clone)]
pub struct PendingEntry {
    pub key: String,
    pub start: Position,
    pub end: Position,
    /// The input consumed up to `end`.
    pub consumed: Option<Consumed>,
    pub files: Vec<String>,
}

pub struct Journal {
    path: PathBuf,
    file: std::fs::File,
}

impl Journal {
    /// Reads the journal at `path` if any. A torn last line (crash mid-append) is ignored.
    pub fn recover(path: &Path) -> Result<Recovered> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Recovered::default()),
            Err(e) => return Err(Error::io("read journal", path, e)),
        };
        let mut r = Recovered::default();
        let mut pending = std::collections::BTreeMap::new();
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let rec = match serde_json::from_str::<Record>(line) {
                Ok(r) => r,
                // Only the last line can be torn by a crash mid-append.
                Err(_) if n + 1 == lines.len() => continue,
                Err(e) => {
                    return Err(Error::Config(format!(
                        "journal {} is damaged at line {}: {e}; pass --restart to start over",
                        path.display(),
                        n + 1
                    )));
                }
            };
            match rec {
                Record::Run { inputs, .. } => {
                    r.inputs.get_or_insert(inputs);
                }
                Record::Pending { seq, key, start, end, consumed, files, .. } => {
                    r.next_seq = r.next_seq.max(seq + 1);
                    pending.insert(seq, PendingEntry { key, start, end, consumed, files });
                }
                Record::Done { seq } => {
                    if let Some(p) = pending.remove(&seq) {
                        r.done.push((p.start, p.end));
                        r.done_keys.push(p.key);
                        r.consumed.extend(p.consumed);
                    }
                }
                Record::InputEnd(c) => r.consumed.push(c),
                Record::Schema { schema } => r.schema = Some(schema),
                Record::Complete => r.complete = true,
                Record::Attempt { tag } => r.attempts.push(tag),
            }
        }
        r.pending = pending.into_values().collect();
        Ok(r)
    }

    /// Opens (creating) the journal and takes an exclusive lock on it, so two runs of the same inputs never
    /// interleave; the lock dies with the process, even on `kill -9`.
    pub fn open_locked(path: &Path) -> Result<Self> {
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).map_err(|e| Error::io("create state directory", d, e))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io("open journal", path, e))?;
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: flock on a descriptor we own; no memory is shared with the kernel.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                return Err(Error::Busy {
                    what: format!("another ingest of the same inputs is running (journal {} is locked)", path.display()),
                });
            }
        }
        Ok(Self { path: path.to_path_buf(), file })
    }

    /// Forgets every record (for `--restart`), keeping the lock.
    pub fn reset(&mut self) -> Result<()> {
        self.file.set_len(0).and_then(|_| self.file.sync_all()).map_err(|e| Error::io("reset journal", &self.path, e))
    }

    /// Appends a record and fsyncs it.
    pub fn append(&mut self, rec: &Record) -> Result<()> {
        let mut line = serde_json::to_vec(rec).map_err(|e| Error::Config(e.to_string()))?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|_| self.file.sync_data())
            .map_err(|e| Error::io("append to journal", &self.path, e))
    }
}

/// Sorted, merged half-open spans of input already in the output.
#[derive(Debug, Default, Clone)]
pub struct Covered {
    spans: Vec<(Position, Position)>,
}

impl Covered {
    pub fn new(mut spans: Vec<(Position, Position)>) -> Self {
        spans.retain(|(s, e)| s < e);
        spans.sort();
        let mut merged: Vec<(Position, Position)> = Vec::new();
        for (s, e) in spans {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        Self { spans: merged }
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Line ranges `[a, b)` of input `input` that intersect `[first, end)` and are covered.
    pub fn lines_in(&self, input: u32, first: u64, end: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        for &((si, sl), (ei, el)) in &self.spans {
            if si > input || ei < input {
                continue;
            }
            let a = if si < input { 0 } else { sl };
            let b = if ei > input { u64::MAX } else { el };
            let (a, b) = (a.max(first), b.min(end));
            if a < b {
                out.push((a, b));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covered_spans_cross_inputs() {
        let c = Covered::new(vec![((0, 5), (2, 3)), ((0, 1), (0, 5)), ((3, 1), (3, 1))]);
        assert_eq!(c.lines_in(0, 1, 100), vec![(1, 100)]);
        assert_eq!(c.lines_in(1, 10, 20), vec![(10, 20)]);
        assert_eq!(c.lines_in(2, 1, 100), vec![(1, 3)]);
        assert!(c.lines_in(3, 1, 100).is_empty());
    }

    #[test]
    fn recovers_torn_journal() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j");
        let mut j = Journal::open_locked(&p).unwrap();
        j.append(&Record::Pending { seq: 0, key: "a".into(), start: (0, 1), end: (0, 10), rows: 9, bytes: 1, consumed: None, files: vec![] })
            .unwrap();
        j.append(&Record::Done { seq: 0 }).unwrap();
        j.append(&Record::Pending { seq: 1, key: "b".into(), start: (0, 10), end: (0, 20), rows: 9, bytes: 1, consumed: None, files: vec![] })
            .unwrap();
        std::fs::OpenOptions::new().append(true).open(&p).unwrap().write_all(b"{\"t\":\"do").unwrap();
        let r = Journal::recover(&p).unwrap();
        assert_eq!(r.done, vec![((0, 1), (0, 10))]);
        assert_eq!(r.pending.len(), 1);
        assert_eq!(r.next_seq, 2);
    }
}
