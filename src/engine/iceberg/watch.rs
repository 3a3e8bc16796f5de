//! Following a table: new snapshots on a ref as events, or their appended rows.
//!
//! The watcher keeps a checkpoint — the last snapshot it delivered on the ref (id, timestamp, sequence
//! number) — and on every poll walks the ref's ancestry back from its head to that checkpoint. Everything
//! newer is new, oldest first. The walk also proves there is no gap: it must reach the checkpoint itself, or a
//! snapshot whose parent id is the checkpoint (the checkpoint was expired, its child is still there). When it
//! can do neither, the ref was rolled back past the checkpoint or snapshots after it were expired before they
//! were delivered; the watcher stops with an error naming the snapshots instead of skipping or repeating.

use std::path::Path;
use std::process::Stdio;

use iceberg::spec::{Operation, SnapshotRef};
use serde::{Deserialize, Serialize};

use super::catalog::LoadedTable;
use super::inspect::rfc3339_ms;
use super::scan::{self as table_scan, SnapshotChoice, TableScanOptions, TableScanStream};
use crate::engine::error::{Error, Result};
use crate::engine::storage::local::write_atomic;

/// The checkpoint a table watcher persists with `--state`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TableWatchState {
    pub version: u32,
    pub table: String,
    #[serde(rename = "ref")]
    pub ref_name: String,
    /// Everything up to and including this snapshot of the ref's lineage was delivered; `None`: nothing yet,
    /// deliver from the first snapshot of the lineage.
    pub snapshot_id: Option<i64>,
    /// The checkpoint snapshot's commit time (absent for a starting point that is not a delivered snapshot).
    pub timestamp_ms: Option<i64>,
    pub timestamp: Option<String>,
    pub sequence_number: Option<i64>,
}

impl TableWatchState {
    fn after(table: &str, ref_name: &str, s: Option<&SnapshotRef>, id: Option<i64>) -> Self {
        Self {
            version: 1,
            table: table.to_string(),
            ref_name: ref_name.to_string(),
            snapshot_id: s.map(|s| s.snapshot_id()).or(id),
            timestamp_ms: s.map(|s| s.timestamp_ms()),
            timestamp: s.map(|s| rfc3339_ms(s.timestamp_ms())),
            sequence_number: s.map(|s| s.sequence_number()),
        }
    }

    /// The checkpoint just before `first`: its parent when that still exists, else the parent's id (if the
    /// snapshot still names it) and the sequence number before `first`'s, which proves later that nothing
    /// between was skipped.
    fn before(table: &LoadedTable, ref_name: &str, first: &SnapshotRef) -> Self {
        let parent = first.parent_snapshot_id();
        match parent.and_then(|p| table.metadata.snapshot_by_id(p)) {
            Some(p) => Self::after(&table.name(), ref_name, Some(p), None),
            None => Self {
                sequence_number: Some((first.sequence_number() - 1).max(0)),
                ..Self::after(&table.name(), ref_name, None, parent)
            },
        }
    }

    /// The checkpoint after delivering `event`.
    pub fn delivered(&mut self, event: &SnapshotEvent) {
        self.snapshot_id = Some(event.snapshot_id);
        self.timestamp_ms = Some(event.timestamp_ms);
        self.timestamp = Some(event.timestamp.clone());
        self.sequence_number = Some(event.sequence_number);
    }
}

