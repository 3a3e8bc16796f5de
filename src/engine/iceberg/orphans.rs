//! `snapshot remove-orphans`: files under a table's location that no metadata references — no snapshot of any
//! ref or none (its manifest list, manifests, and the data and delete files their live entries name), no metadata
//! file still in the metadata log, no statistics file — and that are older than a
//! threshold (default 3 days: a younger file may belong to a commit still in flight). The table is reloaded and
//! the files re-checked right before deleting.
//!
//! Paths compare with scheme equivalence (`s3`, `s3a`, `s3n`; `file:` and plain local paths) and exact
//! authority (bucket): a listed file whose path a reference names under another bucket or scheme is kept and
//! reported, never deleted.

use std::collections::{HashMap, HashSet};

use futures::StreamExt;
use iceberg::spec::{ManifestFile, ManifestStatus, TableMetadata};
use serde::Serialize;

use super::catalog::{Catalog, LoadedTable};
use super::commit::manifests_of;
use super::expire::FailedDelete;
use super::inspect::rfc3339_ms;
use crate::engine::error::{Error, Result};
use crate::engine::storage::{self, Location};

/// `--older-than`'s default: 3 days.
pub const DEFAULT_MIN_AGE_MS: i64 = 3 * 24 * 3600 * 1000;
/// Younger thresholds need `--force`.
pub const SAFE_MIN_AGE_MS: i64 = 3600 * 1000;

/// (scheme class, authority, path) of a file location: `s3a://b/k` → ("s3", "b", "k"); `file:///p` and `/p`
/// → ("file", "", "/p").
pub fn split(path: &str) -> (&'static str, &str, &str) {
    for scheme in ["s3://", "s3a://", "s3n://"] {
        if let Some(rest) = path.strip_prefix(scheme) {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            return ("s3", bucket, key);
        }
    }
    if let Some(rest) = path.strip_prefix("file://") {
        return ("file", "", rest);
    }
    if let Some(rest) = path.strip_prefix("file:") {
        return ("file", "", rest);
    }
    if path.contains("://") {
        let (scheme, rest) = path.split_once("://").unwrap_or(("", path));
        let (auth, p) = rest.split_once('/').unwrap_or((rest, ""));
        let _ = scheme;
        return ("other", auth, p);
    }
    ("file", "", path)
}

/// One canonical spelling of a file location, for set membership: `s3://bucket/key` or `/local/path`.
pub fn canonical(path: &str) -> String {
    match split(path) {
        ("s3", b, k) => format!("s3://{b}/{k}"),
        ("file", _, p) => p.to_string(),
        _ => path.to_string(),
    }
}

