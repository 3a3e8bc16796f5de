//! Write-audit-publish: fast-forward and cherry-pick of audited snapshots onto main.
//!
//! Java Iceberg's semantics (`CherryPickOperation`, `WapUtil`, `SnapshotManager.fastForwardBranch`): a snapshot
//! whose parent is the target's head is published by moving the target to it (fast-forward, no new snapshot);
//! otherwise an `append` snapshot is replayed as a new snapshot on the target carrying `source-snapshot-id`
//! (and `published-wap-id` for a staged WAP write). Publishing is idempotent: a snapshot already on the target's
//! lineage, or already picked there, is not published again.

use std::collections::{BTreeMap, HashSet};

use iceberg::spec::{
    ManifestContentType, ManifestStatus, Operation, Snapshot, SnapshotReference, SnapshotRetention, TableMetadata,
};
use iceberg::{TableRequirement, TableUpdate};
use serde::Serialize;

use super::catalog::{Catalog, LoadedTable};
use super::commit::{self, AppendRequest, MAIN, refs_of};
use super::inspect::snapshot_by_id;
use crate::engine::error::{Error, Result};

/// The summary key a staged WAP write carries (Spark's `spark.wap.id`, `ingest --wap-id`).
pub const WAP_ID: &str = "wap.id";
/// The summary key of a cherry-picked snapshot naming the snapshot it was picked from.
pub const SOURCE_SNAPSHOT_ID: &str = "source-snapshot-id";
/// The summary key of a cherry-picked snapshot naming the WAP id it published.
pub const PUBLISHED_WAP_ID: &str = "published-wap-id";
/// The summary key of a snapshot replayed by a branch publish (`publish --branch B --cherry-pick`), naming B. A
/// branch publish replays oldest first, so such a replay of snapshot X on main's lineage proves that X and every
/// ancestor of X on the branch are on main: later publishes start after X even when expiry has removed the
/// snapshot the branch was cut from.
pub const PUBLISHED_BRANCH: &str = "prestige.published-branch";

/// One snapshot published: the source, and the snapshot that made it visible on the target (the source itself
/// after a fast-forward; `None` in a plan, where the new snapshot does not exist yet).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Published {
    pub source_snapshot_id: i64,
    pub snapshot_id: Option<i64>,
}

/// What [`cherry_pick`] did (or, with `plan`, would do).
#[derive(Debug, Clone, Serialize)]
pub struct CherryPickReport {
    pub table: String,
    /// The branch the snapshot was published to.
    pub branch_updated: String,
    /// The picked snapshot.
    pub source_snapshot_id: i64,
    /// Its `wap.id`, if it has one.
    pub wap_id: Option<String>,
    /// The target's head before.
    pub previous_ref: Option<i64>,
    /// The target's head after (in a plan: after a fast-forward; `None` when a new snapshot would be made).
    pub updated_ref: Option<i64>,
    /// The snapshot now carrying the picked data on the target: the new one, or the picked one itself after a
    /// fast-forward, or the one that published it earlier when nothing changed.
    pub snapshot_id: Option<i64>,
    /// The target was moved to the picked snapshot (its parent was the target's head): no new snapshot.
    pub fast_forward: bool,
    /// The table changed (in a plan: would change).
    pub changed: bool,
    pub plan: bool,
    /// Data files re-added (0 for a fast-forward).
    pub added_data_files: usize,
    pub added_records: u64,
    /// What happened, in words (why nothing changed, when it did not).
    pub message: String,
    /// The table after the change (or as found).
    #[serde(skip)]
    pub table_after: Option<LoadedTable>,
}

/// Snapshot ids from `head` back to the first snapshot, newest first (stops at a missing, expired parent).
pub fn lineage(m: &TableMetadata, head: Option<i64>) -> Vec<i64> {
    let mut out = Vec::new();
    let mut cur = head.and_then(|id| m.snapshot_by_id(id));
    while let Some(s) = cur {
        out.push(s.snapshot_id());
        cur = s.parent_snapshot_id().and_then(|p| m.snapshot_by_id(p));
    }
    out
}

/// The head of branch `name`, refusing a tag; `Ok(None)` when the branch does not exist.
fn branch_head(table: &LoadedTable, name: &str) -> Result<Option<i64>> {
    match refs_of(&table.metadata).get(name) {
        Some(r) if !r.is_branch() => Err(Error::Config(format!(
            "{name} is a tag of table {}, not a branch: snapshots are published onto branches",
            table.name()
        ))),
        Some(r) => Ok(Some(r.snapshot_id)),
        None => Ok(None),
    }
}

