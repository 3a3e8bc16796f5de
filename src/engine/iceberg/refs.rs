//! Moving and naming snapshots: roll main back to an ancestor, point it at any snapshot, create and drop
//! branches and tags. Each change is one metadata-only commit through [`commit::commit_change`]: it requires the
//! ref's snapshot as read, so a concurrent commit is a conflict that is re-validated against the reloaded table,
//! never silently overwritten.

use iceberg::spec::{SnapshotReference, SnapshotRetention, TableMetadata};
use iceberg::{TableRequirement, TableUpdate};
use serde::Serialize;

use super::catalog::{Catalog, LoadedTable};
use super::commit::{self, MAIN, refs_of};
use super::inspect::{rfc3339_ms, snapshot_by_id, snapshot_of_ref};
use crate::engine::error::{Error, Result};

/// What one ref change did (or, with `plan`, would do).
#[derive(Debug, Clone, Serialize)]
pub struct RefChangeReport {
    pub table: String,
    /// `rollback`, `set-current`, `create-branch`, `drop-branch`, `create-tag`, `drop-tag`.
    pub action: String,
    /// The ref changed (`main` for rollback and set-current).
    #[serde(rename = "ref")]
    pub ref_name: String,
    /// The ref's snapshot before (None: the ref did not exist).
    pub previous_snapshot_id: Option<i64>,
    /// The ref's snapshot after (None: the ref was dropped).
    pub current_snapshot_id: Option<i64>,
    /// False when the table already was in the requested state (nothing committed).
    pub changed: bool,
    pub plan: bool,
    /// Commit attempts (0 with `plan` or when nothing changed).
    pub attempts: u32,
    pub metadata_location: Option<String>,
}

/// Where `rollback` and `set-current` move main.
#[derive(Debug, Clone)]
pub enum Target {
    /// A snapshot id.
    Snapshot(i64),
    /// The latest ancestor of main's head made at or before this time (epoch ms).
    Timestamp(i64),
    /// The snapshot a branch or tag points at.
    Ref(String),
}

/// Retention settings of a new branch or tag (None: the table's `history.expire.*` defaults apply).
#[derive(Debug, Clone, Default)]
pub struct Retention {
    pub max_ref_age_ms: Option<i64>,
    pub max_snapshot_age_ms: Option<i64>,
    pub min_snapshots_to_keep: Option<i32>,
}

/// A ref change to make.
#[derive(Debug, Clone)]
pub enum RefChange {
    /// Main back to one of its ancestors.
    Rollback(Target),
    /// Main to any snapshot of the table.
    SetCurrent(Target),
    CreateBranch { name: String, snapshot_id: Option<i64>, retention: Retention },
    CreateTag { name: String, snapshot_id: Option<i64>, max_ref_age_ms: Option<i64> },
    DropBranch(String),
    DropTag(String),
}

impl RefChange {
    fn action(&self) -> &'static str {
        match self {
            RefChange::Rollback(_) => "rollback",
            RefChange::SetCurrent(_) => "set-current",
            RefChange::CreateBranch { .. } => "create-branch",
            RefChange::CreateTag { .. } => "create-tag",
            RefChange::DropBranch(_) => "drop-branch",
            RefChange::DropTag(_) => "drop-tag",
        }
    }

    fn ref_name(&self) -> &str {
        match self {
            RefChange::Rollback(_) | RefChange::SetCurrent(_) => MAIN,
            RefChange::CreateBranch { name, .. } | RefChange::CreateTag { name, .. } => name,
            RefChange::DropBranch(n) | RefChange::DropTag(n) => n,
        }
    }
}

/// Snapshot ids from `id` back through its parents (`id` first), as far as the metadata still has them.
pub fn ancestors(metadata: &TableMetadata, id: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut cur = metadata.snapshot_by_id(id);
    while let Some(s) = cur {
        out.push(s.snapshot_id());
        cur = s.parent_snapshot_id().and_then(|p| metadata.snapshot_by_id(p));
    }
    out
}

