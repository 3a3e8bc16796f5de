//! `snapshot expire`: Java's `RemoveSnapshots` — per branch, keep the snapshots its retention asks for
//! (`min-snapshots-to-keep`, `max-snapshot-age-ms`, else `history.expire.*`), drop refs older than their
//! `max-ref-age-ms` (never main), never remove a snapshot a ref points at or a branch's retained history — then,
//! only after that metadata commit landed, delete the manifest lists, manifests, data and delete files that the
//! removed snapshots reached and no remaining snapshot of the table does.
//!
//! A crash between the commit and the deletions leaves only unreferenced files behind (a rerun cannot find them
//! through the metadata any more; `snapshot remove-orphans` removes them).

use std::collections::{BTreeSet, HashMap, HashSet};

use futures::StreamExt;
use iceberg::spec::{DataContentType, ManifestStatus, SnapshotRef, TableMetadata};
use iceberg::{TableRequirement, TableUpdate};
use serde::Serialize;

use super::catalog::{Catalog, LoadedTable};
use super::commit::{self, MAIN, manifests_of, refs_of};
use super::inspect::{load_manifests, rfc3339_ms};
use super::orphans::canonical;
use crate::engine::error::{Error, Result};

/// `history.expire.max-snapshot-age-ms`' default: 5 days.
pub const DEFAULT_MAX_SNAPSHOT_AGE_MS: i64 = 5 * 24 * 3600 * 1000;

