//! Looking at tables without changing them: the catalog's namespaces and tables, a table's definition and
//! health (read from its current snapshot's manifests), its snapshots along a branch, one snapshot's manifests,
//! and its refs. Every report is a `Serialize` struct with stable snake_case field names.

use std::collections::{BTreeMap, HashMap};

use futures::StreamExt;
use iceberg::spec::{
    DataContentType, ManifestContentType, ManifestFile, ManifestStatus, NestedFieldRef, NullOrder, Schema, Snapshot,
    SnapshotReference, SnapshotRetention, SortDirection, TableMetadata, Type,
};
use iceberg::NamespaceIdent;
use serde::Serialize;

use super::catalog::{Catalog, LoadedTable, display_namespace};
use super::commit::{COMMIT_ID, MAIN, manifests_of, refs_of};
use crate::engine::error::{Error, Result};

/// `write.target-file-size-bytes`' default (Java, PyIceberg): 512 MiB.
pub const DEFAULT_TARGET_FILE_SIZE: u64 = 512 * 1024 * 1024;

/// RFC 3339 UTC with milliseconds.
pub fn rfc3339_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

// ---------------------------------------------------------------- snapshot selection (shared with scan)

/// The snapshot with this id, or [`Error::Missing`] naming it and the table.
pub fn snapshot_by_id(table: &LoadedTable, id: i64) -> Result<&iceberg::spec::SnapshotRef> {
    table.metadata.snapshot_by_id(id).ok_or_else(|| Error::Missing {
        what: "snapshot",
        name: id.to_string(),
        hint: format!(" in table {} (see `prestige snapshot list {}`)", table.name(), table.name()),
    })
}

/// The snapshot a branch or tag points at, or [`Error::Missing`] naming the ref and the ones that exist.
pub fn snapshot_of_ref<'a>(table: &'a LoadedTable, name: &str) -> Result<&'a iceberg::spec::SnapshotRef> {
    let refs = refs_of(&table.metadata);
    match refs.get(name) {
        Some(r) => snapshot_by_id(table, r.snapshot_id),
        None => {
            let mut names: Vec<&String> = refs.keys().collect();
            names.sort();
            let known = if names.is_empty() {
                "it has no refs (no snapshots yet)".to_string()
            } else {
                format!("refs: {}", names.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
            };
            Err(Error::Missing { what: "ref", name: name.to_string(), hint: format!(" in table {} ({known})", table.name()) })
        }
    }
}

/// The snapshot that was current on main at `ms` (inclusive), by the table's snapshot log — PyIceberg's
/// `snapshot_as_of_timestamp` and Spark's `TIMESTAMP AS OF`: the last log entry at or before `ms`.
pub fn snapshot_as_of(table: &LoadedTable, ms: i64) -> Result<&iceberg::spec::SnapshotRef> {
    let log = table.metadata.history();
    match log.iter().rev().find(|e| e.timestamp_ms <= ms) {
        Some(e) => snapshot_by_id(table, e.snapshot_id),
        None => {
            let first = log.first().map(|e| format!("; its first snapshot is from {}", rfc3339_ms(e.timestamp_ms)));
            Err(Error::Config(format!(
                "--at-timestamp {}: table {} has no snapshot at or before that time{}",
                rfc3339_ms(ms),
                table.name(),
                first.unwrap_or_else(|| " (it has no snapshots)".into())
            )))
        }
    }
}

// ---------------------------------------------------------------- table list

