//! Prefix polling for `watch`: which `NAME.{millis}[.*].parquet` objects are new since the last poll, listed
//! incrementally (S3 `StartAfter` the key of the newest emitted timestamp minus a safety window), with a small
//! state that can be persisted so a restarted watcher resumes with no gap and no repeat.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::error::{Error, Result};
use crate::engine::naming::{KeyKind, classify, split_prefix};
use crate::engine::storage::{self, BlobStore, Location, S3Settings, local::write_atomic};

#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub location: Location,
    /// `name` or `folder/name`.
    pub prefix: String,
    /// Files with a timestamp at or before this are not emitted (when no state exists yet).
    pub start_after_ms: i64,
    /// How late (by file timestamp) a file may appear and still be emitted.
    pub safety_window_ms: i64,
    pub include_compacted: bool,
    pub s3: S3Settings,
}

/// What has been emitted; persisted with `--state`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WatchState {
    pub version: u32,
    pub location: String,
    pub prefix: String,
    /// Files with a timestamp at or before this are never emitted.
    pub floor_ms: i64,
    /// The newest file timestamp emitted.
    pub high_water_ms: Option<i64>,
    /// Keys emitted whose timestamp is within the safety window below the high-water mark; older ones can no
    /// longer be listed, so they are pruned.
    pub recent: BTreeMap<String, i64>,
}

/// One new file, as printed (one NDJSON line) or handed to `--exec`.
#[derive(Debug, Clone, Serialize)]
pub struct FileEvent {
    /// The full address: `s3://bucket/key` or a local path.
    pub location: String,
    /// The key relative to the watched location.
    pub key: String,
    pub size: u64,
    pub etag: Option<String>,
    /// The timestamp in the file name.
    pub timestamp_ms: i64,
    pub timestamp: String,
    pub last_modified_ms: i64,
    /// A compaction output (`.c.parquet`).
    pub compacted: bool,
}

pub struct Poller {
    store: Arc<dyn BlobStore>,
    folder: String,
    name: String,
    opts: WatchOptions,
    state: WatchState,
}