#[derive(Debug, Clone, Default)]
pub struct ExpireOptions {
    /// Snapshots older than this (epoch ms) may go [default: now − `history.expire.max-snapshot-age-ms`].
    pub older_than_ms: Option<i64>,
    /// Keep at least this many snapshots of each branch's history [default: `history.expire.min-snapshots-to-keep`].
    pub retain_last: Option<i32>,
    /// Snapshots to expire explicitly (besides the age-based ones).
    pub snapshot_ids: Vec<i64>,
    pub plan: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailedDelete {
    pub path: String,
    pub error: String,
}

/// What `expire` did (or would do): Spark's `expire_snapshots` counts plus the snapshots and refs removed.
#[derive(Debug, Clone, Serialize)]
pub struct ExpireReport {
    pub table: String,
    pub plan: bool,
    /// The default age threshold applied to branches without their own `max-snapshot-age-ms`.
    pub older_than_ms: i64,
    pub older_than: String,
    /// The default number of snapshots kept per branch.
    pub retain_last: i32,
    /// Main's snapshot before and after (expiry never moves it).
    pub previous_snapshot_id: Option<i64>,
    pub current_snapshot_id: Option<i64>,
    pub expired_snapshot_ids: Vec<i64>,
    /// Branches and tags removed because their `max-ref-age-ms` passed (or their snapshot was gone).
    pub removed_refs: Vec<String>,
    pub deleted_data_files_count: u64,
    pub deleted_position_delete_files_count: u64,
    pub deleted_equality_delete_files_count: u64,
    pub deleted_manifest_files_count: u64,
    pub deleted_manifest_lists_count: u64,
    pub deleted_statistics_files_count: u64,
    /// Files that could not be deleted (they stay as orphans; the metadata no longer references them).
    pub failed_deletes: Vec<FailedDelete>,
    /// Commit attempts (0 with `--plan` or when nothing was expired).
    pub attempts: u32,
    pub metadata_location: Option<String>,
}

/// Which snapshots and refs go.
#[derive(Debug, Clone, Default)]
struct Selection {
    expire: BTreeSet<i64>,
    removed_refs: Vec<String>,
}

fn prop<T: std::str::FromStr>(m: &TableMetadata, key: &str) -> Option<T> {
    m.properties().get(key).and_then(|v| v.trim().parse().ok())
}

/// Java's `RemoveSnapshots.internalApply`, with explicit ids that a branch still retains refused.
fn select(table: &LoadedTable, opts: &ExpireOptions, older_than: i64, min_keep: i32, now: i64) -> Result<Selection> {
    let m = &table.metadata;
    let default_ref_age: Option<i64> = prop(m, "history.expire.max-ref-age-ms");
    let refs = refs_of(m);
    let mut retained_refs = Vec::new();
    let mut removed_refs = Vec::new();
    for (name, r) in &refs {
        let keep = match m.snapshot_by_id(r.snapshot_id) {
            None => false, // dangling: Java drops it too
            Some(_) if name == MAIN => true,
            Some(s) => {
                let max_age = match &r.retention {
                    iceberg::spec::SnapshotRetention::Branch { max_ref_age_ms, .. }
                    | iceberg::spec::SnapshotRetention::Tag { max_ref_age_ms } => max_ref_age_ms.or(default_ref_age),
                };
                max_age.is_none_or(|age| now - s.timestamp_ms() <= age)
            }
        };
        if keep {
            retained_refs.push((name.clone(), r.clone()));
        } else {
            removed_refs.push(name.clone());
        }
    }
    removed_refs.sort();
    let mut retain: HashSet<i64> = retained_refs.iter().map(|(_, r)| r.snapshot_id).collect();
    for id in &opts.snapshot_ids {
        if m.snapshot_by_id(*id).is_none() {
            return Err(Error::Missing {
                what: "snapshot",
                name: id.to_string(),
                hint: format!(" in table {} (see `prestige snapshot list {} --all`)", table.name(), table.name()),
            });
        }
        let by: Vec<&str> =
            retained_refs.iter().filter(|(_, r)| r.snapshot_id == *id).map(|(n, _)| n.as_str()).collect();
        if !by.is_empty() {
            return Err(Error::Config(format!(
                "table {}: cannot expire snapshot {id}: still referenced by {}",
                table.name(),
                by.join(", ")
            )));
        }
    }
    // Each branch keeps its newest ancestors: at least min-snapshots-to-keep, and all younger than its age limit.
    let mut on_a_lineage: HashSet<i64> = HashSet::new();
    for (name, r) in &retained_refs {
        let line = super::refs::ancestors(m, r.snapshot_id);
        on_a_lineage.extend(line.iter().copied());
        let iceberg::spec::SnapshotRetention::Branch { min_snapshots_to_keep, max_snapshot_age_ms, .. } = &r.retention
        else {
            continue; // a tag keeps only its own snapshot
        };
        let threshold = max_snapshot_age_ms.map_or(older_than, |age| now - age);
        let keep_n = min_snapshots_to_keep.unwrap_or(min_keep).max(1) as usize;
        let mut kept = 0usize;
        for id in line {
            let ts = m.snapshot_by_id(id).map_or(i64::MIN, |s| s.timestamp_ms());
            if kept < keep_n || ts >= threshold {
                if opts.snapshot_ids.contains(&id) {
                    return Err(Error::Config(format!(
                        "table {}: cannot expire snapshot {id}: branch {name} retains it (its newest {keep_n} \
                         snapshots and those made since {} are kept; see min-snapshots-to-keep / \
                         max-snapshot-age-ms)",
                        table.name(),
                        rfc3339_ms(threshold)
                    )));
                }
                retain.insert(id);
                kept += 1;
            } else {
                break;
            }
        }
    }
    // Snapshots on no ref's lineage go by the default age threshold.
    for s in m.snapshots() {
        let explicit = opts.snapshot_ids.contains(&s.snapshot_id());
        if !on_a_lineage.contains(&s.snapshot_id()) && s.timestamp_ms() >= older_than && !explicit {
            retain.insert(s.snapshot_id());
        }
    }
    let mut expire: BTreeSet<i64> = m.snapshots().map(|s| s.snapshot_id()).filter(|id| !retain.contains(id)).collect();
    expire.extend(opts.snapshot_ids.iter().copied().filter(|id| !retain.contains(id)));
    Ok(Selection { expire, removed_refs })
}

/// The files a set of removed snapshots reached and the remaining ones do not.
#[derive(Debug, Default)]
struct Deletable {
    manifest_lists: Vec<String>,
    manifests: Vec<String>,
    /// Data and delete files with their content type.
    files: Vec<(String, DataContentType)>,
    statistics: Vec<String>,
}

/// Reads manifest lists a few at a time; the manifest paths of each, canonical → as recorded.
async fn manifests_of_all(
    table: &LoadedTable,
    snapshots: &[SnapshotRef],
) -> Result<Vec<iceberg::spec::ManifestFile>> {
    let lists: Vec<Result<Vec<iceberg::spec::ManifestFile>>> =
        futures::stream::iter(snapshots).map(|s| manifests_of(table, s)).buffered(8).collect().await;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for l in lists {
        for mf in l? {
            if seen.insert(canonical(&mf.manifest_path)) {
                out.push(mf);
            }
        }
    }
    Ok(out)
}

/// What deleting `expired` frees while `remaining` (and `remaining_stats`) stay: Java's reachable-file cleanup.
/// `table` reads the files (its storage settings); the snapshots need not be in its metadata.
async fn deletable(
    table: &LoadedTable,
    expired: &[SnapshotRef],
    remaining: &[SnapshotRef],
    expired_stats: &[String],
    remaining_stats: &HashSet<String>,
) -> Result<Deletable> {
    let mut out = Deletable::default();
    if expired.is_empty() {
        return Ok(out);
    }
    let kept_lists: HashSet<String> = remaining.iter().map(|s| canonical(s.manifest_list())).collect();
    for s in expired {
        if !kept_lists.contains(&canonical(s.manifest_list())) {
            out.manifest_lists.push(s.manifest_list().to_string());
        }
    }
    let kept_manifests = manifests_of_all(table, remaining).await?;
    let kept_paths: HashSet<String> = kept_manifests.iter().map(|mf| canonical(&mf.manifest_path)).collect();
    let gone: Vec<_> = manifests_of_all(table, expired)
        .await?
        .into_iter()
        .filter(|mf| !kept_paths.contains(&canonical(&mf.manifest_path)))
        .collect();
    out.manifests = gone.iter().map(|mf| mf.manifest_path.clone()).collect();
    if !gone.is_empty() {
        // Every file the dropped manifests mention (any status), minus what a remaining manifest keeps live.
        let mut candidates: HashMap<String, (String, DataContentType)> = HashMap::new();
        for manifest in load_manifests(table, &gone).await? {
            for e in manifest.entries() {
                candidates.entry(canonical(e.file_path())).or_insert_with(|| (e.file_path().to_string(), e.content_type()));
            }
        }
        if !candidates.is_empty() {
            for manifest in load_manifests(table, &kept_manifests).await? {
                for e in manifest.entries().iter().filter(|e| e.status() != ManifestStatus::Deleted) {
                    candidates.remove(&canonical(e.file_path()));
                }
            }
        }
        let mut files: Vec<(String, DataContentType)> = candidates.into_values().collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        out.files = files;
    }
    let mut stats: Vec<String> =
        expired_stats.iter().filter(|p| !remaining_stats.contains(&canonical(p))).cloned().collect();
    stats.sort();
    stats.dedup();
    out.statistics = stats;
    Ok(out)
}

fn stats_paths(m: &TableMetadata, id: i64) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = m.statistics_for_snapshot(id) {
        out.push(s.statistics_path.clone());
    }
    if let Some(s) = m.partition_statistics_for_snapshot(id) {
        out.push(s.statistics_path.clone());
    }
    out
}