#[derive(Debug, Clone, Serialize)]
pub struct NamespaceListing {
    pub namespace: String,
    /// Full identifiers (`ns.table`).
    pub tables: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListReport {
    pub catalog: String,
    pub namespaces: Vec<NamespaceListing>,
}

/// Namespaces (recursively, under `under` when given, that namespace included) and their tables.
pub async fn list(catalog: &dyn Catalog, under: Option<&NamespaceIdent>) -> Result<ListReport> {
    let mut pending: Vec<NamespaceIdent> = match under {
        Some(ns) => {
            if !catalog.namespace_exists(ns).await? {
                return Err(Error::Missing {
                    what: "namespace",
                    name: display_namespace(ns),
                    hint: format!(" in catalog {}", catalog.name()),
                });
            }
            vec![ns.clone()]
        }
        None => catalog.list_namespaces(None).await?,
    };
    let mut out = Vec::new();
    while let Some(ns) = pending.pop() {
        let tables = catalog.list_tables(&ns).await?;
        let mut names: Vec<String> = tables.iter().map(super::catalog::display_ident).collect();
        names.sort();
        out.push(NamespaceListing { namespace: display_namespace(&ns), tables: names });
        for child in catalog.list_namespaces(Some(&ns)).await? {
            if child != ns {
                pending.push(child);
            }
        }
    }
    out.sort_by(|a, b| a.namespace.cmp(&b.namespace));
    Ok(ListReport { catalog: catalog.name().to_string(), namespaces: out })
}

// ---------------------------------------------------------------- table show

#[derive(Debug, Clone, Serialize)]
pub struct FieldReport {
    pub id: i32,
    /// Full dotted name; list elements are `NAME.element`, map keys and values `NAME.key` / `NAME.value`.
    pub name: String,
    /// Iceberg's type name (`long`, `timestamptz`, `decimal(10,2)`), or `struct` / `list` / `map`.
    #[serde(rename = "type")]
    pub field_type: String,
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SchemaReport {
    pub schema_id: i32,
    pub identifier_fields: Vec<String>,
    pub fields: Vec<FieldReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartitionFieldReport {
    pub field_id: i32,
    pub name: String,
    /// Iceberg's transform name: `identity`, `day`, `bucket[16]`, `truncate[4]`, …
    pub transform: String,
    pub source_id: i32,
    pub source: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartitionSpecReport {
    pub spec_id: i32,
    pub fields: Vec<PartitionFieldReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SortFieldReport {
    pub source_id: i32,
    pub source: Option<String>,
    pub transform: String,
    /// `asc` or `desc`.
    pub direction: String,
    /// `nulls-first` or `nulls-last`.
    pub null_order: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SortOrderReport {
    pub order_id: i64,
    pub fields: Vec<SortFieldReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RefReport {
    pub name: String,
    /// `branch` or `tag`.
    #[serde(rename = "type")]
    pub kind: String,
    pub snapshot_id: i64,
    /// When the snapshot was made (None if it is not in the metadata any more).
    pub timestamp_ms: Option<i64>,
    pub min_snapshots_to_keep: Option<i32>,
    pub max_snapshot_age_ms: Option<i64>,
    pub max_ref_age_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SnapshotReport {
    pub snapshot_id: i64,
    pub parent_id: Option<i64>,
    pub sequence_number: i64,
    pub timestamp_ms: i64,
    pub timestamp: String,
    pub operation: String,
    pub schema_id: Option<i32>,
    pub manifest_list: String,
    /// The snapshot summary's properties (the operation is `operation`).
    pub summary: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Health {
    /// Live data files in the current snapshot.
    pub data_files: u64,
    /// Live delete files (position + equality).
    pub delete_files: u64,
    pub position_delete_files: u64,
    pub equality_delete_files: u64,
    /// Rows in live data files (before deletes are applied).
    pub records: u64,
    /// Rows in live delete files.
    pub delete_records: u64,
    pub data_bytes: u64,
    pub delete_bytes: u64,
    /// `write.target-file-size-bytes` (default 512 MiB).
    pub target_file_size_bytes: u64,
    /// Data files smaller than 25% of the target size.
    pub files_under_25pct_target: u64,
    /// Data files smaller than 75% of the target size (the 25% ones included).
    pub files_under_75pct_target: u64,
    /// Snapshots in the metadata.
    pub snapshots: u64,
    /// Manifests of the current snapshot.
    pub manifests: u64,
    pub data_manifests: u64,
    pub delete_manifests: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    pub table: String,
    pub location: String,
    pub metadata_location: Option<String>,
    pub format_version: u8,
    pub uuid: String,
    pub last_updated_ms: i64,
    pub last_updated: String,
    pub last_sequence_number: i64,
    pub schema: SchemaReport,
    pub partition_spec: PartitionSpecReport,
    pub sort_order: SortOrderReport,
    pub properties: BTreeMap<String, String>,
    pub refs: Vec<RefReport>,
    pub current_snapshot: Option<SnapshotReport>,
    pub health: Health,
}

pub fn format_version_number(m: &TableMetadata) -> u8 {
    match m.format_version() {
        iceberg::spec::FormatVersion::V1 => 1,
        iceberg::spec::FormatVersion::V2 => 2,
        iceberg::spec::FormatVersion::V3 => 3,
    }
}

/// Iceberg's name for a type; nested types by kind.
pub fn type_name(t: &Type) -> String {
    match t {
        Type::Primitive(p) => serde_json::to_value(p).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| p.to_string()),
        Type::Struct(_) => "struct".into(),
        Type::List(_) => "list".into(),
        Type::Map(_) => "map".into(),
    }
}

fn flatten_fields(fields: &[NestedFieldRef], prefix: &str, out: &mut Vec<FieldReport>) {
    for f in fields {
        push_field(f, &format!("{prefix}{}", f.name), out);
    }
}

fn push_field(f: &NestedFieldRef, name: &str, out: &mut Vec<FieldReport>) {
    out.push(FieldReport {
        id: f.id,
        name: name.to_string(),
        field_type: type_name(&f.field_type),
        required: f.required,
        doc: f.doc.clone(),
    });
    match f.field_type.as_ref() {
        Type::Struct(s) => flatten_fields(s.fields(), &format!("{name}."), out),
        Type::List(l) => push_field(&l.element_field, &format!("{name}.element"), out),
        Type::Map(m) => {
            push_field(&m.key_field, &format!("{name}.key"), out);
            push_field(&m.value_field, &format!("{name}.value"), out);
        }
        Type::Primitive(_) => {}
    }
}

pub fn schema_report(schema: &Schema) -> SchemaReport {
    let mut fields = Vec::new();
    flatten_fields(schema.as_struct().fields(), "", &mut fields);
    let mut ids: Vec<i32> = schema.identifier_field_ids().collect();
    ids.sort_unstable();
    SchemaReport {
        schema_id: schema.schema_id(),
        identifier_fields: ids.iter().map(|id| schema.name_by_field_id(*id).unwrap_or("?").to_string()).collect(),
        fields,
    }
}

fn partition_spec_report(m: &TableMetadata) -> PartitionSpecReport {
    let spec = m.default_partition_spec();
    let schema = m.current_schema();
    PartitionSpecReport {
        spec_id: spec.spec_id(),
        fields: spec
            .fields()
            .iter()
            .map(|f| PartitionFieldReport {
                field_id: f.field_id,
                name: f.name.clone(),
                transform: f.transform.to_string(),
                source_id: f.source_id,
                source: schema.name_by_field_id(f.source_id).map(str::to_string),
            })
            .collect(),
    }
}

fn sort_order_report(m: &TableMetadata) -> SortOrderReport {
    let order = m.default_sort_order();
    let schema = m.current_schema();
    SortOrderReport {
        order_id: order.order_id,
        fields: order
            .fields
            .iter()
            .map(|f| SortFieldReport {
                source_id: f.source_id,
                source: schema.name_by_field_id(f.source_id).map(str::to_string),
                transform: f.transform.to_string(),
                direction: match f.direction {
                    SortDirection::Ascending => "asc".into(),
                    SortDirection::Descending => "desc".into(),
                },
                null_order: match f.null_order {
                    NullOrder::First => "nulls-first".into(),
                    NullOrder::Last => "nulls-last".into(),
                },
            })
            .collect(),
    }
}

fn ref_report(m: &TableMetadata, name: &str, r: &SnapshotReference) -> RefReport {
    let (kind, min_keep, max_age, max_ref_age) = match &r.retention {
        SnapshotRetention::Branch { min_snapshots_to_keep, max_snapshot_age_ms, max_ref_age_ms } => {
            ("branch", *min_snapshots_to_keep, *max_snapshot_age_ms, *max_ref_age_ms)
        }
        SnapshotRetention::Tag { max_ref_age_ms } => ("tag", None, None, *max_ref_age_ms),
    };
    RefReport {
        name: name.to_string(),
        kind: kind.into(),
        snapshot_id: r.snapshot_id,
        timestamp_ms: m.snapshot_by_id(r.snapshot_id).map(|s| s.timestamp_ms()),
        min_snapshots_to_keep: min_keep,
        max_snapshot_age_ms: max_age,
        max_ref_age_ms: max_ref_age,
    }
}

/// The table's refs, main first, then by name.
pub fn refs_report(m: &TableMetadata) -> Vec<RefReport> {
    let mut refs: Vec<RefReport> = refs_of(m).iter().map(|(n, r)| ref_report(m, n, r)).collect();
    refs.sort_by(|a, b| (a.name != MAIN, &a.name).cmp(&(b.name != MAIN, &b.name)));
    refs
}

pub fn snapshot_report(s: &Snapshot) -> SnapshotReport {
    SnapshotReport {
        snapshot_id: s.snapshot_id(),
        parent_id: s.parent_snapshot_id(),
        sequence_number: s.sequence_number(),
        timestamp_ms: s.timestamp_ms(),
        timestamp: rfc3339_ms(s.timestamp_ms()),
        operation: s.summary().operation.as_str().to_string(),
        schema_id: s.schema_id(),
        manifest_list: s.manifest_list().to_string(),
        summary: s.summary().additional_properties.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    }
}

/// Loads manifests a few at a time.
pub async fn load_manifests(table: &LoadedTable, files: &[ManifestFile]) -> Result<Vec<iceberg::spec::Manifest>> {
    let loaded: Vec<Result<iceberg::spec::Manifest>> = futures::stream::iter(files)
        .map(|mf| async move {
            mf.load_manifest(&table.file_io).await.map_err(|e| Error::Iceberg {
                table: table.name(),
                message: format!("cannot read manifest {}: {e}", mf.manifest_path),
            })
        })
        .buffered(8)
        .collect()
        .await;
    loaded.into_iter().collect()
}

/// `write.target-file-size-bytes`, else 512 MiB.
pub fn target_file_size(m: &TableMetadata) -> u64 {
    m.properties()
        .get("write.target-file-size-bytes")
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|v| *v > 0)
        .unwrap_or(DEFAULT_TARGET_FILE_SIZE)
}

async fn health(table: &LoadedTable) -> Result<Health> {
    let m = &table.metadata;
    let target = target_file_size(m);
    let mut h = Health { target_file_size_bytes: target, snapshots: m.snapshots().len() as u64, ..Default::default() };
    let Some(current) = m.current_snapshot() else { return Ok(h) };
    let manifests = manifests_of(table, current).await?;
    h.manifests = manifests.len() as u64;
    h.data_manifests = manifests.iter().filter(|mf| mf.content == ManifestContentType::Data).count() as u64;
    h.delete_manifests = h.manifests - h.data_manifests;
    for manifest in load_manifests(table, &manifests).await? {
        for e in manifest.entries().iter().filter(|e| e.status() != ManifestStatus::Deleted) {
            let size = e.file_size_in_bytes();
            match e.content_type() {
                DataContentType::Data => {
                    h.data_files += 1;
                    h.records += e.record_count();
                    h.data_bytes += size;
                    if size * 4 < target {
                        h.files_under_25pct_target += 1;
                    }
                    if size * 4 < target * 3 {
                        h.files_under_75pct_target += 1;
                    }
                }
                kind => {
                    h.delete_files += 1;
                    h.delete_records += e.record_count();
                    h.delete_bytes += size;
                    if kind == DataContentType::EqualityDeletes {
                        h.equality_delete_files += 1;
                    } else {
                        h.position_delete_files += 1;
                    }
                }
            }
        }
    }
    Ok(h)
}

/// Everything `table show` prints.
pub async fn show(table: &LoadedTable) -> Result<TableReport> {
    let m = &table.metadata;
    Ok(TableReport {
        table: table.name(),
        location: m.location().to_string(),
        metadata_location: table.metadata_location.clone(),
        format_version: format_version_number(m),
        uuid: m.uuid().to_string(),
        last_updated_ms: m.last_updated_ms(),
        last_updated: rfc3339_ms(m.last_updated_ms()),
        last_sequence_number: m.last_sequence_number(),
        schema: schema_report(m.current_schema()),
        partition_spec: partition_spec_report(m),
        sort_order: sort_order_report(m),
        properties: m.properties().iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        refs: refs_report(m),
        current_snapshot: m.current_snapshot().map(|s| snapshot_report(s)),
        health: health(table).await?,
    })
}

// ---------------------------------------------------------------- snapshots

#[derive(Debug, Clone, Serialize)]
pub struct SnapshotEntry {
    pub snapshot_id: i64,
    pub parent_id: Option<i64>,
    pub sequence_number: i64,
    pub timestamp_ms: i64,
    pub timestamp: String,
    pub operation: String,
    pub schema_id: Option<i32>,
    pub added_data_files: Option<u64>,
    pub deleted_data_files: Option<u64>,
    pub added_delete_files: Option<u64>,
    pub removed_delete_files: Option<u64>,
    pub added_records: Option<u64>,
    pub deleted_records: Option<u64>,
    pub total_records: Option<u64>,
    pub total_data_files: Option<u64>,
    /// Branches and tags pointing at this snapshot.
    pub refs: Vec<String>,
    /// `prestige.commit-id` from the summary, for snapshots prestige made.
    pub commit_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SnapshotListReport {
    pub table: String,
    /// The branch or tag whose lineage is listed; None with `--all`.
    #[serde(rename = "ref")]
    pub ref_name: Option<String>,
    pub current_snapshot_id: Option<i64>,
    /// Newest first.
    pub snapshots: Vec<SnapshotEntry>,
}

fn refs_by_snapshot(m: &TableMetadata) -> HashMap<i64, Vec<String>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for r in refs_report(m) {
        out.entry(r.snapshot_id).or_default().push(r.name);
    }
    out
}

fn entry(s: &Snapshot, refs: &HashMap<i64, Vec<String>>) -> SnapshotEntry {
    let p = &s.summary().additional_properties;
    let num = |k: &str| p.get(k).and_then(|v| v.parse::<u64>().ok());
    SnapshotEntry {
        snapshot_id: s.snapshot_id(),
        parent_id: s.parent_snapshot_id(),
        sequence_number: s.sequence_number(),
        timestamp_ms: s.timestamp_ms(),
        timestamp: rfc3339_ms(s.timestamp_ms()),
        operation: s.summary().operation.as_str().to_string(),
        schema_id: s.schema_id(),
        added_data_files: num("added-data-files"),
        deleted_data_files: num("deleted-data-files"),
        added_delete_files: num("added-delete-files"),
        removed_delete_files: num("removed-delete-files"),
        added_records: num("added-records"),
        deleted_records: num("deleted-records"),
        total_records: num("total-records"),
        total_data_files: num("total-data-files"),
        refs: refs.get(&s.snapshot_id()).cloned().unwrap_or_default(),
        commit_id: p.get(COMMIT_ID).cloned(),
    }
}

/// The snapshots on a branch's (or tag's) lineage, newest first; `all` lists every snapshot in the metadata
/// instead (newest first). A table without snapshots lists none; a ref that does not exist is an error.
pub fn snapshots(table: &LoadedTable, ref_name: Option<&str>, all: bool) -> Result<SnapshotListReport> {
    let m = &table.metadata;
    let refs = refs_by_snapshot(m);
    let mut out = Vec::new();
    let shown_ref = if all {
        let mut all: Vec<&iceberg::spec::SnapshotRef> = m.snapshots().collect();
        all.sort_by_key(|s| std::cmp::Reverse((s.timestamp_ms(), s.sequence_number())));
        out.extend(all.into_iter().map(|s| entry(s, &refs)));
        None
    } else {
        let name = ref_name.unwrap_or(MAIN);
        let head = match (ref_name, m.snapshot_for_ref(name)) {
            (_, Some(s)) => Some(s.clone()),
            (None, None) => None,
            (Some(n), None) => Some(snapshot_of_ref(table, n)?.clone()),
        };
        let mut cur = head;
        while let Some(s) = cur {
            out.push(entry(&s, &refs));
            cur = s.parent_snapshot_id().and_then(|p| m.snapshot_by_id(p)).cloned();
        }
        Some(name.to_string())
    };
    Ok(SnapshotListReport { table: table.name(), ref_name: shown_ref, current_snapshot_id: m.current_snapshot_id(), snapshots: out })
}

#[derive(Debug, Clone, Serialize)]
pub struct ManifestReport {
    pub path: String,
    pub length: i64,
    /// `data` or `deletes`.
    pub content: String,
    pub partition_spec_id: i32,
    pub added_snapshot_id: i64,
    pub sequence_number: i64,
    pub min_sequence_number: i64,
    pub added_files: Option<u32>,
    pub existing_files: Option<u32>,
    pub deleted_files: Option<u32>,
    pub added_rows: Option<u64>,
    pub existing_rows: Option<u64>,
    pub deleted_rows: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SnapshotDetail {
    pub table: String,
    #[serde(flatten)]
    pub snapshot: SnapshotReport,
    pub refs: Vec<String>,
    pub commit_id: Option<String>,
    pub manifests: Vec<ManifestReport>,
}

/// One snapshot: its summary, schema id, manifest list and the manifests in it with their counts.
pub async fn snapshot_detail(table: &LoadedTable, id: i64) -> Result<SnapshotDetail> {
    let s = snapshot_by_id(table, id)?.clone();
    let manifests = manifests_of(table, &s).await?;
    let refs = refs_by_snapshot(&table.metadata);
    Ok(SnapshotDetail {
        table: table.name(),
        snapshot: snapshot_report(&s),
        refs: refs.get(&id).cloned().unwrap_or_default(),
        commit_id: s.summary().additional_properties.get(COMMIT_ID).cloned(),
        manifests: manifests
            .iter()
            .map(|mf| ManifestReport {
                path: mf.manifest_path.clone(),
                length: mf.manifest_length,
                content: match mf.content {
                    ManifestContentType::Data => "data".into(),
                    ManifestContentType::Deletes => "deletes".into(),
                },
                partition_spec_id: mf.partition_spec_id,
                added_snapshot_id: mf.added_snapshot_id,
                sequence_number: mf.sequence_number,
                min_sequence_number: mf.min_sequence_number,
                added_files: mf.added_files_count,
                existing_files: mf.existing_files_count,
                deleted_files: mf.deleted_files_count,
                added_rows: mf.added_rows_count,
                existing_rows: mf.existing_rows_count,
                deleted_rows: mf.deleted_rows_count,
            })
            .collect(),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct RefsReport {
    pub table: String,
    pub refs: Vec<RefReport>,
}

/// Branches and tags with their snapshots and retention settings.
pub fn refs(table: &LoadedTable) -> RefsReport {
    RefsReport { table: table.name(), refs: refs_report(&table.metadata) }
}
