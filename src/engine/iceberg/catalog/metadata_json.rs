//! Writing table metadata files fast enough that commit cost stays flat as a table's history grows.
//!
//! A metadata file lists every snapshot, so it grows with each commit (about 750 bytes per snapshot). iceberg-rust's
//! `Serialize` for `TableMetadata` deep-clones the whole metadata — every snapshot and its summary map — and then
//! escapes every string again, on every commit: at 2,000 snapshots that was most of a commit's CPU time. Here a
//! format-version 2 file is written from borrowed parts, and each snapshot's JSON, which never changes once
//! written, is kept per process and reused. The output is the same JSON document as iceberg-rust's (a unit test
//! compares them); other format versions take iceberg-rust's path.
//!
//! The one part iceberg-rust does not expose is `refs`: the caller passes them, tracked through the commit's
//! updates (see [`refs_after`]) starting from the refs of the metadata file the commit is based on, which are
//! remembered per metadata location (or read once by serializing that metadata when not known).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use iceberg::TableUpdate;
use iceberg::spec::{
    FormatVersion, MetadataLog, PartitionSpec, PartitionStatisticsFile, Schema, Snapshot, SnapshotLog, SnapshotReference,
    SortOrder, StatisticsFile, Summary, TableMetadata,
};
use serde::Serialize;
use serde_json::value::RawValue;
use uuid::Uuid;

pub type Refs = HashMap<String, SnapshotReference>;

/// What identifies one version of a snapshot: a commit retried after a conflict keeps its snapshot id but
/// writes a new manifest list (and may get a new parent, sequence number and timestamp), so a cached JSON is
/// reused only for exactly the same snapshot.
struct Cached {
    manifest_list: String,
    parent: Option<i64>,
    sequence_number: i64,
    timestamp_ms: i64,
    json: Box<RawValue>,
}

impl Cached {
    fn new(s: &Snapshot) -> serde_json::Result<Self> {
        Ok(Cached {
            manifest_list: s.manifest_list().to_string(),
            parent: s.parent_snapshot_id(),
            sequence_number: s.sequence_number(),
            timestamp_ms: s.timestamp_ms(),
            json: snapshot_json(s)?,
        })
    }

    fn is_of(&self, s: &Snapshot) -> bool {
        self.manifest_list == s.manifest_list()
            && self.parent == s.parent_snapshot_id()
            && self.sequence_number == s.sequence_number()
            && self.timestamp_ms == s.timestamp_ms()
    }
}

#[derive(Default)]
struct Cache {
    /// Each snapshot's JSON, by table uuid and snapshot id, with the version it was made from.
    snapshots: HashMap<(Uuid, i64), Cached>,
    /// The refs of metadata files this process wrote or read, newest last (a few are enough).
    refs: Vec<(String, Arc<Refs>)>,
}

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Mutex::default);

fn cache() -> std::sync::MutexGuard<'static, Cache> {
    CACHE.lock().unwrap_or_else(|p| p.into_inner())
}

/// The refs of the metadata file at `location`, if this process knows them.
pub fn known_refs(location: &str) -> Option<Arc<Refs>> {
    cache().refs.iter().rev().find(|(l, _)| l == location).map(|(_, r)| r.clone())
}

/// Remembers the refs of the metadata file at `location`.
pub fn remember_refs(location: &str, refs: Arc<Refs>) {
    let mut c = cache();
    c.refs.retain(|(l, _)| l != location);
    c.refs.push((location.to_string(), refs));
    if c.refs.len() > 16 {
        c.refs.remove(0);
    }
}

/// The refs of `metadata` by serializing it (slow at thousands of snapshots; used when not known).
pub fn refs_by_serializing(metadata: &TableMetadata) -> Refs {
    serde_json::to_value(metadata)
        .ok()
        .and_then(|mut v| v.get_mut("refs").map(serde_json::Value::take))
        .and_then(|r| serde_json::from_value(r).ok())
        .unwrap_or_default()
}

