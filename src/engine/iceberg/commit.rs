//! prestige's own Iceberg commit layer (iceberg-rust's transactions only fast-append to main): build a new
//! snapshot — manifests, manifest list, summary — and its `TableUpdate`s and `TableRequirement`s, commit them
//! through the catalog's atomic protocol, and on a conflict reload, re-validate and retry with backoff.
//!
//! Every snapshot carries `prestige.commit-id`. Before any retry — and after a failure whose outcome is unknown —
//! the branch's snapshots since the writer's base are searched for that id, so a commit is never made twice and
//! never reported lost when it landed.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use iceberg::spec::{
    DataFile, FormatVersion, ManifestContentType, ManifestFile, ManifestList, ManifestListWriter, ManifestStatus,
    ManifestWriterBuilder, Operation, Snapshot, SnapshotReference, SnapshotSummaryCollector,
    Summary, TableMetadata,
};
use iceberg::{TableRequirement, TableUpdate};

use super::catalog::{Catalog, LoadedTable, iceberg_error};
use crate::engine::error::{Error, Result};

/// The summary key holding a commit's id.
pub const COMMIT_ID: &str = "prestige.commit-id";
pub const MAIN: &str = "main";

/// `commit.retry.*` table properties (Java's defaults).
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub retries: u32,
    pub min_wait: Duration,
    pub max_wait: Duration,
    pub total: Duration,
}

impl RetryPolicy {
    pub fn of(metadata: &TableMetadata) -> Self {
        let p = metadata.properties();
        let num = |k: &str, d: u64| p.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(d);
        RetryPolicy {
            retries: num("commit.retry.num-retries", 4) as u32,
            min_wait: Duration::from_millis(num("commit.retry.min-wait-ms", 100)),
            max_wait: Duration::from_millis(num("commit.retry.max-wait-ms", 60_000)),
            total: Duration::from_millis(num("commit.retry.total-timeout-ms", 1_800_000)),
        }
    }

    fn wait(&self, attempt: u32) -> Duration {
        let base = self.min_wait.as_millis() as f64 * 2f64.powi(attempt.min(20) as i32);
        let capped = base.min(self.max_wait.as_millis() as f64);
        let jitter = 0.5 + rand::random::<f64>() * 0.5;
        Duration::from_millis((capped * jitter) as u64)
    }
}

/// Files to add in one `append` snapshot on a branch.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    pub branch: String,
    pub commit_id: String,
    pub files: Vec<DataFile>,
    /// The partition spec the files were written with.
    pub spec_id: i32,
    /// The schema the files were written with: a later schema they no longer fit is a conflict.
    pub schema_id: i32,
    /// Extra summary properties (input spans, `wap.id`).
    pub summary: BTreeMap<String, String>,
}

/// A commit that landed.
#[derive(Debug, Clone)]
pub struct CommitResult {
    pub snapshot_id: i64,
    pub sequence_number: i64,
    pub timestamp_ms: i64,
    pub attempts: u32,
    /// The table after the commit.
    pub table: LoadedTable,
}

/// The snapshot on `branch`'s lineage carrying `commit_id`, searching back from the head to (not including)
/// `since`; `None` when it is not there.
pub fn find_commit<'a>(
    metadata: &'a TableMetadata,
    branch: &str,
    commit_id: &str,
    since: Option<i64>,
) -> Option<&'a iceberg::spec::SnapshotRef> {
    let mut cur = metadata.snapshot_for_ref(branch);
    while let Some(s) = cur {
        if Some(s.snapshot_id()) == since {
            return None;
        }
        if s.summary().additional_properties.get(COMMIT_ID).map(String::as_str) == Some(commit_id) {
            return Some(s);
        }
        cur = s.parent_snapshot_id().and_then(|p| metadata.snapshot_by_id(p));
    }
    None
}

/// Checks that files written with schema `written` still fit the table's current schema: every written column
/// still exists with the same type, and every required column of the table was written.
pub fn check_fits(table: &LoadedTable, written: i32) -> Result<()> {
    let m = &table.metadata;
    if m.current_schema_id() == written {
        return Ok(());
    }
    let Some(old) = m.schema_by_id(written) else {
        return Err(Error::CommitConflict {
            table: table.name(),
            message: format!("the schema the data was written with (id {written}) is no longer in the table"),
        });
    };
    let now = m.current_schema();
    for f in all_fields(old.as_struct()) {
        match now.field_by_id(f.id) {
            Some(n) if n.field_type == f.field_type || promotes(&f.field_type, &n.field_type) => {}
            Some(n) if !f.field_type.is_primitive() && !n.field_type.is_primitive() => {} // children checked on their own
            Some(n) => {
                return Err(Error::CommitConflict {
                    table: table.name(),
                    message: format!(
                        "column {} changed type from {} to {} while this writer ran; the data written does not fit \
                         the new schema",
                        f.name, f.field_type, n.field_type
                    ),
                });
            }
            None => {
                return Err(Error::CommitConflict {
                    table: table.name(),
                    message: format!("column {} (field id {}) was dropped while this writer ran", f.name, f.id),
                });
            }
        }
    }
    for f in all_fields(now.as_struct()) {
        if f.required && old.field_by_id(f.id).is_none() {
            return Err(Error::CommitConflict {
                table: table.name(),
                message: format!("a required column {} was added while this writer ran; the data has no values for it", f.name),
            });
        }
    }
    Ok(())
}

/// Every field of a struct, nested ones included (struct fields, list elements, map keys and values).
fn all_fields(st: &iceberg::spec::StructType) -> Vec<iceberg::spec::NestedFieldRef> {
    use iceberg::spec::Type as T;
    let mut out = Vec::new();
    let mut stack: Vec<iceberg::spec::NestedFieldRef> = st.fields().to_vec();
    while let Some(f) = stack.pop() {
        match f.field_type.as_ref() {
            T::Struct(s) => stack.extend(s.fields().iter().cloned()),
            T::List(l) => stack.push(l.element_field.clone()),
            T::Map(m) => {
                stack.push(m.key_field.clone());
                stack.push(m.value_field.clone());
            }
            T::Primitive(_) => {}
        }
        out.push(f);
    }
    out
}