#[derive(Debug, Clone)]
pub struct OrphanOptions {
    /// Only files last modified before this (epoch ms).
    pub older_than_ms: i64,
    /// List here instead of the table's location.
    pub location: Option<String>,
    pub plan: bool,
    /// Allow a threshold under an hour ago and a location outside the table's.
    pub force: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrphanFile {
    pub path: String,
    pub size: u64,
    pub last_modified_ms: i64,
    pub last_modified: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrphanReport {
    pub table: String,
    /// Where files were listed.
    pub location: String,
    pub plan: bool,
    pub older_than_ms: i64,
    pub older_than: String,
    /// Files found under the location.
    pub listed_files_count: u64,
    /// Distinct files the table's metadata references.
    pub referenced_files_count: u64,
    /// Unreferenced files old enough to remove (with `--plan`: that would be removed).
    pub orphan_files: Vec<OrphanFile>,
    pub orphan_files_count: u64,
    pub orphan_bytes: u64,
    pub deleted_files_count: u64,
    pub deleted_bytes: u64,
    /// Unreferenced files younger than the threshold (kept: they may belong to a commit in flight).
    pub skipped_young_files_count: u64,
    /// Files kept because a reference names the same path under another scheme or bucket.
    pub mismatched_files: Vec<String>,
    /// Candidates that a commit made while this ran references (found when re-checking before deleting).
    pub rechecked_referenced_count: u64,
    pub failed_deletes: Vec<FailedDelete>,
}

/// Everything a table's metadata references, read through caches (manifest lists and manifests never change).
#[derive(Default)]
struct References {
    lists: HashMap<String, Vec<ManifestFile>>,
    manifests: HashMap<String, Vec<String>>,
}

impl References {
    async fn of(&mut self, table: &LoadedTable) -> Result<HashSet<String>> {
        let m: &TableMetadata = &table.metadata;
        let mut out: HashSet<String> = HashSet::new();
        if let Some(l) = &table.metadata_location {
            out.insert(canonical(l));
        }
        out.extend(m.metadata_log().iter().map(|e| canonical(&e.metadata_file)));
        out.extend(m.statistics_iter().map(|s| canonical(&s.statistics_path)));
        out.extend(m.partition_statistics_iter().map(|s| canonical(&s.statistics_path)));
        let snaps: Vec<_> = m.snapshots().filter(|s| !self.lists.contains_key(s.manifest_list())).cloned().collect();
        let read: Vec<(String, Result<Vec<ManifestFile>>)> = futures::stream::iter(snaps)
            .map(|s| async move { (s.manifest_list().to_string(), manifests_of(table, &s).await) })
            .buffer_unordered(8)
            .collect()
            .await;
        for (list, r) in read {
            self.lists.insert(list, r?);
        }
        let mut todo: Vec<ManifestFile> = Vec::new();
        let mut queued = HashSet::new();
        for s in m.snapshots() {
            out.insert(canonical(s.manifest_list()));
            for mf in &self.lists[s.manifest_list()] {
                if !self.manifests.contains_key(&mf.manifest_path) && queued.insert(mf.manifest_path.clone()) {
                    todo.push(mf.clone());
                }
            }
        }
        let loaded = super::inspect::load_manifests(table, &todo).await?;
        for (mf, manifest) in todo.iter().zip(loaded) {
            // A file only a `DELETED` entry names is needed by no snapshot (expiry deletes such files too).
            let files = manifest
                .entries()
                .iter()
                .filter(|e| e.status() != ManifestStatus::Deleted)
                .map(|e| canonical(e.file_path()))
                .collect();
            self.manifests.insert(mf.manifest_path.clone(), files);
        }
        for s in m.snapshots() {
            for mf in &self.lists[s.manifest_list()] {
                out.insert(canonical(&mf.manifest_path));
                out.extend(self.manifests[&mf.manifest_path].iter().cloned());
            }
        }
        Ok(out)
    }
}

/// Where to list: `--location`, else the table's location, as a storage location.
fn listing_location(table: &LoadedTable, opts: &OrphanOptions) -> Result<(String, Location)> {
    let table_loc = table.metadata.location().trim_end_matches('/').to_string();
    let wanted = opts.location.clone().unwrap_or_else(|| table_loc.clone());
    let wanted = wanted.trim_end_matches('/').to_string();
    let (c_want, c_table) = (canonical(&wanted), canonical(&table_loc));
    let inside = c_want == c_table || c_want.starts_with(&format!("{c_table}/"));
    if !inside && !opts.force {
        return Err(Error::Config(format!(
            "--location {wanted} is not under table {}'s location {table_loc}: files of other tables there would look \
             unreferenced (add --force if that location holds only this table's files)",
            table.name()
        )));
    }
    let loc = match split(&wanted) {
        ("s3", b, k) => Location::S3 {
            bucket: b.to_string(),
            prefix: if k.is_empty() { String::new() } else { format!("{}/", k.trim_end_matches('/')) },
        },
        ("file", _, p) => Location::Local(std::path::PathBuf::from(p)),
        _ => return Err(Error::Config(format!("{wanted}: unsupported location scheme (local paths and s3:// only)"))),
    };
    Ok((wanted, loc))
}

/// Finds (and unless `plan`, deletes) the table's orphan files; see the module docs.
pub async fn remove_orphans(catalog: &dyn Catalog, table: LoadedTable, opts: &OrphanOptions) -> Result<OrphanReport> {
    let now = chrono::Utc::now().timestamp_millis();
    if opts.older_than_ms > now {
        return Err(Error::Config(format!(
            "--older-than {} is in the future: every file, even one a commit is writing right now, would qualify",
            rfc3339_ms(opts.older_than_ms)
        )));
    }
    if now - opts.older_than_ms < SAFE_MIN_AGE_MS && !opts.force {
        return Err(Error::Config(format!(
            "--older-than {} is less than an hour ago: files of commits still in flight could be deleted (add --force \
             if no writer is running)",
            rfc3339_ms(opts.older_than_ms)
        )));
    }
    let (shown, loc) = listing_location(&table, opts)?;
    let store = storage::open(&loc, &table.s3).await?;
    let listed = match store.list("", None).await {
        Ok(l) => l,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    let listed: Vec<_> = listed.into_iter().filter(|o| !o.key.is_empty() && !o.key.ends_with('/')).collect();

    let mut refs = References::default();
    let referenced = refs.of(&table).await?;
    // Paths referenced under some scheme/bucket, by their path part: a listed file matching one only by path is
    // a mismatch, not an orphan.
    let by_path: HashSet<String> = referenced.iter().map(|p| split(p).2.trim_start_matches('/').to_string()).collect();

    let mut report = OrphanReport {
        table: table.name(),
        location: shown,
        plan: opts.plan,
        older_than_ms: opts.older_than_ms,
        older_than: rfc3339_ms(opts.older_than_ms),
        listed_files_count: listed.len() as u64,
        referenced_files_count: referenced.len() as u64,
        orphan_files: Vec::new(),
        orphan_files_count: 0,
        orphan_bytes: 0,
        deleted_files_count: 0,
        deleted_bytes: 0,
        skipped_young_files_count: 0,
        mismatched_files: Vec::new(),
        rechecked_referenced_count: 0,
        failed_deletes: Vec::new(),
    };
    let mut candidates: Vec<(String, String, u64, i64)> = Vec::new(); // key, full path, size, mtime
    for o in listed {
        let full = loc.display_key(&o.key);
        let c = canonical(&full);
        if referenced.contains(&c) {
            continue;
        }
        if o.last_modified_ms >= opts.older_than_ms {
            report.skipped_young_files_count += 1;
            continue;
        }
        if by_path.contains(split(&c).2.trim_start_matches('/')) {
            report.mismatched_files.push(full);
            continue;
        }
        candidates.push((o.key, full, o.size, o.last_modified_ms));
    }

    if !opts.plan && !candidates.is_empty() {
        // Re-check against the table as it is now: a commit may have landed since the references were read.
        let now_table = catalog.load_table(&table.ident).await?;
        if now_table.metadata_location != table.metadata_location {
            let referenced = refs.of(&now_table).await?;
            let before = candidates.len();
            candidates.retain(|(_, full, _, _)| !referenced.contains(&canonical(full)));
            report.rechecked_referenced_count = (before - candidates.len()) as u64;
            report.referenced_files_count = referenced.len() as u64;
        }
    }
    for (_, full, size, ms) in &candidates {
        report.orphan_files.push(OrphanFile {
            path: full.clone(),
            size: *size,
            last_modified_ms: *ms,
            last_modified: rfc3339_ms(*ms),
        });
        report.orphan_bytes += size;
    }
    report.orphan_files_count = candidates.len() as u64;
    if opts.plan || candidates.is_empty() {
        return Ok(report);
    }
    let keys: Vec<String> = candidates.iter().map(|(k, ..)| k.clone()).collect();
    let failed = store.delete(&keys).await?;
    let failed_keys: HashSet<&str> = failed.iter().map(|(k, _)| k.as_str()).collect();
    for (key, _, size, _) in &candidates {
        if !failed_keys.contains(key.as_str()) {
            report.deleted_files_count += 1;
            report.deleted_bytes += size;
        }
    }
    report.failed_deletes =
        failed.into_iter().map(|(k, error)| FailedDelete { path: loc.display_key(&k), error }).collect();
    Ok(report)
}