fn all_stats(m: &TableMetadata) -> HashSet<String> {
    m.statistics_iter()
        .map(|s| canonical(&s.statistics_path))
        .chain(m.partition_statistics_iter().map(|s| canonical(&s.statistics_path)))
        .collect()
}

/// The metadata updates removing `sel`, and requirements pinning every ref as read (a ref moved or created
/// meanwhile is a conflict: the selection is recomputed from the reloaded table).
fn updates_for(m: &TableMetadata, sel: &Selection) -> (Vec<TableRequirement>, Vec<TableUpdate>) {
    let mut reqs: Vec<TableRequirement> = refs_of(m)
        .into_iter()
        .map(|(name, r)| TableRequirement::RefSnapshotIdMatch { r#ref: name, snapshot_id: Some(r.snapshot_id) })
        .collect();
    reqs.sort_by_key(|r| format!("{r:?}"));
    let mut updates: Vec<TableUpdate> =
        sel.removed_refs.iter().map(|n| TableUpdate::RemoveSnapshotRef { ref_name: n.clone() }).collect();
    if !sel.expire.is_empty() {
        for id in &sel.expire {
            if m.statistics_for_snapshot(*id).is_some() {
                updates.push(TableUpdate::RemoveStatistics { snapshot_id: *id });
            }
            if m.partition_statistics_for_snapshot(*id).is_some() {
                updates.push(TableUpdate::RemovePartitionStatistics { snapshot_id: *id });
            }
        }
        updates.push(TableUpdate::RemoveSnapshots { snapshot_ids: sel.expire.iter().copied().collect() });
    }
    (reqs, updates)
}

/// Expires snapshots of `table` per `opts`; see the module docs.
pub async fn expire(catalog: &dyn Catalog, table: LoadedTable, opts: &ExpireOptions) -> Result<ExpireReport> {
    let now = chrono::Utc::now().timestamp_millis();
    let m = table.metadata.clone();
    let older_than = opts
        .older_than_ms
        .unwrap_or_else(|| now - prop::<i64>(&m, "history.expire.max-snapshot-age-ms").unwrap_or(DEFAULT_MAX_SNAPSHOT_AGE_MS));
    let min_keep = opts.retain_last.unwrap_or_else(|| prop(&m, "history.expire.min-snapshots-to-keep").unwrap_or(1));
    if min_keep < 1 {
        return Err(Error::Config(format!("--retain-last {min_keep}: must be at least 1")));
    }
    let main_head = m.snapshot_for_ref(MAIN).map(|s| s.snapshot_id());
    let first = select(&table, opts, older_than, min_keep, now)?;
    let mut report = ExpireReport {
        table: table.name(),
        plan: opts.plan,
        older_than_ms: older_than,
        older_than: rfc3339_ms(older_than),
        retain_last: min_keep,
        previous_snapshot_id: main_head,
        current_snapshot_id: main_head,
        expired_snapshot_ids: first.expire.iter().copied().collect(),
        removed_refs: first.removed_refs.clone(),
        deleted_data_files_count: 0,
        deleted_position_delete_files_count: 0,
        deleted_equality_delete_files_count: 0,
        deleted_manifest_files_count: 0,
        deleted_manifest_lists_count: 0,
        deleted_statistics_files_count: 0,
        failed_deletes: Vec::new(),
        attempts: 0,
        metadata_location: table.metadata_location.clone(),
    };
    if opts.plan {
        let expired: Vec<SnapshotRef> = first.expire.iter().filter_map(|id| m.snapshot_by_id(*id).cloned()).collect();
        let remaining: Vec<SnapshotRef> = m.snapshots().filter(|s| !first.expire.contains(&s.snapshot_id())).cloned().collect();
        let expired_stats: Vec<String> = first.expire.iter().flat_map(|id| stats_paths(&m, *id)).collect();
        let remaining_stats: HashSet<String> = remaining.iter().flat_map(|s| stats_paths(&m, s.snapshot_id())).map(|p| canonical(&p)).collect();
        let d = deletable(&table, &expired, &remaining, &expired_stats, &remaining_stats).await?;
        count(&mut report, &d, d.files.iter().map(|(p, k)| (p.as_str(), *k)));
        return Ok(report);
    }
    if first.expire.is_empty() && first.removed_refs.is_empty() {
        return Ok(report);
    }

    // Every snapshot any attempt removed (with its statistics files), so the files are found whichever attempt
    // landed — including one whose answer was lost.
    let mut removed: HashMap<i64, (SnapshotRef, Vec<String>)> = HashMap::new();
    let mut removed_refs: BTreeSet<String> = BTreeSet::new();
    let build = |t: &LoadedTable| -> Result<(Vec<TableRequirement>, Vec<TableUpdate>)> {
        let sel = select(t, opts, older_than, min_keep, now)?;
        for id in &sel.expire {
            if let Some(s) = t.metadata.snapshot_by_id(*id) {
                removed.entry(*id).or_insert_with(|| (s.clone(), stats_paths(&t.metadata, *id)));
            }
        }
        removed_refs.extend(sel.removed_refs.iter().cloned());
        Ok(updates_for(&t.metadata, &sel))
    };
    let done = commit::commit_change(catalog, table, build).await?;
    let after = done.table;
    report.attempts = done.attempts;
    report.metadata_location = after.metadata_location.clone();
    report.current_snapshot_id = after.metadata.snapshot_for_ref(MAIN).map(|s| s.snapshot_id());
    let after_refs = refs_of(&after.metadata);
    report.removed_refs = removed_refs.into_iter().filter(|n| !after_refs.contains_key(n)).collect();
    let mut expired: Vec<(SnapshotRef, Vec<String>)> =
        removed.into_values().filter(|(s, _)| after.metadata.snapshot_by_id(s.snapshot_id()).is_none()).collect();
    expired.sort_by_key(|(s, _)| s.snapshot_id());
    report.expired_snapshot_ids = expired.iter().map(|(s, _)| s.snapshot_id()).collect();

    crate::engine::failpoint::hit("iceberg.expire_after_commit");

    let remaining: Vec<SnapshotRef> = after.metadata.snapshots().cloned().collect();
    let expired_stats: Vec<String> = expired.iter().flat_map(|(_, p)| p.iter().cloned()).collect();
    let snaps: Vec<SnapshotRef> = expired.into_iter().map(|(s, _)| s).collect();
    let d = deletable(&after, &snaps, &remaining, &expired_stats, &all_stats(&after.metadata)).await?;
    let failed = delete_all(&after, &d).await;
    let failed_set: HashSet<&str> = failed.iter().map(|f| f.path.as_str()).collect();
    let ok_files: Vec<(&str, DataContentType)> =
        d.files.iter().filter(|(p, _)| !failed_set.contains(p.as_str())).map(|(p, k)| (p.as_str(), *k)).collect();
    let keep_ok = |v: &[String]| -> Vec<String> { v.iter().filter(|p| !failed_set.contains(p.as_str())).cloned().collect() };
    let survived = Deletable {
        manifest_lists: keep_ok(&d.manifest_lists),
        manifests: keep_ok(&d.manifests),
        files: Vec::new(),
        statistics: keep_ok(&d.statistics),
    };
    count(&mut report, &survived, ok_files.into_iter());
    report.failed_deletes = failed;
    Ok(report)
}

fn count<'a>(report: &mut ExpireReport, d: &Deletable, files: impl Iterator<Item = (&'a str, DataContentType)>) {
    for (_, kind) in files {
        match kind {
            DataContentType::Data => report.deleted_data_files_count += 1,
            DataContentType::PositionDeletes => report.deleted_position_delete_files_count += 1,
            DataContentType::EqualityDeletes => report.deleted_equality_delete_files_count += 1,
        }
    }
    report.deleted_manifest_files_count = d.manifests.len() as u64;
    report.deleted_manifest_lists_count = d.manifest_lists.len() as u64;
    report.deleted_statistics_files_count = d.statistics.len() as u64;
}