/// The refs after applying `updates` to metadata with `refs`, checked against the metadata they produced:
/// `None` when they disagree (the caller then serializes the slow way).
pub fn refs_after(refs: &Refs, updates: &[TableUpdate], built: &TableMetadata) -> Option<Refs> {
    let mut out = refs.clone();
    for u in updates {
        match u {
            TableUpdate::SetSnapshotRef { ref_name, reference } => {
                out.insert(ref_name.clone(), reference.clone());
            }
            TableUpdate::RemoveSnapshotRef { ref_name } => {
                out.remove(ref_name);
            }
            _ => {}
        }
    }
    // Refs of removed snapshots go with them (as the metadata builder does).
    out.retain(|_, r| built.snapshot_by_id(r.snapshot_id).is_some());
    let consistent = out.iter().all(|(name, r)| built.snapshot_for_ref(name).map(|s| s.snapshot_id()) == Some(r.snapshot_id))
        && out.get("main").map(|r| r.snapshot_id) == built.current_snapshot_id();
    consistent.then_some(out)
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct SnapshotV2<'a> {
    snapshot_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_snapshot_id: Option<i64>,
    sequence_number: i64,
    timestamp_ms: i64,
    manifest_list: &'a str,
    summary: &'a Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_id: Option<i32>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct MetadataV2<'a> {
    format_version: u8,
    table_uuid: Uuid,
    location: &'a str,
    last_sequence_number: i64,
    last_updated_ms: i64,
    last_column_id: i32,
    schemas: Vec<&'a Schema>,
    current_schema_id: i32,
    partition_specs: Vec<&'a PartitionSpec>,
    default_spec_id: i32,
    last_partition_id: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<&'a HashMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    current_snapshot_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshots: Option<Vec<&'a RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot_log: Option<&'a [SnapshotLog]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata_log: Option<&'a [MetadataLog]>,
    sort_orders: Vec<&'a SortOrder>,
    default_sort_order_id: i64,
    refs: &'a Refs,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    statistics: Vec<&'a StatisticsFile>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    partition_statistics: Vec<&'a PartitionStatisticsFile>,
}

fn snapshot_json(s: &Snapshot) -> serde_json::Result<Box<RawValue>> {
    let v = SnapshotV2 {
        snapshot_id: s.snapshot_id(),
        parent_snapshot_id: s.parent_snapshot_id(),
        sequence_number: s.sequence_number(),
        timestamp_ms: s.timestamp_ms(),
        manifest_list: s.manifest_list(),
        summary: s.summary(),
        schema_id: s.schema_id(),
    };
    RawValue::from_string(serde_json::to_string(&v)?)
}

fn none_if_empty<T>(s: &[T]) -> Option<&[T]> {
    (!s.is_empty()).then_some(s)
}

/// The metadata file's bytes. `refs` must be the metadata's refs (format version 2 only: with `None`, or for
/// other versions, this is iceberg-rust's serialization).
pub fn to_json(metadata: &TableMetadata, refs: Option<&Refs>) -> serde_json::Result<Vec<u8>> {
    let Some(refs) = refs.filter(|_| metadata.format_version() == FormatVersion::V2) else {
        return serde_json::to_vec(metadata);
    };
    let uuid = metadata.uuid();
    let mut c = cache();
    let mut size = 64 * 1024 + metadata.history().len() * 80;
    for s in metadata.snapshots() {
        let key = (uuid, s.snapshot_id());
        if !c.snapshots.get(&key).is_some_and(|e| e.is_of(s)) {
            c.snapshots.insert(key, Cached::new(s)?);
        }
        size += c.snapshots[&key].json.get().len() + 2;
    }
    // Snapshots of this table no longer listed are dropped from the cache; other tables' stay.
    if c.snapshots.len() > metadata.snapshots().len() {
        c.snapshots.retain(|(u, id), _| *u != uuid || metadata.snapshot_by_id(*id).is_some());
    }
    // Same order as iceberg-rust (the map's), which readers do not depend on anyway.
    let ordered: Vec<&RawValue> = metadata.snapshots().map(|s| &*c.snapshots[&(uuid, s.snapshot_id())].json).collect();
    let doc = MetadataV2 {
        format_version: 2,
        table_uuid: uuid,
        location: metadata.location(),
        last_sequence_number: metadata.last_sequence_number(),
        last_updated_ms: metadata.last_updated_ms(),
        last_column_id: metadata.last_column_id(),
        schemas: metadata.schemas_iter().map(|s| &**s).collect(),
        current_schema_id: metadata.current_schema_id(),
        partition_specs: metadata.partition_specs_iter().map(|s| &**s).collect(),
        default_spec_id: metadata.default_partition_spec_id(),
        last_partition_id: metadata.last_partition_id(),
        properties: (!metadata.properties().is_empty()).then(|| metadata.properties()),
        current_snapshot_id: metadata.current_snapshot_id(),
        snapshots: (!ordered.is_empty()).then_some(ordered),
        snapshot_log: none_if_empty(metadata.history()),
        metadata_log: none_if_empty(metadata.metadata_log()),
        sort_orders: metadata.sort_orders_iter().map(|s| &**s).collect(),
        default_sort_order_id: metadata.default_sort_order_id(),
        refs,
        statistics: metadata.statistics_iter().collect(),
        partition_statistics: metadata.partition_statistics_iter().collect(),
    };
    let mut out = Vec::with_capacity(size);
    serde_json::to_writer(&mut out, &doc)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use iceberg::spec::{
        NestedField, Operation, PrimitiveType, SnapshotRetention, TableMetadataBuilder, Transform, Type,
        UnboundPartitionSpec,
    };
    use iceberg::TableCreation;

    fn table() -> TableMetadata {
        let schema = Schema::builder()
            .with_schema_id(0)
            .with_fields(vec![
                NestedField::required(1, "id", Type::Primitive(PrimitiveType::Long)).into(),
                NestedField::optional(2, "name \"quoted\" é", Type::Primitive(PrimitiveType::String)).into(),
            ])
            .with_identifier_field_ids(vec![1])
            .build()
            .unwrap();
        let spec = UnboundPartitionSpec::builder().add_partition_field(1, "id_bucket", Transform::Bucket(4)).unwrap().build();
        let creation = TableCreation::builder()
            .name("t".into())
            .location("file:///tmp/wh/t".into())
            .schema(schema)
            .partition_spec(spec)
            .properties(HashMap::from([("k".to_string(), "v\n".to_string())]))
            .build();
        TableMetadataBuilder::from_table_creation(creation).unwrap().build().unwrap().metadata
    }

    fn snapshot(id: i64, parent: Option<i64>, seq: i64) -> Snapshot {
        Snapshot::builder()
            .with_snapshot_id(id)
            .with_parent_snapshot_id(parent)
            .with_sequence_number(seq)
            .with_timestamp_ms(chrono::Utc::now().timestamp_millis() + 1000 * seq)
            .with_manifest_list(format!("file:///tmp/wh/t/metadata/snap-{id}.avro"))
            .with_summary(Summary {
                operation: Operation::Append,
                additional_properties: HashMap::from([("added-records".into(), seq.to_string()), ("x\"y".into(), "ü".into())]),
            })
            .with_schema_id(0)
            .build()
    }

    fn same(m: &TableMetadata, refs: &Refs) {
        let ours: serde_json::Value = serde_json::from_slice(&to_json(m, Some(refs)).unwrap()).unwrap();
        let theirs = serde_json::to_value(m).unwrap();
        // Arrays whose order comes from hash maps: compare as sets.
        let norm = |mut v: serde_json::Value| {
            for k in ["snapshots", "schemas", "partition-specs", "sort-orders", "statistics"] {
                if let Some(serde_json::Value::Array(a)) = v.get_mut(k) {
                    a.sort_by_key(|x| x.to_string());
                }
            }
            v
        };
        assert_eq!(norm(ours), norm(theirs));
        // And the file reads back as the same metadata.
        let back: TableMetadata = serde_json::from_slice(&to_json(m, Some(refs)).unwrap()).unwrap();
        assert_eq!(&back, m);
    }

    #[test]
    fn writes_what_iceberg_rust_writes() {
        let mut m = table();
        let mut refs = refs_by_serializing(&m);
        same(&m, &refs);
        let mut parent = None;
        for seq in 1..=5 {
            let id = 1000 + seq;
            let b = TableMetadataBuilder::new_from_metadata(m.clone(), Some(format!("file:///m/{seq}.json")))
                .set_branch_snapshot(snapshot(id, parent, seq), "main")
                .unwrap();
            let built = b.build().unwrap();
            let updates: Vec<TableUpdate> = built.changes.clone();
            refs = refs_after(&refs, &updates, &built.metadata).expect("refs agree");
            m = built.metadata;
            assert_eq!(refs, refs_by_serializing(&m));
            same(&m, &refs);
            parent = Some(id);
        }
        // A branch and a tag with retention settings, then dropping the branch.
        let tag = SnapshotReference::new(1002, SnapshotRetention::Tag { max_ref_age_ms: Some(86_400_000) });
        let branch = SnapshotReference::new(
            1003,
            SnapshotRetention::Branch { min_snapshots_to_keep: Some(3), max_snapshot_age_ms: None, max_ref_age_ms: Some(5) },
        );
        let updates = vec![
            TableUpdate::SetSnapshotRef { ref_name: "t1".into(), reference: tag },
            TableUpdate::SetSnapshotRef { ref_name: "audit".into(), reference: branch },
        ];
        let mut b = TableMetadataBuilder::new_from_metadata(m.clone(), None);
        for u in updates.clone() {
            b = u.apply(b).unwrap();
        }
        m = b.build().unwrap().metadata;
        refs = refs_after(&refs, &updates, &m).unwrap();
        assert_eq!(refs, refs_by_serializing(&m));
        same(&m, &refs);
        let updates = vec![TableUpdate::RemoveSnapshotRef { ref_name: "audit".into() }];
        let mut b = TableMetadataBuilder::new_from_metadata(m.clone(), None);
        for u in updates.clone() {
            b = u.apply(b).unwrap();
        }
        m = b.build().unwrap().metadata;
        refs = refs_after(&refs, &updates, &m).unwrap();
        same(&m, &refs);
        // A commit retried after a conflict keeps its snapshot id with a new manifest list: the file written
        // must carry the new one, not the cached JSON of the first attempt.
        let base = m.clone();
        let first = snapshot(2000, Some(1005), 6);
        let b = TableMetadataBuilder::new_from_metadata(base.clone(), None).set_branch_snapshot(first, "main").unwrap();
        let attempt1 = b.build().unwrap().metadata;
        let _ = to_json(&attempt1, Some(&refs_by_serializing(&attempt1))).unwrap();
        let mut second = snapshot(2000, Some(1005), 6);
        second = Snapshot::builder()
            .with_snapshot_id(second.snapshot_id())
            .with_parent_snapshot_id(second.parent_snapshot_id())
            .with_sequence_number(second.sequence_number())
            .with_timestamp_ms(second.timestamp_ms())
            .with_manifest_list("file:///tmp/wh/t/metadata/snap-2000-attempt-2.avro".to_string())
            .with_summary(second.summary().clone())
            .with_schema_id(0)
            .build();
        let b = TableMetadataBuilder::new_from_metadata(base, None).set_branch_snapshot(second, "main").unwrap();
        let attempt2 = b.build().unwrap().metadata;
        let r2 = refs_by_serializing(&attempt2);
        same(&attempt2, &r2);
        assert!(String::from_utf8(to_json(&attempt2, Some(&r2)).unwrap()).unwrap().contains("snap-2000-attempt-2.avro"));

        // Wrong refs are caught, not written.
        let mut wrong = refs.clone();
        wrong.remove("t1");
        wrong.insert("main".into(), SnapshotReference::new(1001, SnapshotRetention::branch(None, None, None)));
        assert!(refs_after(&wrong, &[], &m).is_none());
    }
}