/// Reads a state file; a missing file is no state.
pub fn load_state(path: &Path) -> Result<Option<WatchState>> {
    match std::fs::read(path) {
        Ok(data) => serde_json::from_slice(&data)
            .map(Some)
            .map_err(|e| Error::Config(format!("{}: unreadable watch state ({e}); delete it to start over", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path, e)),
    }
}

/// Writes the state file atomically (temp file, fsync, rename).
pub fn save_state(path: &Path, state: &WatchState) -> Result<()> {
    let data = serde_json::to_vec_pretty(state).map_err(|e| Error::Config(e.to_string()))?;
    write_atomic(path, &data)
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

impl Poller {
    /// Opens the location; resumes from `state` when given (it must be for the same location and prefix).
    pub async fn new(opts: WatchOptions, state: Option<WatchState>) -> Result<Self> {
        let store = storage::open(&opts.location, &opts.s3).await?;
        let (folder, name) = split_prefix(&opts.prefix);
        let location = opts.location.to_string();
        let state = match state {
            Some(s) if s.location != location || s.prefix != opts.prefix => {
                return Err(Error::Config(format!(
                    "the watch state is for {} --prefix {}, not {location} --prefix {}",
                    s.location, s.prefix, opts.prefix
                )));
            }
            Some(s) => s,
            None => WatchState {
                version: 1,
                location,
                prefix: opts.prefix.clone(),
                floor_ms: opts.start_after_ms,
                high_water_ms: None,
                recent: BTreeMap::new(),
            },
        };
        Ok(Self { store, folder, name, opts, state })
    }

    pub fn state(&self) -> &WatchState {
        &self.state
    }

    /// The lowest file timestamp a poll still needs to list.
    fn lower_bound(&self) -> i64 {
        match self.state.high_water_ms {
            Some(h) => self.state.floor_ms.max(h - self.opts.safety_window_ms),
            None => self.state.floor_ms,
        }
    }

    /// New files since the last poll, oldest first, not yet marked as emitted. Lists only keys at or after
    /// `NAME.{lower bound}`.
    pub async fn poll(&self) -> Result<Vec<FileEvent>> {
        let lower = self.lower_bound().max(0);
        let list_prefix = format!("{}{}.", self.folder, self.name);
        // Timestamps of equal digit count sort as strings: `events.1700…` precedes every key with a later time.
        let start_after = format!("{list_prefix}{lower}");
        // A missing directory lists as empty, like an S3 prefix with no objects; but a watched directory that
        // does not exist is most likely a wrong path, and is reported like a missing bucket.
        if let Location::Local(root) = self.store.location()
            && !root.is_dir()
        {
            return Err(Error::NotFound { location: root.display().to_string(), message: "no such directory".into() });
        }
        let listing = self.store.list(&list_prefix, Some(&start_after)).await?;
        let mut events = Vec::new();
        for o in listing {
            let rel = &o.key[self.folder.len()..];
            let KeyKind::Data { timestamp_ms, compacted } = classify(rel, &self.name) else { continue };
            if timestamp_ms <= self.state.floor_ms || timestamp_ms < lower || self.state.recent.contains_key(&o.key) {
                continue;
            }
            if compacted && !self.opts.include_compacted {
                continue;
            }
            events.push(FileEvent {
                location: self.store.location().display_key(&o.key),
                key: o.key.clone(),
                size: o.size,
                etag: o.etag.clone(),
                timestamp_ms,
                timestamp: rfc3339(timestamp_ms),
                last_modified_ms: o.last_modified_ms,
                compacted,
            });
        }
        events.sort_by(|a, b| (a.timestamp_ms, &a.key).cmp(&(b.timestamp_ms, &b.key)));
        Ok(events)
    }

    /// Records that `ev` was delivered, and forgets what fell out of the safety window.
    pub fn mark(&mut self, ev: &FileEvent) {
        self.state.recent.insert(ev.key.clone(), ev.timestamp_ms);
        let high = self.state.high_water_ms.map_or(ev.timestamp_ms, |h| h.max(ev.timestamp_ms));
        self.state.high_water_ms = Some(high);
        let lower = self.lower_bound();
        self.state.recent.retain(|_, ts| *ts >= lower);
    }
}

/// Runs `command` through `sh -c` with the event as one JSON line on its stdin; its output goes to ours.
pub async fn run_hook(command: &str, ev: &FileEvent) -> Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut line = serde_json::to_vec(ev).map_err(|e| Error::Config(e.to_string()))?;
    line.push(b'\n');
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("PRESTIGE_FILE", &ev.location)
        .env("PRESTIGE_KEY", &ev.key)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Error::Config(format!("--exec {command:?}: cannot start: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its stdin is fine.
        let _ = stdin.write_all(&line).await;
    }
    let status = child.wait().await.map_err(|e| Error::Config(format!("--exec {command:?}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::HookFailed {
            command: command.to_string(),
            file: ev.location.clone(),
            status: status.code().map_or_else(|| "killed by a signal".to_string(), |c| format!("exit code {c}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_and_prunes_within_the_window() {
        let mut p = Poller {
            store: Arc::new(storage::local::LocalStore::new("/nonexistent".into())),
            folder: String::new(),
            name: "events".into(),
            opts: WatchOptions {
                location: Location::Local("/nonexistent".into()),
                prefix: "events".into(),
                start_after_ms: 1_000,
                safety_window_ms: 100,
                include_compacted: false,
                s3: S3Settings::default(),
            },
            state: WatchState {
                version: 1,
                location: String::new(),
                prefix: String::new(),
                floor_ms: 1_000,
                high_water_ms: None,
                recent: BTreeMap::new(),
            },
        };
        let ev = |k: &str, ts| FileEvent {
            location: k.into(),
            key: k.into(),
            size: 1,
            etag: None,
            timestamp_ms: ts,
            timestamp: String::new(),
            last_modified_ms: 0,
            compacted: false,
        };
        p.mark(&ev("a", 2_000));
        p.mark(&ev("b", 2_050));
        p.mark(&ev("c", 2_200));
        assert_eq!(p.state.high_water_ms, Some(2_200));
        assert_eq!(p.lower_bound(), 2_100);
        assert_eq!(p.state.recent.keys().cloned().collect::<Vec<_>>(), vec!["c".to_string()]);
    }
}