/// Iceberg's allowed type promotions: data written as `from` reads as `to`.
fn promotes(from: &iceberg::spec::Type, to: &iceberg::spec::Type) -> bool {
    use iceberg::spec::{PrimitiveType as P, Type as T};
    match (from, to) {
        (T::Primitive(P::Int), T::Primitive(P::Long)) | (T::Primitive(P::Float), T::Primitive(P::Double)) => true,
        (T::Primitive(P::Decimal { precision: p1, scale: s1 }), T::Primitive(P::Decimal { precision: p2, scale: s2 })) => {
            s1 == s2 && p2 >= p1
        }
        _ => false,
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A snapshot id not used by the table yet (positive, as Java makes them).
fn new_snapshot_id(metadata: &TableMetadata) -> i64 {
    loop {
        let id = (uuid::Uuid::new_v4().as_u128() as i64) & i64::MAX;
        if id != 0 && metadata.snapshot_by_id(id).is_none() {
            return id;
        }
    }
}

fn metadata_dir(metadata: &TableMetadata) -> String {
    metadata
        .properties()
        .get("write.metadata.path")
        .cloned()
        .unwrap_or_else(|| format!("{}/metadata", metadata.location().trim_end_matches('/')))
}

/// The table's refs (iceberg-rust keeps them private: read them from the metadata's serialized form).
pub fn refs_of(metadata: &TableMetadata) -> HashMap<String, SnapshotReference> {
    super::catalog::metadata_json::refs_by_serializing(metadata)
}

/// The updates that add `snapshot` and point `branch` at it, keeping the branch's retention settings (the
/// metadata builder knows them; asking it avoids serializing the whole metadata to read `refs`).
pub fn branch_commit_updates(table: &LoadedTable, snapshot: Snapshot, branch: &str) -> Result<Vec<TableUpdate>> {
    let built = iceberg::spec::TableMetadataBuilder::new_from_metadata((*table.metadata).clone(), None)
        .set_branch_snapshot(snapshot, branch)
        .and_then(|b| b.build())
        .map_err(|e| iceberg_error(&table.ident, e))?;
    let updates: Vec<TableUpdate> = built
        .changes
        .into_iter()
        .filter(|u| matches!(u, TableUpdate::AddSnapshot { .. } | TableUpdate::SetSnapshotRef { .. }))
        .collect();
    if updates.len() != 2 {
        return Err(Error::Iceberg { table: table.name(), message: format!("unexpected snapshot updates: {updates:?}") });
    }
    Ok(updates)
}

/// Reads a snapshot's manifest list.
pub async fn manifests_of(table: &LoadedTable, snapshot: &Snapshot) -> Result<Vec<ManifestFile>> {
    let data = table
        .file_io
        .new_input(snapshot.manifest_list())
        .map_err(|e| iceberg_error(&table.ident, e))?
        .read()
        .await
        .map_err(|e| Error::Iceberg {
            table: table.name(),
            message: format!("cannot read manifest list {} of snapshot {}: {e}", snapshot.manifest_list(), snapshot.snapshot_id()),
        })?;
    let list = ManifestList::parse_with_version(&data, table.metadata.format_version()).map_err(|e| Error::Iceberg {
        table: table.name(),
        message: format!("manifest list {} is not readable: {e}", snapshot.manifest_list()),
    })?;
    Ok(list.entries().to_vec())
}

/// Writes the manifest of newly added data files (sequence numbers inherited from the snapshot).
async fn write_added_manifest(table: &LoadedTable, snapshot_id: i64, spec_id: i32, files: &[DataFile]) -> Result<ManifestFile> {
    write_added_manifest_seq(table, snapshot_id, spec_id, files, -1).await
}

/// Writes the manifest of newly added data files with data sequence number `data_seq` (negative: inherited
/// from the snapshot at commit).
async fn write_added_manifest_seq(
    table: &LoadedTable,
    snapshot_id: i64,
    spec_id: i32,
    files: &[DataFile],
    data_seq: i64,
) -> Result<ManifestFile> {
    let m = &table.metadata;
    let spec = m.partition_spec_by_id(spec_id).ok_or_else(|| Error::CommitConflict {
        table: table.name(),
        message: format!("partition spec {spec_id} of the written files is not in the table any more"),
    })?;
    let path = format!("{}/{}-m0.avro", metadata_dir(m), uuid::Uuid::new_v4());
    let out = table.file_io.new_output(&path).map_err(|e| iceberg_error(&table.ident, e))?;
    let builder = ManifestWriterBuilder::new(out, Some(snapshot_id), m.current_schema().clone(), (**spec).clone());
    let mut w = match m.format_version() {
        FormatVersion::V1 => builder.build_v1(),
        FormatVersion::V2 => builder.build_v2_data(),
        FormatVersion::V3 => builder.build_v3_data(),
    };
    for f in files {
        w.add_file(f.clone(), data_seq).map_err(|e| iceberg_error(&table.ident, e))?;
    }
    w.write_manifest_file().await.map_err(|e| Error::Iceberg { table: table.name(), message: format!("cannot write manifest {path}: {e}") })
}

/// Java's merge append: once a branch has `commit.manifest.min-count-to-merge` data manifests of a spec, small
/// ones (under `commit.manifest.target-size-bytes`) are merged into one, so the manifest count — and the cost
/// of planning and committing — stays flat as commits accumulate. Deleted entries are dropped; earlier snapshots'
/// live entries become EXISTING with their snapshot ids and sequence numbers; this commit's own files stay ADDED.
async fn merge_manifests(
    table: &LoadedTable,
    snapshot_id: i64,
    manifests: Vec<ManifestFile>,
    written: &mut Vec<String>,
) -> Result<Vec<ManifestFile>> {
    let m = &table.metadata;
    let p = m.properties();
    let enabled = p.get("commit.manifest-merge.enabled").is_none_or(|v| !v.eq_ignore_ascii_case("false"));
    let min_count: usize = p.get("commit.manifest.min-count-to-merge").and_then(|v| v.parse().ok()).unwrap_or(100);
    let target: i64 = p.get("commit.manifest.target-size-bytes").and_then(|v| v.parse().ok()).unwrap_or(8 << 20);
    if !enabled || manifests.len() < min_count.max(2) {
        return Ok(manifests);
    }
    // Group small data manifests by spec, in order; everything else stays as it is.
    let mut keep = Vec::new();
    let mut groups: BTreeMap<i32, Vec<ManifestFile>> = BTreeMap::new();
    for mf in manifests {
        if mf.content == ManifestContentType::Data && mf.manifest_length < target {
            groups.entry(mf.partition_spec_id).or_default().push(mf);
        } else {
            keep.push(mf);
        }
    }
    let mut out = Vec::new();
    for (spec_id, group) in groups {
        if group.len() < min_count.max(2) {
            out.extend(group);
            continue;
        }
        let spec = m.partition_spec_by_id(spec_id).ok_or_else(|| Error::Iceberg {
            table: table.name(),
            message: format!("manifest of unknown partition spec {spec_id}"),
        })?;
        let path = format!("{}/{}-m0.avro", metadata_dir(m), uuid::Uuid::new_v4());
        let o = table.file_io.new_output(&path).map_err(|e| iceberg_error(&table.ident, e))?;
        let builder = ManifestWriterBuilder::new(o, Some(snapshot_id), m.current_schema().clone(), (**spec).clone());
        let mut w = match m.format_version() {
            FormatVersion::V1 => builder.build_v1(),
            FormatVersion::V2 => builder.build_v2_data(),
            FormatVersion::V3 => builder.build_v3_data(),
        };
        for mf in &group {
            let manifest = mf.load_manifest(&table.file_io).await.map_err(|e| Error::Iceberg {
                table: table.name(),
                message: format!("cannot read manifest {}: {e}", mf.manifest_path),
            })?;
            for e in manifest.entries() {
                if e.status() == ManifestStatus::Deleted {
                    continue;
                }
                if mf.added_snapshot_id == snapshot_id && e.status() == ManifestStatus::Added {
                    // This commit's own files stay ADDED, their sequence numbers inherited from the snapshot (as
                    // Java's merge keeps them): incremental readers find a snapshot's rows by its ADDED entries.
                    w.add_file(e.data_file().clone(), e.sequence_number().unwrap_or(-1))
                        .map_err(|e| iceberg_error(&table.ident, e))?;
                    continue;
                }
                let seq = e.sequence_number().unwrap_or(mf.sequence_number);
                let file_seq = e.file_sequence_number.or(Some(seq));
                let sid = e.snapshot_id().unwrap_or(mf.added_snapshot_id);
                w.add_existing_file(e.data_file().clone(), sid, seq, file_seq).map_err(|e| iceberg_error(&table.ident, e))?;
            }
        }
        let merged = w.write_manifest_file().await.map_err(|e| Error::Iceberg {
            table: table.name(),
            message: format!("cannot write manifest {path}: {e}"),
        })?;
        written.push(path);
        out.push(merged);
    }
    out.extend(keep);
    Ok(out)
}

/// `total-*` summary fields: the parent's totals plus what this snapshot adds (Java leaves them out when the
/// parent has none).
fn totals(parent: Option<&Snapshot>, added: &HashMap<String, String>) -> Vec<(String, String)> {
    let pairs = [
        ("total-records", "added-records", "deleted-records"),
        ("total-files-size", "added-files-size", "removed-files-size"),
        ("total-data-files", "added-data-files", "deleted-data-files"),
        ("total-delete-files", "added-delete-files", "removed-delete-files"),
        ("total-position-deletes", "added-position-deletes", "removed-position-deletes"),
        ("total-equality-deletes", "added-equality-deletes", "removed-equality-deletes"),
    ];
    let num = |m: &HashMap<String, String>, k: &str| m.get(k).and_then(|v| v.parse::<i64>().ok());
    let mut out = Vec::new();
    for (total, add, remove) in pairs {
        let prev = match parent {
            None => Some(0),
            Some(p) => num(&p.summary().additional_properties, total),
        };
        if let Some(prev) = prev {
            let v = prev + num(added, add).unwrap_or(0) - num(added, remove).unwrap_or(0);
            out.push((total.to_string(), v.max(0).to_string()));
        }
    }
    out
}

/// What a new snapshot is, apart from its manifests.
struct NewSnapshot<'a> {
    snapshot_id: i64,
    parent: Option<&'a Snapshot>,
    sequence_number: i64,
    operation: Operation,
    summary: HashMap<String, String>,
}

/// Writes the manifest list of `manifests` (its path goes to `scratch`: garbage if the commit surely fails) and
/// builds the snapshot that points at it.
async fn write_snapshot(
    table: &LoadedTable,
    new: NewSnapshot<'_>,
    manifests: Vec<ManifestFile>,
    scratch: &mut Vec<String>,
) -> Result<Snapshot> {
    let m = &table.metadata;
    let NewSnapshot { snapshot_id, parent, sequence_number, operation, summary } = new;
    let list_path = format!("{}/snap-{snapshot_id}-{sequence_number}-{}.avro", metadata_dir(m), uuid::Uuid::new_v4());
    let out = table.file_io.new_output(&list_path).map_err(|e| iceberg_error(&table.ident, e))?;
    let writer = out.writer().await.map_err(|e| iceberg_error(&table.ident, e))?;
    let parent_id = parent.map(|p| p.snapshot_id());
    let mut lw = match m.format_version() {
        FormatVersion::V1 => ManifestListWriter::v1(writer, snapshot_id, parent_id),
        _ => ManifestListWriter::v2(writer, snapshot_id, parent_id, sequence_number),
    };
    lw.add_manifests(manifests.into_iter()).map_err(|e| iceberg_error(&table.ident, e))?;
    lw.close().await.map_err(|e| Error::Iceberg { table: table.name(), message: format!("cannot write {list_path}: {e}") })?;
    scratch.push(list_path.clone());
    Ok(Snapshot::builder()
        .with_snapshot_id(snapshot_id)
        .with_parent_snapshot_id(parent_id)
        .with_sequence_number(sequence_number)
        .with_timestamp_ms(now_ms().max(m.last_updated_ms() + 1))
        .with_manifest_list(list_path)
        .with_summary(Summary { operation, additional_properties: summary })
        .with_schema_id(m.current_schema_id())
        .build())
}

/// Commits `req` as one `append` snapshot on its branch, retrying conflicts per `commit.retry.*`.
pub async fn append(catalog: &dyn Catalog, mut table: LoadedTable, req: &AppendRequest) -> Result<CommitResult> {
    if table.metadata.format_version() == FormatVersion::V3 {
        return Err(Error::Iceberg {
            table: table.name(),
            message: "writing to format-version 3 tables is not supported yet (row lineage); read-only".into(),
        });
    }
    let started = Instant::now();
    let policy = RetryPolicy::of(&table.metadata);
    let base_head = table.metadata.snapshot_for_ref(&req.branch).map(|s| s.snapshot_id());
    let snapshot_id = new_snapshot_id(&table.metadata);
    // The added files' manifests are written once and reused by every attempt (sequence numbers inherit).
    let added = vec![write_added_manifest(&table, snapshot_id, req.spec_id, &req.files).await?];
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        check_fits(&table, req.schema_id)?;
        let mut scratch = Vec::new();
        let outcome = try_append(catalog, &table, req, snapshot_id, &added, &mut scratch, attempt).await;
        match outcome {
            Ok(r) => {
                return Ok(CommitResult { attempts: attempt, ..r });
            }
            Err(e @ (Error::CommitConflict { .. } | Error::CommitUnknown { .. })) => {
                let unknown = matches!(e, Error::CommitUnknown { .. });
                tracing::info!("commit attempt {attempt} to {}: {e}; reloading", table.name());
                // Back off first, then reload right before the next attempt (a state read before the wait is
                // stale again by its end on a busy table).
                tokio::time::sleep(policy.wait(attempt - 1)).await;
                // Whatever happened, the table's state decides: did our snapshot land?
                let reloaded = reload(catalog, &table, &policy, started).await;
                crate::engine::failpoint::hit("iceberg.commit_retry");
                match reloaded {
                    Ok(t) => {
                        if let Some(s) = find_commit(&t.metadata, &req.branch, &req.commit_id, base_head) {
                            return Ok(CommitResult {
                                snapshot_id: s.snapshot_id(),
                                sequence_number: s.sequence_number(),
                                timestamp_ms: s.timestamp_ms(),
                                attempts: attempt,
                                table: t,
                            });
                        }
                        if !unknown {
                            // Surely not landed: this attempt's merged manifests and list are garbage.
                            for p in &scratch {
                                let _ = t.file_io.delete(p).await;
                            }
                        }
                        table = t;
                    }
                    Err(re) => {
                        return Err(if unknown { e } else { re });
                    }
                }
                if attempt > policy.retries || started.elapsed() > policy.total {
                    return Err(match e {
                        Error::CommitConflict { table, message } => Error::CommitConflict {
                            table,
                            message: format!("{message}; gave up after {attempt} attempts (commit.retry.num-retries)"),
                        },
                        other => other,
                    });
                }
            }
            Err(e) => return Err(e),
        }
    }
}