/// Reads a table watch state file; a missing file is no state.
pub fn load_state(path: &Path) -> Result<Option<TableWatchState>> {
    match std::fs::read(path) {
        Ok(data) => serde_json::from_slice(&data).map(Some).map_err(|e| {
            Error::Config(format!(
                "{}: not a `watch --table` state file ({e}); give another --state file, or delete it to start over",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path, e)),
    }
}

/// Writes the state file atomically (temp file, fsync, rename, fsync of the directory).
pub fn save_state(path: &Path, state: &TableWatchState) -> Result<()> {
    let data = serde_json::to_vec_pretty(state).map_err(|e| Error::Config(e.to_string()))?;
    write_atomic(path, &data)
}

/// One new snapshot on the watched ref, as printed (one NDJSON line) or handed to `--exec`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SnapshotEvent {
    pub table: String,
    #[serde(rename = "ref")]
    pub ref_name: String,
    pub snapshot_id: i64,
    pub parent_id: Option<i64>,
    pub sequence_number: i64,
    pub timestamp_ms: i64,
    pub timestamp: String,
    /// `append`, `replace`, `overwrite` or `delete`.
    pub operation: String,
    pub added_data_files: u64,
    pub added_records: u64,
    pub deleted_records: u64,
    /// The summary's `prestige.commit-id`.
    pub commit_id: Option<String>,
    /// The summary's `wap.id`.
    pub wap_id: Option<String>,
}

impl SnapshotEvent {
    fn of(table: &str, ref_name: &str, s: &SnapshotRef) -> Self {
        let props = &s.summary().additional_properties;
        let count = |k: &str| props.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        Self {
            table: table.to_string(),
            ref_name: ref_name.to_string(),
            snapshot_id: s.snapshot_id(),
            parent_id: s.parent_snapshot_id(),
            sequence_number: s.sequence_number(),
            timestamp_ms: s.timestamp_ms(),
            timestamp: rfc3339_ms(s.timestamp_ms()),
            operation: s.summary().operation.as_str().to_string(),
            added_data_files: count("added-data-files"),
            added_records: count("added-records"),
            deleted_records: count("deleted-records"),
            commit_id: props.get("prestige.commit-id").cloned(),
            wap_id: props.get("wap.id").cloned(),
        }
    }

    pub fn is_append(&self) -> bool {
        self.operation == Operation::Append.as_str()
    }

    /// A compaction (`replace`): the same rows in other files; nothing to deliver.
    pub fn is_replace(&self) -> bool {
        self.operation == Operation::Replace.as_str()
    }
}

/// Where a watcher with no state starts.
#[derive(Debug, Clone, Copy)]
pub enum Start {
    /// Deliver this snapshot (it must be on the ref's lineage) and everything after it.
    Snapshot(i64),
    /// Deliver the snapshots committed at or after this time (epoch ms).
    Since(i64),
}

/// The ref's head, or `None` when the table has no snapshot yet (main of an empty table).
fn head<'a>(table: &'a LoadedTable, ref_name: &str) -> Result<Option<&'a SnapshotRef>> {
    match table.metadata.snapshot_for_ref(ref_name) {
        Some(s) => Ok(Some(s)),
        None if ref_name == "main" && table.metadata.snapshots().next().is_none() => Ok(None),
        None => super::inspect::snapshot_of_ref(table, ref_name).map(Some),
    }
}

/// The ref's lineage newest first, back to the first snapshot or to one whose parent was expired.
fn lineage<'a>(table: &'a LoadedTable, head: &'a SnapshotRef) -> Vec<&'a SnapshotRef> {
    let mut out = vec![head];
    let mut cur = head;
    while let Some(p) = cur.parent_snapshot_id().and_then(|p| table.metadata.snapshot_by_id(p)) {
        out.push(p);
        cur = p;
    }
    out
}

/// The starting checkpoint for a watcher without state.
pub fn start_state(table: &LoadedTable, ref_name: &str, start: Start) -> Result<TableWatchState> {
    let name = table.name();
    let Some(head) = head(table, ref_name)? else {
        return match start {
            Start::Since(_) => Ok(TableWatchState::after(&name, ref_name, None, None)),
            Start::Snapshot(id) => Err(Error::Missing {
                what: "snapshot",
                name: id.to_string(),
                hint: format!(" in table {name} (it has no snapshots yet)"),
            }),
        };
    };
    let chain = lineage(table, head);
    let oldest = chain.last().expect("the head at least"); // ok: lineage starts at the head, which exists
    match start {
        Start::Snapshot(id) => match chain.iter().find(|s| s.snapshot_id() == id) {
            // Everything before the start snapshot counts as delivered: its parent is the checkpoint.
            Some(s) => Ok(TableWatchState::before(table, ref_name, s)),
            None => {
                super::inspect::snapshot_by_id(table, id)?;
                Err(Error::Config(format!(
                    "--start-snapshot {id} is not on ref {ref_name} of table {name} (its head is {}); see `prestige \
                     snapshot list {name} --ref {ref_name}`",
                    head.snapshot_id()
                )))
            }
        },
        Start::Since(ms) => match chain.iter().find(|s| s.timestamp_ms() < ms) {
            Some(s) => Ok(TableWatchState::after(&name, ref_name, Some(s), None)),
            None => Ok(TableWatchState::before(table, ref_name, oldest)),
        },
    }
}