fn summary_value<'a>(s: &'a Snapshot, key: &str) -> Option<&'a str> {
    s.summary().additional_properties.get(key).map(String::as_str)
}

/// Why `picked` needs no publishing onto the lineage `ids` of a target: it is on it, or was picked onto it, or
/// (with `wap`) its WAP id was published there. Returns the snapshot that carries it and a message.
fn already_published(m: &TableMetadata, ids: &[i64], picked: &Snapshot, target: &str, wap: bool) -> Option<(i64, String)> {
    let id = picked.snapshot_id();
    if ids.contains(&id) {
        return Some((id, format!("snapshot {id} is already on {target}")));
    }
    let id_text = id.to_string();
    let wap_id = summary_value(picked, WAP_ID);
    for a in ids.iter().filter_map(|a| m.snapshot_by_id(*a)) {
        if summary_value(a, SOURCE_SNAPSHOT_ID) == Some(id_text.as_str()) {
            return Some((a.snapshot_id(), format!("snapshot {id} was already published to {target} as snapshot {}", a.snapshot_id())));
        }
        if wap && let Some(w) = wap_id && summary_value(a, PUBLISHED_WAP_ID) == Some(w) {
            return Some((
                a.snapshot_id(),
                format!("wap id {w} (snapshot {id}) was already published to {target} by snapshot {}", a.snapshot_id()),
            ));
        }
    }
    None
}

/// The data files `snapshot` added, with the partition spec they were written with: entries of its own
/// manifests that it added (status added, or existing after a manifest merge, with its snapshot id). Checked
/// against the summary's `added-data-files`.
pub async fn added_data_files(table: &LoadedTable, snapshot: &Snapshot) -> Result<(Vec<iceberg::spec::DataFile>, Option<i32>)> {
    let id = snapshot.snapshot_id();
    let mut files = Vec::new();
    let mut specs = HashSet::new();
    for mf in commit::manifests_of(table, snapshot).await? {
        if mf.added_snapshot_id != id || mf.content != ManifestContentType::Data {
            continue;
        }
        let manifest = mf.load_manifest(&table.file_io).await.map_err(|e| Error::Iceberg {
            table: table.name(),
            message: format!("cannot read manifest {} of snapshot {id}: {e}", mf.manifest_path),
        })?;
        for e in manifest.entries() {
            if e.status() != ManifestStatus::Deleted && e.snapshot_id() == Some(id) {
                files.push(e.data_file().clone());
                specs.insert(mf.partition_spec_id);
            }
        }
    }
    if let Some(n) = summary_value(snapshot, "added-data-files").and_then(|v| v.parse::<usize>().ok())
        && n != files.len()
    {
        return Err(Error::Iceberg {
            table: table.name(),
            message: format!(
                "snapshot {id} says it added {n} data files but its manifests list {} as added by it; not publishing it",
                files.len()
            ),
        });
    }
    if specs.len() > 1 {
        return Err(Error::Iceberg {
            table: table.name(),
            message: format!("snapshot {id} added files of {} partition specs; cherry-picking it is not supported", specs.len()),
        });
    }
    Ok((files, specs.into_iter().next()))
}

/// The `SetSnapshotRef` update moving branch `name` to `snapshot_id`, keeping its retention settings.
fn move_branch(m: &TableMetadata, name: &str, snapshot_id: i64) -> TableUpdate {
    let retention = refs_of(m).get(name).map(|r| r.retention.clone()).unwrap_or(SnapshotRetention::Branch {
        min_snapshots_to_keep: None,
        max_snapshot_age_ms: None,
        max_ref_age_ms: None,
    });
    TableUpdate::SetSnapshotRef { ref_name: name.to_string(), reference: SnapshotReference::new(snapshot_id, retention) }
}

