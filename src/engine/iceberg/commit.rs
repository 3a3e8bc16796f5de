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
    serde_json::to_value(metadata)
        .ok()
        .and_then(|mut v| v.get_mut("refs").map(serde_json::Value::take))
        .and_then(|r| serde_json::from_value(r).ok())
        .unwrap_or_default()
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
        w.add_file(f.clone(), -1).map_err(|e| iceberg_error(&table.ident, e))?;
    }
    w.write_manifest_file().await.map_err(|e| Error::Iceberg { table: table.name(), message: format!("cannot write manifest {path}: {e}") })
}

/// Java's merge append: once a branch has `commit.manifest.min-count-to-merge` data manifests of a spec, small
/// ones (under `commit.manifest.target-size-bytes`) are merged into one, so the manifest count — and the cost
/// of planning and committing — stays flat as commits accumulate. Deleted entries are dropped; live entries keep
/// their snapshot ids and sequence numbers.
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

    let list_path = format!(
        "{}/snap-{snapshot_id}-{}-{}.avro",
        metadata_dir(m),
        sequence_number,
        uuid::Uuid::new_v4()
    );
    let out = table.file_io.new_output(&list_path).map_err(|e| iceberg_error(&table.ident, e))?;
    let writer = out.writer().await.map_err(|e| iceberg_error(&table.ident, e))?;
    let parent_id = parent.as_ref().map(|p| p.snapshot_id());
    let mut lw = match m.format_version() {
        FormatVersion::V1 => ManifestListWriter::v1(writer, snapshot_id, parent_id),
        _ => ManifestListWriter::v2(writer, snapshot_id, parent_id, sequence_number),
    };
    lw.add_manifests(manifests.into_iter()).map_err(|e| iceberg_error(&table.ident, e))?;
    lw.close().await.map_err(|e| Error::Iceberg { table: table.name(), message: format!("cannot write {list_path}: {e}") })?;
    scratch.push(list_path.clone());

    let timestamp_ms = now_ms().max(m.last_updated_ms() + 1);
    let snapshot = Snapshot::builder()
        .with_snapshot_id(snapshot_id)
        .with_parent_snapshot_id(parent_id)
        .with_sequence_number(sequence_number)
        .with_timestamp_ms(timestamp_ms)
        .with_manifest_list(list_path)
        .with_summary(Summary { operation: Operation::Append, additional_properties: props })
        .with_schema_id(m.current_schema_id())
        .build();
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