/// Deletes data and delete files, then manifests, then manifest lists and statistics files; returns failures.
async fn delete_all(table: &LoadedTable, d: &Deletable) -> Vec<FailedDelete> {
    let mut failed = Vec::new();
    let groups: [Vec<&String>; 3] = [
        d.files.iter().map(|(p, _)| p).collect(),
        d.manifests.iter().collect(),
        d.manifest_lists.iter().chain(&d.statistics).collect(),
    ];
    for group in groups {
        let results: Vec<(String, std::result::Result<(), String>)> = futures::stream::iter(group)
            .map(|p| async move {
                let r = match table.file_io.delete(p).await {
                    Ok(()) => Ok(()),
                    // Already gone (a previous run's deletion got this far) is what we wanted.
                    Err(e) if !table.file_io.exists(p).await.unwrap_or(true) => {
                        tracing::debug!("{p}: already deleted ({e})");
                        Ok(())
                    }
                    Err(e) => Err(e.to_string()),
                };
                (p.clone(), r)
            })
            .buffer_unordered(16)
            .collect()
            .await;
        for (path, r) in results {
            if let Err(error) = r {
                tracing::warn!("could not delete {path}: {error}");
                failed.push(FailedDelete { path, error });
            }
        }
    }
    failed.sort_by(|a, b| a.path.cmp(&b.path));
    failed
}