/// Publishes snapshot `snapshot_id` (from any branch) onto branch `onto`: a fast-forward when its parent is the
/// branch's head, else its added data files re-added as a new `append` snapshot (a new sequence number) with
/// `source-snapshot-id` and `published-wap-id`. Only `append` snapshots can be replayed; any snapshot can be
/// fast-forwarded to. Nothing changes when the branch's lineage already has the snapshot, a snapshot picked from
/// it, or one that published its `wap.id` (Java refuses such a duplicate WAP publish; here it is a no-op that
/// says so). `onto` must be an existing branch, except `main` of a table with no snapshots. With `plan`, nothing
/// is written.
pub async fn cherry_pick(
    catalog: &dyn Catalog,
    table: LoadedTable,
    snapshot_id: i64,
    onto_branch: &str,
    plan: bool,
) -> Result<CherryPickReport> {
    pick(catalog, table, snapshot_id, onto_branch, plan, true, None).await
}

/// [`cherry_pick`]; `wap_dedup` false skips the duplicate-`wap.id` check (replaying a branch whose snapshots
/// share one WAP id); `from_branch` marks a replay made by a branch publish ([`PUBLISHED_BRANCH`]).
async fn pick(
    catalog: &dyn Catalog,
    table: LoadedTable,
    snapshot_id: i64,
    onto: &str,
    plan: bool,
    wap_dedup: bool,
    from_branch: Option<&str>,
) -> Result<CherryPickReport> {
    let picked = (**snapshot_by_id(&table, snapshot_id)?).clone();
    let head = branch_head(&table, onto)?;
    if head.is_none() && (onto != MAIN || table.metadata.current_snapshot().is_some()) {
        return Err(Error::Missing {
            what: "branch",
            name: onto.to_string(),
            hint: format!(" in table {} (create it first: snapshots are cherry-picked onto an existing branch)", table.name()),
        });
    }
    let wap_id = summary_value(&picked, WAP_ID).map(str::to_string);
    let mut report = CherryPickReport {
        table: table.name(),
        branch_updated: onto.to_string(),
        source_snapshot_id: snapshot_id,
        wap_id: wap_id.clone(),
        previous_ref: head,
        updated_ref: head,
        snapshot_id: None,
        fast_forward: false,
        changed: false,
        plan,
        added_data_files: 0,
        added_records: 0,
        message: String::new(),
        table_after: None,
    };
    let ids = lineage(&table.metadata, head);
    if let Some((carrier, message)) = already_published(&table.metadata, &ids, &picked, onto, wap_dedup) {
        report.snapshot_id = Some(carrier);
        report.message = format!("{message}; nothing to do");
        report.table_after = Some(table);
        return Ok(report);
    }

    // Fast path: the picked snapshot's parent is the branch's head.
    let mut table = table;
    if picked.parent_snapshot_id() == head {
        if plan {
            report.updated_ref = Some(snapshot_id);
            report.snapshot_id = Some(snapshot_id);
            report.fast_forward = true;
            report.changed = true;
            report.message = format!("would fast-forward {onto} to snapshot {snapshot_id}");
            report.table_after = Some(table);
            return Ok(report);
        }
        let mut moved = false;
        let done = commit::commit_change(catalog, table, |t| {
            let now = branch_head(t, onto)?;
            moved = false;
            if lineage(&t.metadata, now).contains(&snapshot_id) {
                return Ok((vec![], vec![]));
            }
            if picked.parent_snapshot_id() != now {
                // The branch moved meanwhile: replay instead (below).
                moved = true;
                return Ok((vec![], vec![]));
            }
            let req = vec![TableRequirement::RefSnapshotIdMatch { r#ref: onto.to_string(), snapshot_id: now }];
            Ok((req, vec![move_branch(&t.metadata, onto, snapshot_id)]))
        })
        .await?;
        if !moved {
            report.updated_ref = branch_head(&done.table, onto)?;
            report.snapshot_id = Some(snapshot_id);
            report.fast_forward = true;
            report.changed = done.changed;
            report.message = if done.changed {
                format!("fast-forwarded {onto} to snapshot {snapshot_id}")
            } else {
                format!("snapshot {snapshot_id} is already on {onto}; nothing to do")
            };
            report.table_after = Some(done.table);
            return Ok(report);
        }
        table = done.table;
        let now = branch_head(&table, onto)?;
        report.previous_ref = now;
        report.updated_ref = now;
        let ids = lineage(&table.metadata, now);
        if let Some((carrier, message)) = already_published(&table.metadata, &ids, &picked, onto, wap_dedup) {
            report.snapshot_id = Some(carrier);
            report.message = format!("{message}; nothing to do");
            report.table_after = Some(table);
            return Ok(report);
        }
    }

    // Replay: only appends (Java also replays dynamic overwrites; prestige does not write them).
    if picked.summary().operation != Operation::Append {
        return Err(Error::Config(format!(
            "cannot cherry-pick snapshot {snapshot_id} of table {} onto {onto}: its operation is {} and its parent \
             is not {onto}'s head; only append snapshots can be replayed (or fast-forwarded to from their parent)",
            table.name(),
            picked.summary().operation.as_str()
        )));
    }
    let (files, spec_id) = added_data_files(&table, &picked).await?;
    report.added_data_files = files.len();
    report.added_records = files.iter().map(|f| f.record_count()).sum();
    if plan {
        report.changed = true;
        report.updated_ref = None;
        report.message = format!(
            "would add snapshot {snapshot_id}'s {} data file(s) ({} rows) to {onto} as a new snapshot",
            report.added_data_files, report.added_records
        );
        report.table_after = Some(table);
        return Ok(report);
    }
    let mut summary = BTreeMap::new();
    summary.insert(SOURCE_SNAPSHOT_ID.to_string(), snapshot_id.to_string());
    if let Some(w) = &wap_id {
        summary.insert(PUBLISHED_WAP_ID.to_string(), w.clone());
    }
    if let Some(b) = from_branch {
        summary.insert(PUBLISHED_BRANCH.to_string(), b.to_string());
    }
    let req = AppendRequest {
        branch: onto.to_string(),
        // Deterministic: a concurrent publisher of the same snapshot commits the same id, so whichever retries
        // second finds the other's commit as its own instead of adding the files twice.
        commit_id: format!("cherry-pick:{onto}:{snapshot_id}"),
        files,
        spec_id: spec_id.unwrap_or_else(|| table.metadata.default_partition_spec_id()),
        schema_id: picked.schema_id().unwrap_or_else(|| table.metadata.current_schema_id()),
        summary,
    };
    let r = commit::append(catalog, table, &req).await?;
    report.updated_ref = Some(r.snapshot_id);
    report.snapshot_id = Some(r.snapshot_id);
    report.changed = true;
    report.message = format!("published snapshot {snapshot_id} to {onto} as snapshot {}", r.snapshot_id);
    report.table_after = Some(r.table);
    Ok(report)
}

/// What `prestige publish` publishes: a branch's snapshots since it was cut from main, or the one snapshot
/// carrying a WAP id.
#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    /// The audit branch.
    pub branch: Option<String>,
    /// Publish only the snapshot carrying this `wap.id` (searched on `branch`, else among all snapshots).
    pub wap_id: Option<String>,
    /// When main moved since the branch was cut, replay the branch's snapshots onto main instead of refusing.
    pub cherry_pick: bool,
    pub plan: bool,
}

/// What [`publish`] did (or, with `plan`, would do).
#[derive(Debug, Clone, Serialize)]
pub struct PublishReport {
    pub table: String,
    /// The branch published to: `main`.
    pub branch_updated: String,
    /// The branch published from.
    pub branch: Option<String>,
    pub wap_id: Option<String>,
    /// main's head before.
    pub previous_ref: Option<i64>,
    /// main's head after (in a plan: after a fast-forward; `None` when new snapshots would be made).
    pub updated_ref: Option<i64>,
    /// The last snapshot the branch and main have in common (branch publishes).
    pub fork_point: Option<i64>,
    /// The newest snapshot of the branch that an earlier branch publish replayed onto main, when newer than the
    /// fork point (or when expiry removed the fork point): publishing starts after it.
    pub published_through: Option<i64>,
    /// Oldest first: each source snapshot and the snapshot that made it visible on main.
    pub snapshots_published: Vec<Published>,
    /// main was moved to the branch's head: no new snapshots.
    pub fast_forward: bool,
    /// The table changed (in a plan: would change). False when everything was published already.
    pub changed: bool,
    pub plan: bool,
    pub message: String,
}

impl PublishReport {
    fn new(table: &LoadedTable, opts: &PublishOptions, head: Option<i64>) -> Self {
        PublishReport {
            table: table.name(),
            branch_updated: MAIN.to_string(),
            branch: opts.branch.clone(),
            wap_id: opts.wap_id.clone(),
            previous_ref: head,
            updated_ref: head,
            fork_point: None,
            published_through: None,
            snapshots_published: Vec::new(),
            fast_forward: false,
            changed: false,
            plan: opts.plan,
            message: String::new(),
        }
    }
}

/// Publishes audited data onto main: with a WAP id, the one snapshot carrying it (see [`cherry_pick`]); with a
/// branch, a fast-forward of main to the branch's head when main's head is its ancestor, else — with
/// `cherry_pick` — a replay of the branch's snapshots since the fork point, oldest first, each at most once
/// ([`Error::Diverged`] without it). Publishing what is already on main changes nothing and says so.
pub async fn publish(catalog: &dyn Catalog, table: LoadedTable, opts: &PublishOptions) -> Result<PublishReport> {
    if opts.branch.as_deref() == Some(MAIN) {
        return Err(Error::Config("--branch main: publishing copies another branch onto main".into()));
    }
    match &opts.wap_id {
        Some(w) => publish_wap(catalog, table, opts, w).await,
        None => match &opts.branch {
            Some(b) => publish_branch(catalog, table, opts, b).await,
            None => Err(Error::Config("publish needs --branch or --wap-id".into())),
        },
    }
}

async fn publish_wap(catalog: &dyn Catalog, table: LoadedTable, opts: &PublishOptions, wap_id: &str) -> Result<PublishReport> {
    let m = table.metadata.clone();
    let head = branch_head(&table, MAIN)?;
    let mut report = PublishReport::new(&table, opts, head);
    for a in lineage(&m, head).iter().filter_map(|a| m.snapshot_by_id(*a)) {
        if summary_value(a, WAP_ID) == Some(wap_id) || summary_value(a, PUBLISHED_WAP_ID) == Some(wap_id) {
            report.message = format!("wap id {wap_id} is already published on main (snapshot {}); nothing to do", a.snapshot_id());
            return Ok(report);
        }
    }
    let candidates: Vec<i64> = match &opts.branch {
        Some(b) => {
            let h = branch_head(&table, b)?.ok_or_else(|| missing_branch(&table, b))?;
            lineage(&m, Some(h))
        }
        None => {
            let mut all: Vec<&iceberg::spec::SnapshotRef> = m.snapshots().collect();
            all.sort_by_key(|s| (s.timestamp_ms(), s.sequence_number()));
            all.iter().map(|s| s.snapshot_id()).collect()
        }
    };
    let carrying: Vec<i64> = candidates
        .into_iter()
        .filter(|id| m.snapshot_by_id(*id).is_some_and(|s| summary_value(s, WAP_ID) == Some(wap_id)))
        .collect();
    let where_ = opts.branch.as_ref().map(|b| format!(" on branch {b}")).unwrap_or_default();
    let id = match carrying.as_slice() {
        [] => {
            return Err(Error::Missing {
                what: "snapshot with wap.id",
                name: wap_id.to_string(),
                hint: format!(" in table {}{where_}", table.name()),
            });
        }
        [one] => *one,
        many => {
            return Err(Error::Config(format!(
                "{} snapshots of table {}{where_} carry wap.id {wap_id} ({}); --wap-id publishes exactly one: publish \
                 the branch instead (--branch without --wap-id)",
                many.len(),
                table.name(),
                many.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
            )));
        }
    };
    let r = pick(catalog, table, id, MAIN, opts.plan, true, None).await?;
    report.updated_ref = r.updated_ref;
    report.fast_forward = r.fast_forward;
    report.changed = r.changed;
    report.message = r.message;
    if r.changed {
        report.snapshots_published.push(Published { source_snapshot_id: id, snapshot_id: r.snapshot_id });
    }
    Ok(report)
}

fn missing_branch(table: &LoadedTable, name: &str) -> Error {
    let mut names: Vec<String> = refs_of(&table.metadata).into_keys().collect();
    names.sort();
    Error::Missing { what: "branch", name: name.to_string(), hint: format!(" in table {} (refs: {})", table.name(), names.join(", ")) }
}

/// Where branch `b` stands against main: the fork point (or the newest snapshot an earlier branch publish
/// replayed onto main), and `b`'s snapshots since it, oldest first.
struct Divergence {
    main_head: Option<i64>,
    branch_head: i64,
    fork_point: Option<i64>,
    /// The newest snapshot of `b` that a branch publish replayed onto main's lineage ([`PUBLISHED_BRANCH`]),
    /// when it is newer than the fork point: it and everything before it on `b` are on main.
    published_through: Option<i64>,
    since_fork: Vec<i64>,
    /// Neither was found, and `b`'s lineage is whole: its oldest snapshot has no parent (it began on an empty
    /// table), so `since_fork` is everything it holds. False when expiry cut it.
    rooted: bool,
}

fn divergence(table: &LoadedTable, b: &str) -> Result<Divergence> {
    let m = &table.metadata;
    let branch_head = branch_head(table, b)?.ok_or_else(|| missing_branch(table, b))?;
    let main_head = self::branch_head(table, MAIN)?;
    let main_lineage = lineage(m, main_head);
    let on_main: HashSet<i64> = main_lineage.iter().copied().collect();
    let replayed_by_publish: HashSet<&str> = main_lineage
        .iter()
        .filter_map(|a| m.snapshot_by_id(*a))
        .filter(|a| summary_value(a, PUBLISHED_BRANCH).is_some())
        .filter_map(|a| a.summary().additional_properties.get(SOURCE_SNAPSHOT_ID).map(String::as_str))
        .collect();
    let mut since_fork = Vec::new();
    let mut fork_point = None;
    let mut published_through = None;
    for id in lineage(m, Some(branch_head)) {
        if on_main.contains(&id) {
            fork_point = Some(id);
            break;
        }
        if replayed_by_publish.contains(id.to_string().as_str()) {
            published_through = Some(id);
            break;
        }
        since_fork.push(id);
    }
    // Expiry may have removed the snapshot the walk would have stopped at; its id survives as the oldest
    // remaining snapshot's parent.
    if fork_point.is_none()
        && published_through.is_none()
        && let Some(p) = since_fork.last().and_then(|o| m.snapshot_by_id(*o)).and_then(|o| o.parent_snapshot_id())
        && replayed_by_publish.contains(p.to_string().as_str())
    {
        published_through = Some(p);
    }
    let rooted = fork_point.is_none()
        && published_through.is_none()
        && since_fork.last().and_then(|o| m.snapshot_by_id(*o)).is_some_and(|o| o.parent_snapshot_id().is_none());
    since_fork.reverse();
    Ok(Divergence { main_head, branch_head, fork_point, published_through, since_fork, rooted })
}

async fn publish_branch(catalog: &dyn Catalog, table: LoadedTable, opts: &PublishOptions, b: &str) -> Result<PublishReport> {
    let d = divergence(&table, b)?;
    let mut report = PublishReport::new(&table, opts, d.main_head);
    report.fork_point = d.fork_point;
    report.published_through = d.published_through;
    if d.since_fork.is_empty() {
        report.message = match d.published_through {
            Some(t) => format!("{b}'s head (snapshot {t}) was already published to main by an earlier publish; nothing to do"),
            None => format!("main already contains {b}'s head (snapshot {}); nothing to do", d.branch_head),
        };
        return Ok(report);
    }
    // A branch whose lineage ends before it meets main (its older snapshots were expired) and that no earlier
    // branch publish marked: what it holds beyond its surviving snapshots cannot be told apart from what main
    // has, so replaying only the survivors (or calling them all published because each was picked) could
    // silently leave rows unpublished.
    let m = table.metadata.clone();
    if let Some(&oldest) = d.since_fork.first()
        && d.fork_point.is_none()
        && d.published_through.is_none()
        && d.main_head.is_some()
        && !d.rooted
    {
        let parent = m.snapshot_by_id(oldest).and_then(|s| s.parent_snapshot_id()).map_or_else(String::new, |p| p.to_string());
        return Err(Error::Config(format!(
            "cannot publish {b} onto main in table {}: the branch's lineage ends before it meets main's (its snapshot \
             {oldest} has parent {parent}, which was expired) and no earlier publish of it is on main, so which of its \
             rows main lacks cannot be known; nothing was published. Publish single snapshots with --wap-id or \
             `prestige snapshot cherry-pick` after checking them",
            table.name()
        )));
    }
    // Snapshots of the branch already picked onto main (an earlier --cherry-pick, maybe interrupted).
    let picked: HashSet<String> = lineage(&m, d.main_head)
        .iter()
        .filter_map(|a| m.snapshot_by_id(*a))
        .filter_map(|a| summary_value(a, SOURCE_SNAPSHOT_ID).map(str::to_string))
        .collect();
    let pending: Vec<i64> = d.since_fork.iter().copied().filter(|id| !picked.contains(&id.to_string())).collect();
    if pending.is_empty() {
        report.message = format!(
            "every snapshot of {b} since {} is already published to main; nothing to do",
            match (d.fork_point, d.published_through) {
                (Some(f), _) => format!("snapshot {f}"),
                (None, Some(t)) => format!("snapshot {t} (published earlier)"),
                (None, None) => "its first".to_string(),
            }
        );
        return Ok(report);
    }
    if d.fork_point == d.main_head && pending.len() == d.since_fork.len() {
        return fast_forward(catalog, table, report, b, d).await;
    }
    if !opts.cherry_pick {
        return Err(Error::Diverged {
            table: table.name(),
            target: MAIN.to_string(),
            branch: b.to_string(),
            target_head: d.main_head.unwrap_or(-1),
            branch_head: d.branch_head,
            fork_point: d.fork_point,
        });
    }
    // Every snapshot to replay must be an append: refuse before changing anything.
    for id in &pending {
        let s = snapshot_by_id(&table, *id)?;
        if s.summary().operation != Operation::Append {
            return Err(Error::Config(format!(
                "cannot cherry-pick {b} onto main in table {}: snapshot {id} is not an append (its operation is {}); \
                 only append snapshots can be replayed (nothing was published)",
                table.name(),
                s.summary().operation.as_str()
            )));
        }
    }
    if opts.plan {
        report.changed = true;
        report.updated_ref = None;
        report.snapshots_published = pending.iter().map(|id| Published { source_snapshot_id: *id, snapshot_id: None }).collect();
        report.message = format!("would replay {} snapshot(s) of {b} onto main", pending.len());
        return Ok(report);
    }
    let mut table = table;
    let n = pending.len();
    for (i, id) in pending.into_iter().enumerate() {
        let r = pick(catalog, table, id, MAIN, false, false, Some(b)).await?;
        table = r.table_after.ok_or_else(|| Error::Internal { worker: "publish".into(), message: "no table after a pick".into() })?;
        if r.changed {
            report.snapshots_published.push(Published { source_snapshot_id: id, snapshot_id: r.snapshot_id });
            report.changed = true;
        }
        report.updated_ref = branch_head(&table, MAIN)?;
        if i + 1 < n {
            crate::engine::failpoint::hit("iceberg.publish_between");
        }
    }
    report.message = format!("replayed {} snapshot(s) of {b} onto main", report.snapshots_published.len());
    Ok(report)
}

/// Moves main to the branch's head, re-checking on every attempt that main's head is still its ancestor.
async fn fast_forward(catalog: &dyn Catalog, table: LoadedTable, mut report: PublishReport, b: &str, d: Divergence) -> Result<PublishReport> {
    report.fast_forward = true;
    if report.plan {
        report.changed = true;
        report.updated_ref = Some(d.branch_head);
        report.snapshots_published =
            d.since_fork.iter().map(|id| Published { source_snapshot_id: *id, snapshot_id: Some(*id) }).collect();
        report.message = format!("would fast-forward main to {b}'s head (snapshot {})", d.branch_head);
        return Ok(report);
    }
    let mut moved: Option<Divergence> = None;
    let done = commit::commit_change(catalog, table, |t| {
        let now = divergence(t, b)?;
        if now.since_fork.is_empty() {
            return Ok((vec![], vec![]));
        }
        if now.fork_point != now.main_head {
            return Err(Error::Diverged {
                table: t.name(),
                target: MAIN.to_string(),
                branch: b.to_string(),
                target_head: now.main_head.unwrap_or(-1),
                branch_head: now.branch_head,
                fork_point: now.fork_point,
            });
        }
        let req = vec![
            TableRequirement::RefSnapshotIdMatch { r#ref: MAIN.to_string(), snapshot_id: now.main_head },
            TableRequirement::RefSnapshotIdMatch { r#ref: b.to_string(), snapshot_id: Some(now.branch_head) },
        ];
        let update = move_branch(&t.metadata, MAIN, now.branch_head);
        moved = Some(now);
        Ok((req, vec![update]))
    })
    .await?;
    report.updated_ref = branch_head(&done.table, MAIN)?;
    report.changed = done.changed;
    match moved {
        Some(d) if done.changed => {
            report.previous_ref = d.main_head;
            report.snapshots_published =
                d.since_fork.iter().map(|id| Published { source_snapshot_id: *id, snapshot_id: Some(*id) }).collect();
            report.message = format!("fast-forwarded main to {b}'s head (snapshot {})", d.branch_head);
        }
        _ => report.message = format!("main already contains {b}'s head; nothing to do"),
    }
    Ok(report)
}