/// The snapshots of the ref committed after the checkpoint, oldest first — or an error when the ref's lineage
/// no longer proves that nothing between the checkpoint and them is missing.
pub fn new_snapshots(table: &LoadedTable, state: &TableWatchState) -> Result<Vec<SnapshotEvent>> {
    let name = table.name();
    let ref_name = state.ref_name.as_str();
    let Some(head) = head(table, ref_name)? else {
        return match state.snapshot_id {
            None => Ok(Vec::new()),
            Some(c) => Err(Error::Config(format!(
                "table {name} has no snapshots any more, but the watcher already delivered snapshot {c}: the table \
                 was emptied or replaced; delete the state file to start over"
            ))),
        };
    };
    let checkpoint_gone = state.snapshot_id.is_some_and(|c| table.metadata.snapshot_by_id(c).is_none());
    let mut out: Vec<&SnapshotRef> = Vec::new();
    let mut cur = head;
    loop {
        if Some(cur.snapshot_id()) == state.snapshot_id {
            break;
        }
        // An expired checkpoint: a snapshot at or before it on the way down means the ref left its lineage.
        if checkpoint_gone && state.sequence_number.is_some_and(|sc| sc > 0 && cur.sequence_number() <= sc) {
            return Err(lost_place(table, state, head, None));
        }
        out.push(cur);
        match cur.parent_snapshot_id() {
            // The checkpoint is this snapshot's parent (whether or not it still exists): no gap.
            Some(p) if Some(p) == state.snapshot_id => break,
            Some(p) if table.metadata.snapshot_by_id(p).is_some() => {
                cur = table.metadata.snapshot_by_id(p).expect("checked"); // ok: the guard found it
            }
            // Delivering from the start of the lineage, and this is its first snapshot (in v1 tables, taken on
            // trust: they have no sequence numbers).
            None if state.snapshot_id.is_none() && (cur.sequence_number() <= 1 || proven_by_sequence_numbers(table, state, cur)) => {
                break;
            }
            // The lineage ends here: its parent was expired (PyIceberg also clears the parent id then).
            _ if (checkpoint_gone || state.snapshot_id.is_none()) && proven_by_sequence_numbers(table, state, cur) => break,
            _ => return Err(lost_place(table, state, head, Some(cur))),
        }
    }
    out.reverse();
    Ok(out.into_iter().map(|s| SnapshotEvent::of(&name, ref_name, s)).collect())
}

/// Whether `oldest`, the oldest remaining snapshot of the lineage, provably follows the expired checkpoint with
/// nothing in between: every sequence number between the checkpoint's and its own still belongs to a snapshot
/// of the table (necessarily of another branch), so no commit between them can have been expired. Format v2+
/// gives each commit the next sequence number; v1 tables (all zero) cannot be proven this way.
fn proven_by_sequence_numbers(table: &LoadedTable, state: &TableWatchState, oldest: &SnapshotRef) -> bool {
    let sc = state.sequence_number.unwrap_or(0);
    if state.snapshot_id.is_some() && sc == 0 {
        return false;
    }
    let so = oldest.sequence_number();
    if so <= sc {
        return false;
    }
    let present: std::collections::HashSet<i64> = table.metadata.snapshots().map(|s| s.sequence_number()).collect();
    (sc + 1..so).all(|n| present.contains(&n))
}

/// Why the checkpoint cannot be found on the ref's lineage: rolled back, or expired with a possible gap.
/// `oldest` is the oldest remaining ancestor when its parent was expired (`None`: the lineage reached its root).
fn lost_place(table: &LoadedTable, state: &TableWatchState, head: &SnapshotRef, oldest: Option<&SnapshotRef>) -> Error {
    let name = table.name();
    let r = &state.ref_name;
    let c = state.snapshot_id.map_or_else(|| "(the start of the table)".to_string(), |c| c.to_string());
    let when = state.timestamp.as_deref().map(|t| format!(" (committed {t})")).unwrap_or_default();
    let restart = "delete the state file and restart with --start-snapshot ID (or --lookback) to choose where to go on";
    if let Some(id) = state.snapshot_id
        && table.metadata.snapshot_by_id(id).is_some()
    {
        return Error::Config(format!(
            "table {name}: the watcher's checkpoint, snapshot {id}{when}, is no longer an ancestor of ref {r} (now at \
             snapshot {}, from {}): the ref was rolled back or reset to another lineage. Snapshots after the \
             checkpoint may have been delivered that the ref no longer holds; {restart}",
            head.snapshot_id(),
            rfc3339_ms(head.timestamp_ms()),
        ));
    }
    let rolled_back = state.sequence_number.is_some_and(|seq| seq > 0 && head.sequence_number() < seq);
    let why = match oldest {
        Some(o) => format!(
            "the oldest remaining ancestor of ref {r}, snapshot {} (committed {}, sequence number {}), {}; snapshots \
             between the checkpoint and it may have been expired before they were delivered",
            o.snapshot_id(),
            rfc3339_ms(o.timestamp_ms()),
            o.sequence_number(),
            match o.parent_snapshot_id() {
                Some(p) => format!("has parent {p}, which was expired too"),
                None => "has no parent any more (it was expired too)".to_string(),
            }
        ),
        None if rolled_back => format!(
            "ref {r} is at snapshot {}, older than the checkpoint (sequence number {} < {}): the ref was rolled back",
            head.snapshot_id(),
            head.sequence_number(),
            state.sequence_number.unwrap_or_default()
        ),
        None => format!("no snapshot on ref {r} has it as its parent"),
    };
    Error::Missing {
        what: "checkpoint snapshot",
        name: c,
        hint: format!(
            "{when} in table {name} any more (expired?) and the watcher cannot prove that nothing after it was \
             skipped: {why}; {restart}"
        ),
    }
}