fn main_head(table: &LoadedTable) -> Result<i64> {
    table.metadata.snapshot_for_ref(MAIN).map(|s| s.snapshot_id()).ok_or_else(|| Error::Missing {
        what: "snapshot",
        name: "on main".into(),
        hint: format!(": table {} has no snapshots yet", table.name()),
    })
}

/// The snapshot id a rollback or set-current moves main to, validated against `table` as it is now.
fn resolve(table: &LoadedTable, target: &Target, rollback: bool) -> Result<i64> {
    let head = main_head(table)?;
    let line = ancestors(&table.metadata, head);
    let id = match target {
        Target::Snapshot(id) => snapshot_by_id(table, *id)?.snapshot_id(),
        Target::Ref(name) => snapshot_of_ref(table, name)?.snapshot_id(),
        Target::Timestamp(ms) => {
            let found = line.iter().filter_map(|id| table.metadata.snapshot_by_id(*id)).find(|s| s.timestamp_ms() <= *ms);
            match found {
                Some(s) => s.snapshot_id(),
                None => {
                    return Err(Error::Config(format!(
                        "table {}: main has no snapshot made at or before {} ({} ms); its oldest ancestor still in the \
                         metadata is from {}",
                        table.name(),
                        rfc3339_ms(*ms),
                        ms,
                        line.last()
                            .and_then(|id| table.metadata.snapshot_by_id(*id))
                            .map_or_else(|| "-".into(), |s| rfc3339_ms(s.timestamp_ms()))
                    )));
                }
            }
        }
    };
    if rollback && !line.contains(&id) {
        return Err(Error::Config(format!(
            "table {}: cannot roll back main to snapshot {id}: it is not an ancestor of main's current snapshot {head} \
             (use `prestige snapshot set-current {} --snapshot-id {id}` to point main at any snapshot)",
            table.name(),
            table.name()
        )));
    }
    Ok(id)
}

fn retention_of(change: &RefChange) -> Option<SnapshotRetention> {
    match change {
        RefChange::CreateBranch { retention: r, .. } => Some(SnapshotRetention::Branch {
            min_snapshots_to_keep: r.min_snapshots_to_keep,
            max_snapshot_age_ms: r.max_snapshot_age_ms,
            max_ref_age_ms: r.max_ref_age_ms,
        }),
        RefChange::CreateTag { max_ref_age_ms, .. } => Some(SnapshotRetention::Tag { max_ref_age_ms: *max_ref_age_ms }),
        _ => None,
    }
}