async fn reload(catalog: &dyn Catalog, table: &LoadedTable, policy: &RetryPolicy, started: Instant) -> Result<LoadedTable> {
    let mut n = 0;
    loop {
        match catalog.load_table(&table.ident).await {
            Ok(t) => return Ok(t),
            Err(e) if n < 5 && started.elapsed() < policy.total => {
                tracing::warn!("reloading {} after a failed commit: {e}; retrying", table.name());
                tokio::time::sleep(policy.wait(n)).await;
                n += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn try_append(
    catalog: &dyn Catalog,
    table: &LoadedTable,
    req: &AppendRequest,
    snapshot_id: i64,
    added: &[ManifestFile],
    scratch: &mut Vec<String>,
    attempt: u32,
) -> Result<CommitResult> {
    let m = &table.metadata;
    let parent = m.snapshot_for_ref(&req.branch).cloned();
    let sequence_number = if m.format_version() == FormatVersion::V1 { 0 } else { m.next_sequence_number() };
    let mut manifests: Vec<ManifestFile> = added.to_vec();
    if let Some(p) = &parent {
        manifests.extend(manifests_of(table, p).await?);
    }
    let manifests = merge_manifests(table, snapshot_id, manifests, scratch).await?;

    // Summary: Iceberg's added-* fields, totals, then ours.
    let mut collector = SnapshotSummaryCollector::default();
    let spec = m.partition_spec_by_id(req.spec_id).cloned().unwrap_or_else(|| m.default_partition_spec().clone());
    for f in &req.files {
        collector.add_file(f, m.current_schema().clone(), spec.clone());
    }
    let mut props = collector.build();
    for (k, v) in totals(parent.as_deref(), &props) {
        props.insert(k, v);
    }
    for (k, v) in &req.summary {
        props.insert(k.clone(), v.clone());
    }
    props.insert(COMMIT_ID.to_string(), req.commit_id.clone());

    let snapshot = write_snapshot(
        table,
        NewSnapshot { snapshot_id, parent: parent.as_deref(), sequence_number, operation: Operation::Append, summary: props },
        manifests,
        scratch,
    )
    .await?;
    let (parent_id, timestamp_ms) = (snapshot.parent_snapshot_id(), snapshot.timestamp_ms());
    let updates = branch_commit_updates(table, snapshot, &req.branch)?;
    let requirements = vec![
        TableRequirement::UuidMatch { uuid: m.uuid() },
        TableRequirement::RefSnapshotIdMatch { r#ref: req.branch.clone(), snapshot_id: parent_id },
        // A schema change since the base makes this a conflict: the retry re-checks that the data still fits.
        TableRequirement::CurrentSchemaIdMatch { current_schema_id: m.current_schema_id() },
    ];
    // Test hooks: another writer won (nothing committed), or the commit landed but its answer was lost.
    if attempt == 1 && crate::engine::failpoint::injected_error("iceberg.conflict") {
        return Err(Error::CommitConflict { table: table.name(), message: "injected conflict".into() });
    }
    let committed = catalog.commit(table, requirements, updates).await?;
    if attempt == 1 && crate::engine::failpoint::injected_error("iceberg.lost_answer") {
        return Err(Error::CommitUnknown { table: table.name(), message: "injected: the answer was lost".into() });
    }
    Ok(CommitResult { snapshot_id, sequence_number, timestamp_ms, attempts: 1, table: committed })
}

/// Commits a metadata-only change — refs, snapshot removal, properties — built from the table's current state,
/// retrying per `commit.retry.*`.
///
/// `build` gets the table as it is now and returns the requirements and updates to commit; on a conflict, or
/// when a commit's outcome was unknown, the table is reloaded (after the backoff) and `build` is called again,
/// so it re-validates against whatever changed. Write `build` so that it sees its own change as done: returning
/// no updates means there is nothing (left) to do, and the reloaded table is returned with `changed = false`.
/// Returns the table after the change and the number of attempts.
pub async fn commit_change<F>(catalog: &dyn Catalog, mut table: LoadedTable, mut build: F) -> Result<ChangeResult>
where
    F: FnMut(&LoadedTable) -> Result<(Vec<TableRequirement>, Vec<TableUpdate>)>,
{
    let started = Instant::now();
    let policy = RetryPolicy::of(&table.metadata);
    let mut attempt = 0u32;
    let mut landed_unknown = false;
    loop {
        attempt += 1;
        let (mut requirements, updates) = build(&table)?;
        if updates.is_empty() {
            return Ok(ChangeResult { table, attempts: attempt, changed: landed_unknown });
        }
        if !requirements.iter().any(|r| matches!(r, TableRequirement::UuidMatch { .. })) {
            requirements.insert(0, TableRequirement::UuidMatch { uuid: table.metadata.uuid() });
        }
        if attempt == 1 {
            crate::engine::failpoint::pause("iceberg.change_before_commit");
        }
        if attempt == 1 && crate::engine::failpoint::injected_error("iceberg.conflict") {
            tracing::info!("injected conflict");
        } else {
            match catalog.commit(&table, requirements, updates).await {
                Ok(t) => return Ok(ChangeResult { table: t, attempts: attempt, changed: true }),
                Err(Error::CommitConflict { .. }) => {}
                Err(Error::CommitUnknown { table: name, message }) => {
                    tracing::warn!("commit to {name}: outcome unknown ({message}); reloading to find out");
                    landed_unknown = true;
                }
                Err(e) => return Err(e),
            }
        }
        if attempt > policy.retries || started.elapsed() > policy.total {
            return Err(Error::CommitConflict {
                table: table.name(),
                message: format!("the table kept changing; gave up after {attempt} attempts (commit.retry.num-retries)"),
            });
        }
        tokio::time::sleep(policy.wait(attempt - 1)).await;
        table = reload(catalog, &table, &policy, started).await?;
        crate::engine::failpoint::hit("iceberg.commit_retry");
    }
}

/// What [`commit_change`] did.
#[derive(Debug, Clone)]
pub struct ChangeResult {
    /// The table after the change (or as found, when there was nothing to do).
    pub table: LoadedTable,
    pub attempts: u32,
    /// Whether this call changed the table (false: `build` found nothing to do on the first attempt).
    pub changed: bool,
}

// ---------------------------------------------------------------- replace: the rewrite snapshot producer

/// A live file of a snapshot with what its manifest entry records.
#[derive(Debug, Clone)]
pub struct LiveFile {
    pub file: DataFile,
    /// The partition spec of the manifest holding it.
    pub spec_id: i32,
    /// The manifest the entry was read from.
    pub manifest_path: String,
    pub snapshot_id: i64,
    /// The data sequence number (deletes apply by it).
    pub sequence_number: i64,
    pub file_sequence_number: Option<i64>,
}

impl LiveFile {
    pub fn path(&self) -> &str {
        self.file.file_path()
    }
}

/// The live data and delete files of a snapshot, and its manifests.
#[derive(Debug, Clone, Default)]
pub struct SnapshotFiles {
    pub manifests: Vec<ManifestFile>,
    pub data: Vec<LiveFile>,
    pub deletes: Vec<LiveFile>,
}

async fn load_manifest(table: &LoadedTable, mf: &ManifestFile) -> Result<iceberg::spec::Manifest> {
    mf.load_manifest(&table.file_io).await.map_err(|e| Error::Iceberg {
        table: table.name(),
        message: format!("cannot read manifest {}: {e}", mf.manifest_path),
    })
}

/// Every live file of `snapshot`, read from its manifests.
pub async fn live_files(table: &LoadedTable, snapshot: &Snapshot) -> Result<SnapshotFiles> {
    let manifests = manifests_of(table, snapshot).await?;
    let mut out = SnapshotFiles { manifests: manifests.clone(), ..Default::default() };
    for mf in &manifests {
        let manifest = load_manifest(table, mf).await?;
        for e in manifest.entries() {
            if !e.is_alive() {
                continue;
            }
            let seq = e.sequence_number().unwrap_or(mf.sequence_number);
            let live = LiveFile {
                file: e.data_file().clone(),
                spec_id: mf.partition_spec_id,
                manifest_path: mf.manifest_path.clone(),
                snapshot_id: e.snapshot_id().unwrap_or(mf.added_snapshot_id),
                sequence_number: seq,
                file_sequence_number: e.file_sequence_number.or(Some(seq)),
            };
            match mf.content {
                ManifestContentType::Data => out.data.push(live),
                ManifestContentType::Deletes => out.deletes.push(live),
            }
        }
    }
    Ok(out)
}

/// The field id of a position delete file's `file_path` column.
const DELETE_FILE_PATH_ID: i32 = 2147483546;

/// Whether delete file `d` applies to data file `f` under the spec's sequence-number rules: an equality delete
/// to data files with a smaller data sequence number in its partition (every partition when its spec is
/// unpartitioned); a position delete to files with a smaller or equal one that it may reference (its
/// `referenced_data_file`, else the same partition and a `file_path` range covering the file).
pub fn delete_applies(metadata: &TableMetadata, d: &LiveFile, f: &LiveFile) -> bool {
    use iceberg::spec::{DataContentType, Datum};
    let global = metadata.partition_spec_by_id(d.spec_id).is_some_and(|s| s.is_unpartitioned());
    let same_partition = global || (d.spec_id == f.spec_id && d.file.partition() == f.file.partition());
    match d.file.content_type() {
        DataContentType::EqualityDeletes => d.sequence_number > f.sequence_number && same_partition,
        DataContentType::PositionDeletes => {
            if d.sequence_number < f.sequence_number {
                return false;
            }
            if let Some(r) = d.file.referenced_data_file() {
                return r == f.path();
            }
            if !same_partition {
                return false;
            }
            let path = Datum::string(f.path());
            let lo_ok = d.file.lower_bounds().get(&DELETE_FILE_PATH_ID).is_none_or(|lo| *lo <= path);
            let hi_ok = d.file.upper_bounds().get(&DELETE_FILE_PATH_ID).is_none_or(|hi| *hi >= path);
            lo_ok && hi_ok
        }
        DataContentType::Data => false,
    }
}

/// One unit of a replace commit (a compaction's file group): data and delete files it removes and the data
/// files replacing them. A group whose validation fails is left out alone; the others still commit.
#[derive(Debug, Clone, Default)]
pub struct ReplaceGroup {
    /// What the group is, for messages (a partition).
    pub label: String,
    pub removed_data: Vec<LiveFile>,
    pub removed_deletes: Vec<LiveFile>,
    pub added: Vec<DataFile>,
}

/// A snapshot that removes files and adds others (`replace` for compaction; the producer serves overwrite and
/// delete too), validated against everything committed on the branch since `start_snapshot_id`.
#[derive(Debug, Clone)]
pub struct ReplaceRequest {
    pub branch: String,
    pub commit_id: String,
    pub operation: Operation,
    /// The snapshot the files to remove were read from.
    pub start_snapshot_id: i64,
    /// The partition spec and schema the added files were written with.
    pub spec_id: i32,
    pub schema_id: i32,
    /// Data sequence number of the added files (Spark's use-starting-sequence-number: the starting snapshot's,
    /// so equality deletes committed after the start still apply to them); `None`: the new snapshot's.
    pub data_sequence_number: Option<i64>,
    pub summary: BTreeMap<String, String>,
    pub groups: Vec<ReplaceGroup>,
}

/// What [`replace`] did.
#[derive(Debug, Clone)]
pub struct ReplaceOutcome {
    /// The commit, when some group committed.
    pub commit: Option<CommitResult>,
    /// Groups left out, by index, with the reason (a commit since the start removed one of their files or
    /// added a delete file applying to one). Their added files are referenced by nothing.
    pub failed: Vec<(usize, String)>,
    /// The table as last seen.
    pub table: LoadedTable,
}

enum ReplaceAttempt {
    Committed(Box<CommitResult>),
    /// Removed files that are not live any more, by group.
    Missing(Vec<(usize, String)>),
}

/// Commits `req` as one snapshot, retrying conflicts per `commit.retry.*`. Before every retry the branch's
/// snapshots since the start are validated: a group whose removed data files were removed meanwhile, or to
/// which a newer delete file (position or equality) applies, is left out (never committed lossily);
/// concurrent appends are kept (the commit is rebuilt on the new head). A commit whose outcome was unknown is
/// looked up by its commit id before anything is retried.
pub async fn replace(catalog: &dyn Catalog, mut table: LoadedTable, req: &ReplaceRequest) -> Result<ReplaceOutcome> {
    if table.metadata.format_version() == FormatVersion::V3 {
        return Err(Error::Iceberg {
            table: table.name(),
            message: "writing to format-version 3 tables is not supported yet (row lineage); read-only".into(),
        });
    }
    let started = Instant::now();
    let policy = RetryPolicy::of(&table.metadata);
    let snapshot_id = new_snapshot_id(&table.metadata);
    let start = table.metadata.snapshot_by_id(req.start_snapshot_id).cloned().ok_or_else(|| Error::CommitConflict {
        table: table.name(),
        message: format!("the starting snapshot {} is not in the table any more (expired?)", req.start_snapshot_id),
    })?;
    let start_manifests: std::collections::HashSet<String> =
        manifests_of(&table, &start).await?.into_iter().map(|m| m.manifest_path).collect();
    let mut active = vec![true; req.groups.len()];
    let mut failed: Vec<(usize, String)> = Vec::new();
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        check_fits(&table, req.schema_id)?;
        let head = table.metadata.snapshot_for_ref(&req.branch).cloned();
        if head.as_ref().map(|h| h.snapshot_id()) != Some(req.start_snapshot_id) {
            for (i, why) in validate_since(&table, req, head.as_deref(), &start_manifests, &active).await? {
                tracing::warn!("{}: group {} conflicts: {why}", table.name(), req.groups[i].label);
                active[i] = false;
                failed.push((i, why));
            }
        }
        if !active.iter().any(|a| *a) {
            return Ok(ReplaceOutcome { commit: None, failed, table });
        }
        let mut scratch = Vec::new();
        let outcome =
            try_replace(catalog, &table, req, &active, snapshot_id, &start_manifests, &mut scratch, attempt).await;
        match outcome {
            Ok(ReplaceAttempt::Committed(r)) => {
                return Ok(ReplaceOutcome { commit: Some(CommitResult { attempts: attempt, ..*r }), failed, table: table.clone() });
            }
            Ok(ReplaceAttempt::Missing(missing)) => {
                for p in &scratch {
                    let _ = table.file_io.delete(p).await;
                }
                for (i, why) in missing {
                    if active[i] {
                        tracing::warn!("{}: group {} conflicts: {why}", table.name(), req.groups[i].label);
                        active[i] = false;
                        failed.push((i, why));
                    }
                }
                attempt -= 1; // nothing was attempted against the catalog
            }
            Err(e @ (Error::CommitConflict { .. } | Error::CommitUnknown { .. })) => {
                let unknown = matches!(e, Error::CommitUnknown { .. });
                tracing::info!("replace commit attempt {attempt} to {}: {e}; reloading", table.name());
                tokio::time::sleep(policy.wait(attempt - 1)).await;
                let reloaded = reload(catalog, &table, &policy, started).await;
                crate::engine::failpoint::hit("iceberg.commit_retry");
                match reloaded {
                    Ok(t) => {
                        if let Some(s) = find_commit(&t.metadata, &req.branch, &req.commit_id, Some(req.start_snapshot_id)) {
                            return Ok(ReplaceOutcome {
                                commit: Some(CommitResult {
                                    snapshot_id: s.snapshot_id(),
                                    sequence_number: s.sequence_number(),
                                    timestamp_ms: s.timestamp_ms(),
                                    attempts: attempt,
                                    table: t.clone(),
                                }),
                                failed,
                                table: t,
                            });
                        }
                        if !unknown {
                            for p in &scratch {
                                let _ = t.file_io.delete(p).await;
                            }
                        }
                        table = t;
                    }
                    Err(re) => return Err(if unknown { e } else { re }),
                }
                if attempt > policy.retries || started.elapsed() > policy.total {
                    return Err(match e {
                        Error::CommitConflict { table, message } => Error::CommitConflict {
                            table,
                            message: format!("{message}; gave up after {attempt} attempts (commit.retry.num-retries)"),
                        },
                        other => other,
                    });
                }
            }
            Err(e) => {
                for p in &scratch {
                    let _ = table.file_io.delete(p).await;
                }
                return Err(e);
            }
        }
    }
}

/// Validates the active groups against the snapshots on the branch after the start (up to `head`): returns
/// the groups that conflict, with the reason.
async fn validate_since(
    table: &LoadedTable,
    req: &ReplaceRequest,
    head: Option<&Snapshot>,
    start_manifests: &std::collections::HashSet<String>,
    active: &[bool],
) -> Result<Vec<(usize, String)>> {
    let m = &table.metadata;
    let mut new_ids = std::collections::HashSet::new();
    let mut cur = head;
    let mut descends = false;
    while let Some(s) = cur {
        if s.snapshot_id() == req.start_snapshot_id {
            descends = true;
            break;
        }
        new_ids.insert(s.snapshot_id());
        cur = s.parent_snapshot_id().and_then(|p| m.snapshot_by_id(p)).map(|s| s.as_ref());
    }
    let all = |why: String| (0..active.len()).filter(|i| active[*i]).map(|i| (i, why.clone())).collect::<Vec<_>>();
    let Some(head) = head.filter(|_| descends) else {
        return Ok(all(format!(
            "branch {} no longer descends from the starting snapshot {} (rolled back or replaced meanwhile)",
            req.branch, req.start_snapshot_id
        )));
    };
    let mut out: Vec<(usize, String)> = Vec::new();
    for mf in manifests_of(table, head).await? {
        if mf.content != ManifestContentType::Deletes || start_manifests.contains(&mf.manifest_path) {
            continue;
        }
        let manifest = load_manifest(table, &mf).await?;
        for e in manifest.entries() {
            let sid = e.snapshot_id().unwrap_or(mf.added_snapshot_id);
            if !e.is_alive() || !new_ids.contains(&sid) {
                continue;
            }
            let seq = e.sequence_number().unwrap_or(mf.sequence_number);
            let d = LiveFile {
                file: e.data_file().clone(),
                spec_id: mf.partition_spec_id,
                manifest_path: mf.manifest_path.clone(),
                snapshot_id: sid,
                sequence_number: seq,
                file_sequence_number: e.file_sequence_number,
            };
            for (i, g) in req.groups.iter().enumerate() {
                if !active[i] || out.iter().any(|(j, _)| *j == i) {
                    continue;
                }
                if let Some(f) = g.removed_data.iter().find(|f| delete_applies(m, &d, f)) {
                    out.push((
                        i,
                        format!(
                            "delete file {} committed in snapshot {sid} after the compaction started applies to data \
                             file {} it rewrote",
                            d.path(),
                            f.path()
                        ),
                    ));
                }
            }
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn try_replace(
    catalog: &dyn Catalog,
    table: &LoadedTable,
    req: &ReplaceRequest,
    active: &[bool],
    snapshot_id: i64,
    start_manifests: &std::collections::HashSet<String>,
    scratch: &mut Vec<String>,
    attempt: u32,
) -> Result<ReplaceAttempt> {
    let m = &table.metadata;
    let parent = m.snapshot_for_ref(&req.branch).cloned();
    let sequence_number = if m.format_version() == FormatVersion::V1 { 0 } else { m.next_sequence_number() };
    let groups: Vec<(usize, &ReplaceGroup)> = req.groups.iter().enumerate().filter(|(i, _)| active[*i]).collect();
    let mut removed_data: HashMap<&str, usize> = HashMap::new();
    let mut removed_deletes: HashMap<&str, usize> = HashMap::new();
    let mut touched: std::collections::HashSet<&str> = Default::default();
    for (i, g) in &groups {
        for f in &g.removed_data {
            removed_data.insert(f.path(), *i);
            touched.insert(&f.manifest_path);
        }
        for f in &g.removed_deletes {
            removed_deletes.insert(f.path(), *i);
            touched.insert(&f.manifest_path);
        }
    }
    // Manifests: the head's, with the ones holding removed files rewritten (those entries DELETED).
    let mut manifests = Vec::new();
    let mut found: Vec<LiveFile> = Vec::new();
    let existing = match &parent {
        Some(p) => manifests_of(table, p).await?,
        None => Vec::new(),
    };
    for mf in existing {
        let removed = match mf.content {
            ManifestContentType::Data => &removed_data,
            ManifestContentType::Deletes => &removed_deletes,
        };
        if removed.is_empty() || (start_manifests.contains(&mf.manifest_path) && !touched.contains(mf.manifest_path.as_str())) {
            manifests.push(mf);
            continue;
        }
        let manifest = load_manifest(table, &mf).await?;
        if !manifest.entries().iter().any(|e| e.is_alive() && removed.contains_key(e.data_file().file_path())) {
            manifests.push(mf);
            continue;
        }
        let spec = m.partition_spec_by_id(mf.partition_spec_id).ok_or_else(|| Error::Iceberg {
            table: table.name(),
            message: format!("manifest {} uses unknown partition spec {}", mf.manifest_path, mf.partition_spec_id),
        })?;
        let path = format!("{}/{}-m1.avro", metadata_dir(m), uuid::Uuid::new_v4());
        let o = table.file_io.new_output(&path).map_err(|e| iceberg_error(&table.ident, e))?;
        let builder = ManifestWriterBuilder::new(o, Some(snapshot_id), m.current_schema().clone(), (**spec).clone());
        let mut w = match (m.format_version(), mf.content) {
            (FormatVersion::V1, _) => builder.build_v1(),
            (_, ManifestContentType::Data) => builder.build_v2_data(),
            (_, ManifestContentType::Deletes) => builder.build_v2_deletes(),
        };
        for e in manifest.entries() {
            if !e.is_alive() {
                continue;
            }
            let seq = e.sequence_number().unwrap_or(mf.sequence_number);
            let file_seq = e.file_sequence_number.or(Some(seq));
            let f = e.data_file();
            if removed.contains_key(f.file_path()) {
                w.add_delete_file(f.clone(), seq, file_seq).map_err(|e| iceberg_error(&table.ident, e))?;
                found.push(LiveFile {
                    file: f.clone(),
                    spec_id: mf.partition_spec_id,
                    manifest_path: mf.manifest_path.clone(),
                    snapshot_id: e.snapshot_id().unwrap_or(mf.added_snapshot_id),
                    sequence_number: seq,
                    file_sequence_number: file_seq,
                });
            } else {
                let sid = e.snapshot_id().unwrap_or(mf.added_snapshot_id);
                w.add_existing_file(f.clone(), sid, seq, file_seq).map_err(|e| iceberg_error(&table.ident, e))?;
            }
        }
        let written = w.write_manifest_file().await.map_err(|e| Error::Iceberg {
            table: table.name(),
            message: format!("cannot write manifest {path}: {e}"),
        })?;
        scratch.push(path);
        manifests.push(written);
    }
    // Every removed data file must still be live; a removed delete file already gone is simply not removed.
    let found_paths: std::collections::HashSet<&str> = found.iter().map(|f| f.path()).collect();
    let mut missing: Vec<(usize, String)> = Vec::new();
    for (p, i) in &removed_data {
        if !found_paths.contains(p) && !missing.iter().any(|(j, _)| j == i) {
            missing.push((
                *i,
                format!("data file {p} it rewrote is no longer live: a commit since snapshot {} removed it", req.start_snapshot_id),
            ));
        }
    }
    if !missing.is_empty() {
        return Ok(ReplaceAttempt::Missing(missing));
    }
    let added: Vec<DataFile> = groups.iter().flat_map(|(_, g)| g.added.iter().cloned()).collect();
    if !added.is_empty() {
        let seq = match (m.format_version(), req.data_sequence_number) {
            (FormatVersion::V1, _) | (_, None) => -1,
            (_, Some(s)) => s,
        };
        let mf = write_added_manifest_seq(table, snapshot_id, req.spec_id, &added, seq).await?;
        scratch.push(mf.manifest_path.clone());
        manifests.insert(0, mf);
    }

    // Summary: Iceberg's added/deleted/removed fields, totals, then ours.
    let mut collector = SnapshotSummaryCollector::default();
    let schema = m.current_schema().clone();
    let spec_of = |id: i32| m.partition_spec_by_id(id).cloned().unwrap_or_else(|| m.default_partition_spec().clone());
    for f in &added {
        collector.add_file(f, schema.clone(), spec_of(req.spec_id));
    }
    for f in &found {
        collector.remove_file(&f.file, schema.clone(), spec_of(f.spec_id));
    }
    let mut props = collector.build();
    for (k, v) in totals(parent.as_deref(), &props) {
        props.insert(k, v);
    }
    for (k, v) in &req.summary {
        props.insert(k.clone(), v.clone());
    }
    props.insert(COMMIT_ID.to_string(), req.commit_id.clone());

    let snapshot = write_snapshot(
        table,
        NewSnapshot { snapshot_id, parent: parent.as_deref(), sequence_number, operation: req.operation.clone(), summary: props },
        manifests,
        scratch,
    )
    .await?;
    let (parent_id, timestamp_ms) = (snapshot.parent_snapshot_id(), snapshot.timestamp_ms());
    let updates = branch_commit_updates(table, snapshot, &req.branch)?;
    let requirements = vec![
        TableRequirement::UuidMatch { uuid: m.uuid() },
        TableRequirement::RefSnapshotIdMatch { r#ref: req.branch.clone(), snapshot_id: parent_id },
        TableRequirement::CurrentSchemaIdMatch { current_schema_id: m.current_schema_id() },
    ];
    if attempt == 1 && crate::engine::failpoint::injected_error("iceberg.conflict") {
        return Err(Error::CommitConflict { table: table.name(), message: "injected conflict".into() });
    }
    let committed = catalog.commit(table, requirements, updates).await?;
    if attempt == 1 && crate::engine::failpoint::injected_error("iceberg.lost_answer") {
        return Err(Error::CommitUnknown { table: table.name(), message: "injected: the answer was lost".into() });
    }
    Ok(ReplaceAttempt::Committed(Box::new(CommitResult { snapshot_id, sequence_number, timestamp_ms, attempts: 1, table: committed })))
}