/// The rows `event`'s snapshot appended: an incremental scan of exactly that snapshot's added data files
/// (deletes committed later are not applied: these are the rows as appended), with `columns` and `filter`.
pub async fn appended_rows(
    table: &LoadedTable,
    event: &SnapshotEvent,
    columns: Option<Vec<String>>,
    filter: Option<String>,
) -> Result<TableScanStream> {
    let snapshot = SnapshotChoice::AddedBy(event.snapshot_id);
    let opts = TableScanOptions { snapshot, columns, filter, limit: None, batch_size: 8192, concurrency: None };
    let plan = table_scan::plan(table, &opts).await?;
    Ok(plan.execute())
}

/// What `--exec` gets on its stdin.
pub enum HookInput<'a> {
    /// The event as one JSON line.
    Event,
    /// The snapshot's rows, from a finished file.
    Rows(&'a Path),
}

/// Runs `command` through `sh -c` for one snapshot: the event (or the rows file) on its stdin, the event in
/// `PRESTIGE_EVENT` and its ids in `PRESTIGE_TABLE`, `PRESTIGE_REF`, `PRESTIGE_SNAPSHOT_ID`,
/// `PRESTIGE_OPERATION`; its stdout and stderr are ours. An error unless it exits 0.
pub async fn run_hook(command: &str, event: &SnapshotEvent, input: HookInput<'_>) -> Result<()> {
    use tokio::io::AsyncWriteExt;
    let json = serde_json::to_string(event).map_err(|e| Error::Config(e.to_string()))?;
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .env("PRESTIGE_EVENT", &json)
        .env("PRESTIGE_TABLE", &event.table)
        .env("PRESTIGE_REF", &event.ref_name)
        .env("PRESTIGE_SNAPSHOT_ID", event.snapshot_id.to_string())
        .env("PRESTIGE_OPERATION", &event.operation);
    match input {
        HookInput::Event => {
            cmd.stdin(Stdio::piped());
        }
        HookInput::Rows(path) => {
            let f = std::fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
            cmd.stdin(Stdio::from(f));
        }
    }
    let mut child = cmd.spawn().map_err(|e| Error::Config(format!("--exec {command:?}: cannot start: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its stdin is fine.
        let _ = stdin.write_all(format!("{json}\n").as_bytes()).await;
    }
    let status = child.wait().await.map_err(|e| Error::Config(format!("--exec {command:?}: {e}")))?;
    if status.success() {
        return Ok(());
    }
    let status = status.code().map_or_else(|| "killed by a signal".to_string(), |c| format!("exit code {c}"));
    Err(Error::Iceberg {
        table: event.table.clone(),
        message: format!(
            "--exec {command:?} failed for snapshot {} ({status}); the snapshot stays undelivered and is handed over \
             again next time",
            event.snapshot_id
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A v2 table whose main is the chain `snaps` of (id, parent, sequence number, operation).
    fn table(snaps: &[(i64, Option<i64>, i64, &str)]) -> LoadedTable {
        let snapshots: Vec<serde_json::Value> = snaps
            .iter()
            .map(|(id, parent, seq, op)| {
                let mut s = serde_json::json!({
                    "snapshot-id": id, "sequence-number": seq, "timestamp-ms": 1_700_000_000_000i64 + seq * 1000,
                    "manifest-list": format!("/t/metadata/snap-{id}.avro"), "summary": {"operation": op}, "schema-id": 0
                });
                if let Some(p) = parent {
                    s["parent-snapshot-id"] = serde_json::json!(p);
                }
                s
            })
            .collect();
        let head = snaps.last().map(|s| s.0);
        let doc = serde_json::json!({
            "format-version": 2, "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1", "location": "/t",
            "last-sequence-number": snaps.iter().map(|s| s.2).max().unwrap_or(0), "last-updated-ms": 1_700_000_100_000i64,
            "last-column-id": 1, "current-schema-id": 0,
            "schemas": [{"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "required": true, "type": "long"}]}],
            "default-spec-id": 0, "partition-specs": [{"spec-id": 0, "fields": []}], "last-partition-id": 999,
            "default-sort-order-id": 0, "sort-orders": [{"order-id": 0, "fields": []}],
            "properties": {}, "current-snapshot-id": head, "snapshots": snapshots,
            "refs": head.map_or(serde_json::json!({}), |h| serde_json::json!({"main": {"snapshot-id": h, "type": "branch"}})),
            "snapshot-log": [], "metadata-log": []
        });
        let metadata: iceberg::spec::TableMetadata = serde_json::from_value(doc).unwrap();
        LoadedTable {
            ident: iceberg::TableIdent::from_strs(["ns", "t"]).unwrap(),
            metadata_location: None,
            metadata: std::sync::Arc::new(metadata),
            file_io: crate::engine::iceberg::io::file_io(&Default::default()),
            s3: Default::default(),
        }
    }

    fn checkpoint(id: Option<i64>, seq: i64) -> TableWatchState {
        TableWatchState {
            version: 1,
            table: "ns.t".into(),
            ref_name: "main".into(),
            snapshot_id: id,
            timestamp_ms: None,
            timestamp: None,
            sequence_number: Some(seq),
        }
    }

    fn ids(events: &[SnapshotEvent]) -> Vec<i64> {
        events.iter().map(|e| e.snapshot_id).collect()
    }

    #[test]
    fn replace_snapshots_are_new_snapshots_that_deliver_nothing() {
        let t = table(&[(10, None, 1, "append"), (20, Some(10), 2, "replace"), (30, Some(20), 3, "append")]);
        let ev = new_snapshots(&t, &checkpoint(Some(10), 1)).unwrap();
        assert_eq!(ids(&ev), vec![20, 30]);
        assert!(ev[0].is_replace() && !ev[0].is_append() && ev[1].is_append());
        assert_eq!(ids(&new_snapshots(&t, &checkpoint(None, 0)).unwrap()), vec![10, 20, 30]);
        assert!(new_snapshots(&t, &checkpoint(Some(30), 3)).unwrap().is_empty());
    }

    #[test]
    fn an_expired_checkpoint_is_found_by_parent_id_or_sequence_numbers_or_refused() {
        // 10 (the checkpoint) expired, 20 still names it: resume with 20.
        let t = table(&[(20, Some(10), 2, "append"), (30, Some(20), 3, "append")]);
        assert_eq!(ids(&new_snapshots(&t, &checkpoint(Some(10), 1)).unwrap()), vec![20, 30]);
        // PyIceberg cleared 20's parent: sequence numbers 1 → 2 leave no room for a lost commit.
        let t = table(&[(20, None, 2, "append"), (30, Some(20), 3, "append")]);
        assert_eq!(ids(&new_snapshots(&t, &checkpoint(Some(10), 1)).unwrap()), vec![20, 30]);
        // Sequence number 2 was another branch's snapshot, still there: still proven.
        let t = table(&[(15, None, 2, "append"), (20, None, 3, "append"), (30, Some(20), 4, "append")]);
        assert_eq!(ids(&new_snapshots(&t, &checkpoint(Some(10), 1)).unwrap()), vec![20, 30]);
        // Sequence number 2 is gone: it may have been an undelivered snapshot of main.
        let t = table(&[(20, None, 3, "append"), (30, Some(20), 4, "append")]);
        let err = new_snapshots(&t, &checkpoint(Some(10), 1)).unwrap_err();
        assert!(matches!(err, Error::Missing { .. }) && err.to_string().contains("10"), "{err}");
        // A start from the beginning whose first snapshot was expired.
        let err = new_snapshots(&t, &checkpoint(None, 0)).unwrap_err();
        assert!(matches!(err, Error::Missing { .. }), "{err}");
    }

    #[test]
    fn a_ref_rolled_back_past_the_checkpoint_is_refused() {
        // main went back from 30 to 20; 30 still exists.
        let mut t = table(&[(10, None, 1, "append"), (20, Some(10), 2, "append"), (30, Some(20), 3, "append")]);
        let mut m = (*t.metadata).clone().into_builder(None);
        m = m.set_ref("main", iceberg::spec::SnapshotReference::new(20, iceberg::spec::SnapshotRetention::branch(None, None, None))).unwrap();
        t.metadata = std::sync::Arc::new(m.build().unwrap().metadata);
        let err = new_snapshots(&t, &checkpoint(Some(30), 3)).unwrap_err();
        assert!(matches!(err, Error::Config(_)) && err.to_string().contains("rolled back"), "{err}");
    }
}