/// Makes (or with `plan`, checks and describes) one ref change.
///
/// Rollback and set-current are planned against main's head as first read; if another commit moves main before
/// this one lands, the change is refused as a conflict (exit 7) naming both snapshots rather than discarding a
/// commit the operator did not see. Creating a ref that exists identically, or dropping one already gone after a
/// commit whose answer was lost, is not an error: the change is found done.
pub async fn change(catalog: &dyn Catalog, table: LoadedTable, change: &RefChange, plan: bool) -> Result<RefChangeReport> {
    let name = change.ref_name().to_string();
    let refs = refs_of(&table.metadata);
    let existing = refs.get(&name).cloned();
    // Validate against the table as read, and fix what the change is about.
    let (previous, target): (Option<i64>, Option<i64>) = match change {
        RefChange::Rollback(t) => (Some(main_head(&table)?), Some(resolve(&table, t, true)?)),
        RefChange::SetCurrent(t) => (Some(main_head(&table)?), Some(resolve(&table, t, false)?)),
        RefChange::CreateBranch { snapshot_id, .. } | RefChange::CreateTag { snapshot_id, .. } => {
            let id = match snapshot_id {
                Some(id) => snapshot_by_id(&table, *id)?.snapshot_id(),
                None => main_head(&table)?,
            };
            let wanted = SnapshotReference::new(id, retention_of(change).expect("create has retention")); // ok: both create arms have one
            if let Some(e) = &existing
                && *e != wanted
            {
                let kind = if e.is_branch() { "branch" } else { "tag" };
                return Err(Error::Config(format!(
                    "table {}: {kind} {name} already exists (at snapshot {}; the snapshot or settings differ); drop it first to \
                     re-create it",
                    table.name(),
                    e.snapshot_id
                )));
            }
            (existing.as_ref().map(|e| e.snapshot_id), Some(id))
        }
        RefChange::DropBranch(_) | RefChange::DropTag(_) => {
            if name == MAIN {
                return Err(Error::Config(format!("table {}: the main branch cannot be dropped", table.name())));
            }
            let want_branch = matches!(change, RefChange::DropBranch(_));
            match &existing {
                None => {
                    snapshot_of_ref(&table, &name)?; // Missing, naming the refs that exist
                    unreachable!("snapshot_of_ref fails for a missing ref")
                }
                Some(e) if e.is_branch() != want_branch => {
                    let (is, use_) = if e.is_branch() { ("a branch", "branch drop") } else { ("a tag", "tag drop") };
                    return Err(Error::Config(format!(
                        "table {}: {name} is {is}; use `prestige snapshot {use_}`",
                        table.name()
                    )));
                }
                Some(e) => (Some(e.snapshot_id), None),
            }
        }
    };
    let mut report = RefChangeReport {
        table: table.name(),
        action: change.action().to_string(),
        ref_name: name.clone(),
        previous_snapshot_id: previous,
        current_snapshot_id: target,
        changed: previous != target,
        plan,
        attempts: 0,
        metadata_location: table.metadata_location.clone(),
    };
    if plan || previous == target {
        return Ok(report);
    }

    let table_name = table.name();
    let build = |t: &LoadedTable| -> Result<(Vec<TableRequirement>, Vec<TableUpdate>)> {
        let refs = refs_of(&t.metadata);
        let now = refs.get(&name).map(|r| r.snapshot_id);
        if now == target {
            return Ok((vec![], vec![])); // done (by us, or by someone else)
        }
        if now != previous {
            let show = |v: Option<i64>| v.map_or_else(|| "nothing (no such ref)".to_string(), |v| format!("snapshot {v}"));
            return Err(Error::CommitConflict {
                table: table_name.clone(),
                message: format!(
                    "{name} moved from {} to {} while this {} was being committed; nothing was changed — check the \
                     new state (`prestige snapshot list {table_name}`) and run it again",
                    show(previous),
                    show(now),
                    change.action()
                ),
            });
        }
        let requirement = TableRequirement::RefSnapshotIdMatch { r#ref: name.clone(), snapshot_id: previous };
        let update = match (target, retention_of(change)) {
            (None, _) => TableUpdate::RemoveSnapshotRef { ref_name: name.clone() },
            (Some(id), Some(retention)) => {
                TableUpdate::SetSnapshotRef { ref_name: name.clone(), reference: SnapshotReference::new(id, retention) }
            }
            (Some(id), None) => {
                if t.metadata.snapshot_by_id(id).is_none() {
                    return Err(Error::CommitConflict {
                        table: table_name.clone(),
                        message: format!("snapshot {id} was expired while this {} was being committed", change.action()),
                    });
                }
                // Main keeps its retention settings.
                let retention = refs.get(MAIN).map(|r| r.retention.clone()).unwrap_or(SnapshotRetention::Branch {
                    min_snapshots_to_keep: None,
                    max_snapshot_age_ms: None,
                    max_ref_age_ms: None,
                });
                TableUpdate::SetSnapshotRef { ref_name: name.clone(), reference: SnapshotReference::new(id, retention) }
            }
        };
        Ok((vec![requirement], vec![update]))
    };
    let done = commit::commit_change(catalog, table, build).await?;
    report.changed = done.changed;
    report.attempts = done.attempts;
    report.metadata_location = done.table.metadata_location.clone();
    Ok(report)
}
