//! `prestige snapshot`: a table's snapshots along a branch, one snapshot's summary and manifests, the table's
//! branches and tags — and their maintenance: expiry, orphan removal, rollback, set-current, cherry-pick, and
//! creating and dropping branches and tags.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::render;
use super::{Context, exit};
use crate::engine::iceberg::catalog::{self, parse_table_ident};
use crate::engine::error::Error;
use crate::engine::iceberg::expire::{self, ExpireOptions, ExpireReport};
use crate::engine::iceberg::inspect::{self, RefsReport, SnapshotDetail, SnapshotListReport};
use crate::engine::iceberg::orphans::{self, OrphanOptions, OrphanReport};
use crate::engine::iceberg::publish::{self, CherryPickReport};
use crate::engine::iceberg::refs::{self, RefChange, RefChangeReport, Retention, Target};
use crate::engine::units::{parse_duration, parse_time};

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:\n  prestige snapshot list logs.events\n  \
prestige snapshot list logs.events --ref audit --format json\n  \
prestige snapshot show logs.events 3051729675574597004\n  \
prestige snapshot refs logs.events\n  \
prestige snapshot expire logs.events --older-than 7d --retain-last 10 --plan\n  \
prestige snapshot expire logs.events --snapshot-id 3051729675574597004\n  \
prestige snapshot remove-orphans logs.events --plan\n  \
prestige snapshot rollback logs.events --to-timestamp 2026-11-23T10:00:00Z\n  \
prestige snapshot set-current logs.events --ref audit\n  \
prestige snapshot branch create logs.events audit --max-snapshot-age 2d\n  \
prestige snapshot tag create logs.events eoy-2026 --snapshot-id 3051729675574597004 --max-ref-age 365d\n  \
prestige snapshot cherry-pick logs.events --snapshot-id 3051729675574597004\n\n\
Every command that changes the table has --plan (alias --dry-run) and prints main's (or the ref's) previous and \
current snapshot ids. An unknown table, snapshot id or ref exits 5; a refused change (rollback to a snapshot that is \
not an ancestor, dropping main) exits 2; a concurrent commit that makes the change unsafe exits 7.\n\n\
expire deletes files only after its metadata commit landed; a crash in between leaves unreferenced files that a \
rerun cannot find through the metadata: remove-orphans deletes them once they are older than its threshold.")]
pub struct SnapshotArgs {
    #[command(subcommand)]
    pub command: SnapshotCommand,
}

#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// List a branch's snapshots, newest first: operation, files and rows added and deleted, refs, commit id
    List(ListArgs),
    /// Show one snapshot: its full summary, schema id, manifest list and manifests with their counts
    Show(ShowArgs),
    /// List the table's branches and tags with their snapshots and retention settings
    Refs(RefsArgs),
    /// Remove old snapshots (per branch retention) and delete the files only they reached
    Expire(ExpireArgs),
    /// Delete files under the table's location that no metadata references and that are old enough
    RemoveOrphans(RemoveOrphansArgs),
    /// Move main back to one of its ancestors
    Rollback(RollbackArgs),
    /// Point main at any snapshot of the table (a ref's, or one by id)
    SetCurrent(SetCurrentArgs),
    /// Apply an append snapshot from another branch onto a branch as a new snapshot
    CherryPick(CherryPickArgs),
    /// Create or drop a branch
    Branch(BranchArgs),
    /// Create or drop a tag
    Tag(TagArgs),
}

#[derive(Debug, Args)]
pub struct ExpireArgs {
    /// The table, NAMESPACE.NAME
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// Snapshots made before this may be removed: RFC 3339, epoch seconds/millis, or a duration ago (7d)
    /// [default: now - history.expire.max-snapshot-age-ms, else 5 days]; a branch's own max-snapshot-age-ms wins
    #[arg(long, value_name = "TIME")]
    pub older_than: Option<String>,
    /// Keep at least this many snapshots of each branch's history [default: history.expire.min-snapshots-to-keep,
    /// else 1]; a branch's own min-snapshots-to-keep wins
    #[arg(long, value_name = "N")]
    pub retain_last: Option<i32>,
    /// Also expire this snapshot (repeatable); refused if a ref points at it or a branch retains it
    #[arg(long = "snapshot-id", value_name = "ID", allow_negative_numbers = true)]
    pub snapshot_ids: Vec<i64>,
    /// Show what would be removed and deleted (the same counts) without changing anything
    #[arg(long, alias = "dry-run")]
    pub plan: bool,
}

#[derive(Debug, Args)]
pub struct RemoveOrphansArgs {
    /// The table, NAMESPACE.NAME
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// Only files last modified before this: a duration ago (3d) or a time (RFC 3339, epoch); under 1h needs --force
    #[arg(long, value_name = "DURATION|TIME", default_value = "3d")]
    pub older_than: String,
    /// List here instead of the table's location (must be under it unless --force)
    #[arg(long, value_name = "LOCATION")]
    pub location: Option<String>,
    /// List the orphan files without deleting them
    #[arg(long, alias = "dry-run")]
    pub plan: bool,
    /// Allow --older-than under an hour (only when no writer can be committing) and a --location outside the table
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["to_snapshot", "to_timestamp"])))]
pub struct RollbackArgs {
    /// The table, NAMESPACE.NAME
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// The ancestor of main's current snapshot to go back to
    #[arg(long, value_name = "ID", allow_negative_numbers = true)]
    pub to_snapshot: Option<i64>,
    /// Go back to main's latest ancestor made at or before this time (RFC 3339, epoch, or a duration ago)
    #[arg(long, value_name = "TIME")]
    pub to_timestamp: Option<String>,
    /// Show the previous and new snapshot without changing anything
    #[arg(long, alias = "dry-run")]
    pub plan: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["snapshot_id", "ref_name"])))]
pub struct SetCurrentArgs {
    /// The table, NAMESPACE.NAME
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// The snapshot main should point at
    #[arg(long, value_name = "ID", allow_negative_numbers = true)]
    pub snapshot_id: Option<i64>,
    /// Point main at this branch's or tag's snapshot
    #[arg(long = "ref", value_name = "NAME")]
    pub ref_name: Option<String>,
    /// Show the previous and new snapshot without changing anything
    #[arg(long, alias = "dry-run")]
    pub plan: bool,
}

#[derive(Debug, Args)]
pub struct CherryPickArgs {
    /// The table, NAMESPACE.NAME
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// The append (or dynamic-overwrite) snapshot to apply
    #[arg(long, value_name = "ID", allow_negative_numbers = true)]
    pub snapshot_id: i64,
    /// The branch to apply it to
    #[arg(long, value_name = "NAME", default_value = "main")]
    pub branch: String,
    /// Show what would be applied without changing anything
    #[arg(long, alias = "dry-run")]
    pub plan: bool,
}

#[derive(Debug, Args)]
pub struct BranchArgs {
    #[command(subcommand)]
    pub command: BranchCommand,
}

#[derive(Debug, Subcommand)]
pub enum BranchCommand {
    /// Create a branch at a snapshot (default: main's current one); an identical existing branch is not an error
    Create(BranchCreateArgs),
    /// Drop a branch (never main); its snapshots stay until expired
    Drop(RefDropArgs),
}

#[derive(Debug, Args)]
pub struct TagArgs {
    #[command(subcommand)]
    pub command: TagCommand,
}

#[derive(Debug, Subcommand)]
pub enum TagCommand {
    /// Tag a snapshot (default: main's current one); an identical existing tag is not an error
    Create(TagCreateArgs),
    /// Drop a tag; its snapshot stays until expired
    Drop(RefDropArgs),
}

#[derive(Debug, Args)]
pub struct BranchCreateArgs {
    /// The table, NAMESPACE.NAME
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// The branch name
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The snapshot the branch starts at [default: main's current snapshot]
    #[arg(long, value_name = "ID", allow_negative_numbers = true)]
    pub snapshot_id: Option<i64>,
    /// Expiry removes the branch once its snapshot is older than this (max-ref-age-ms)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_ref_age: Option<std::time::Duration>,
    /// Expiry keeps the branch's snapshots younger than this (max-snapshot-age-ms)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_snapshot_age: Option<std::time::Duration>,
    /// Expiry keeps at least this many of the branch's snapshots (min-snapshots-to-keep)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..))]
    pub min_snapshots_to_keep: Option<i32>,
    /// Show what would be created without changing anything
    #[arg(long, alias = "dry-run")]
    pub plan: bool,
}

#[derive(Debug, Args)]
pub struct TagCreateArgs {
    /// The table, NAMESPACE.NAME
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// The tag name
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The snapshot to tag [default: main's current snapshot]
    #[arg(long, value_name = "ID", allow_negative_numbers = true)]
    pub snapshot_id: Option<i64>,
    /// Expiry removes the tag once its snapshot is older than this (max-ref-age-ms)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_ref_age: Option<std::time::Duration>,
    /// Show what would be created without changing anything
    #[arg(long, alias = "dry-run")]
    pub plan: bool,
}

#[derive(Debug, Args)]
pub struct RefDropArgs {
    /// The table, NAMESPACE.NAME
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// The branch or tag name
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Show what would be dropped without changing anything
    #[arg(long, alias = "dry-run")]
    pub plan: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The table, NAMESPACE.NAME
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// Follow this branch's (or tag's) lineage instead of main's
    #[arg(long = "ref", value_name = "NAME", conflicts_with = "all")]
    pub ref_name: Option<String>,
    /// Every snapshot in the table's metadata, whatever lineage it is on
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The table, NAMESPACE.NAME
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// The snapshot id (`prestige snapshot list` shows them)
    #[arg(value_name = "ID", allow_negative_numbers = true)]
    pub id: i64,
}

#[derive(Debug, Args)]
pub struct RefsArgs {
    /// The table, NAMESPACE.NAME
    #[arg(value_name = "TABLE")]
    pub table: String,
}

fn table_name(cmd: &SnapshotCommand) -> &str {
    match cmd {
        SnapshotCommand::List(a) => &a.table,
        SnapshotCommand::Show(a) => &a.table,
        SnapshotCommand::Refs(a) => &a.table,
        SnapshotCommand::Expire(a) => &a.table,
        SnapshotCommand::RemoveOrphans(a) => &a.table,
        SnapshotCommand::Rollback(a) => &a.table,
        SnapshotCommand::SetCurrent(a) => &a.table,
        SnapshotCommand::CherryPick(a) => &a.table,
        SnapshotCommand::Branch(BranchArgs { command: BranchCommand::Create(a) }) => &a.table,
        SnapshotCommand::Branch(BranchArgs { command: BranchCommand::Drop(a) }) => &a.table,
        SnapshotCommand::Tag(TagArgs { command: TagCommand::Create(a) }) => &a.table,
        SnapshotCommand::Tag(TagArgs { command: TagCommand::Drop(a) }) => &a.table,
    }
}

fn ms(d: Option<std::time::Duration>) -> Option<i64> {
    d.map(|d| d.as_millis() as i64)
}

fn time_arg(flag: &str, text: &str) -> Result<i64, Error> {
    parse_time(text, chrono::Utc::now().timestamp_millis()).map_err(|e| Error::Config(format!("{flag}: {e}")))
}

pub async fn run(args: SnapshotArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let name = table_name(&args.command).to_string();
    let ident = parse_table_ident(&name)?;
    let cat = catalog::open(&ctx.catalog, &ctx.s3).await?;
    let table = cat.load_table(&ident).await?;
    let change = |c: RefChange, plan: bool| {
        let (cat, table) = (cat.clone(), table.clone());
        async move { refs::change(&*cat, table, &c, plan).await }
    };
    match args.command {
        SnapshotCommand::List(a) => {
            let report = inspect::snapshots(&table, a.ref_name.as_deref(), a.all)?;
            render::print_report(ctx.format, &report, list_view)?;
        }
        SnapshotCommand::Show(a) => {
            let report = inspect::snapshot_detail(&table, a.id).await.with_context(|| format!("snapshot show {}", a.table))?;
            render::print_report(ctx.format, &report, show_view)?;
        }
        SnapshotCommand::Refs(_) => {
            let report = inspect::refs(&table);
            render::print_report(ctx.format, &report, refs_view)?;
        }
        SnapshotCommand::Expire(a) => {
            let opts = ExpireOptions {
                older_than_ms: a.older_than.as_deref().map(|t| time_arg("--older-than", t)).transpose()?,
                retain_last: a.retain_last,
                snapshot_ids: a.snapshot_ids,
                plan: a.plan,
            };
            let report = expire::expire(&*cat, table, &opts).await.with_context(|| format!("snapshot expire {name}"))?;
            render::print_report(ctx.format, &report, expire_view)?;
            if !report.failed_deletes.is_empty() {
                return Ok(ExitCode::from(exit::PARTIAL));
            }
        }
        SnapshotCommand::RemoveOrphans(a) => {
            let opts = OrphanOptions {
                older_than_ms: time_arg("--older-than", &a.older_than)?,
                location: a.location,
                plan: a.plan,
                force: a.force,
            };
            let report =
                orphans::remove_orphans(&*cat, table, &opts).await.with_context(|| format!("snapshot remove-orphans {name}"))?;
            render::print_report(ctx.format, &report, orphans_view)?;
            if !report.failed_deletes.is_empty() {
                return Ok(ExitCode::from(exit::PARTIAL));
            }
        }
        SnapshotCommand::Rollback(a) => {
            let target = match (a.to_snapshot, a.to_timestamp) {
                (Some(id), _) => Target::Snapshot(id),
                (None, Some(t)) => Target::Timestamp(time_arg("--to-timestamp", &t)?),
                (None, None) => unreachable!("clap requires one"),
            };
            let report = change(RefChange::Rollback(target), a.plan).await?;
            render::print_report(ctx.format, &report, ref_view)?;
        }
        SnapshotCommand::SetCurrent(a) => {
            let target = match (a.snapshot_id, a.ref_name) {
                (Some(id), _) => Target::Snapshot(id),
                (None, Some(r)) => Target::Ref(r),
                (None, None) => unreachable!("clap requires one"),
            };
            let report = change(RefChange::SetCurrent(target), a.plan).await?;
            render::print_report(ctx.format, &report, ref_view)?;
        }
        SnapshotCommand::CherryPick(a) => return cherry_pick(a, ctx, &*cat, table).await,
        SnapshotCommand::Branch(BranchArgs { command }) => {
            let (c, plan) = match command {
                BranchCommand::Create(a) => (
                    RefChange::CreateBranch {
                        name: a.name,
                        snapshot_id: a.snapshot_id,
                        retention: Retention {
                            max_ref_age_ms: ms(a.max_ref_age),
                            max_snapshot_age_ms: ms(a.max_snapshot_age),
                            min_snapshots_to_keep: a.min_snapshots_to_keep,
                        },
                    },
                    a.plan,
                ),
                BranchCommand::Drop(a) => (RefChange::DropBranch(a.name), a.plan),
            };
            let report = change(c, plan).await?;
            render::print_report(ctx.format, &report, ref_view)?;
        }
        SnapshotCommand::Tag(TagArgs { command }) => {
            let (c, plan) = match command {
                TagCommand::Create(a) => (
                    RefChange::CreateTag { name: a.name, snapshot_id: a.snapshot_id, max_ref_age_ms: ms(a.max_ref_age) },
                    a.plan,
                ),
                TagCommand::Drop(a) => (RefChange::DropTag(a.name), a.plan),
            };
            let report = change(c, plan).await?;
            render::print_report(ctx.format, &report, ref_view)?;
        }
    }
    Ok(ExitCode::from(exit::OK))
}

async fn cherry_pick(
    a: CherryPickArgs,
    ctx: &Context,
    cat: &dyn catalog::Catalog,
    table: catalog::LoadedTable,
) -> anyhow::Result<ExitCode> {
    let name = table.name();
    let report = publish::cherry_pick(cat, table, a.snapshot_id, &a.branch, a.plan)
        .await
        .with_context(|| format!("snapshot cherry-pick {name} --snapshot-id {}", a.snapshot_id))?;
    render::print_report(ctx.format, &report, |r: &CherryPickReport| {
        format!(
            "{}: cherry-pick {} onto {}: {} (previous snapshot {}, current snapshot {})",
            r.table,
            r.source_snapshot_id,
            r.branch_updated,
            r.message,
            id(r.previous_ref),
            id(r.updated_ref)
        )
    })?;
    Ok(ExitCode::from(exit::OK))
}

fn id(v: Option<i64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn ref_view(r: &RefChangeReport) -> String {
    let verb = match (r.plan, r.changed) {
        (true, true) => "would change",
        (_, false) => "unchanged",
        (false, true) => "changed",
    };
    format!(
        "{}: {} {} ({verb}): previous snapshot {}, current snapshot {}",
        r.table,
        r.action,
        r.ref_name,
        id(r.previous_snapshot_id),
        id(r.current_snapshot_id)
    )
}

fn expire_view(r: &ExpireReport) -> String {
    let mut t = render::table(&["", "count"]);
    let rows: [(&str, u64); 7] = [
        ("expired snapshots", r.expired_snapshot_ids.len() as u64),
        ("data files", r.deleted_data_files_count),
        ("position delete files", r.deleted_position_delete_files_count),
        ("equality delete files", r.deleted_equality_delete_files_count),
        ("manifests", r.deleted_manifest_files_count),
        ("manifest lists", r.deleted_manifest_lists_count),
        ("statistics files", r.deleted_statistics_files_count),
    ];
    for (k, v) in rows {
        t.add_row(vec![k.to_string(), v.to_string()]);
    }
    let mut out = vec![t.to_string()];
    if !r.removed_refs.is_empty() {
        out.push(format!("removed refs: {}", r.removed_refs.join(", ")));
    }
    for f in &r.failed_deletes {
        out.push(format!("could not delete {}: {}", f.path, f.error));
    }
    out.push(format!(
        "{}: {} snapshots older than {} beyond the newest {} per branch{}; main at {}",
        r.table,
        if r.plan { "would expire" } else { "expired" },
        r.older_than,
        r.retain_last,
        if r.plan { " (plan: nothing changed)" } else { "" },
        id(r.current_snapshot_id)
    ));
    out.join("\n")
}

fn orphans_view(r: &OrphanReport) -> String {
    let mut out = Vec::new();
    if !r.orphan_files.is_empty() {
        let mut t = render::table(&["orphan file", "size", "last modified"]);
        for f in &r.orphan_files {
            t.add_row(vec![f.path.clone(), render::bytes(f.size), f.last_modified.clone()]);
        }
        out.push(t.to_string());
    }
    for m in &r.mismatched_files {
        out.push(format!("kept {m}: a reference names its path under another scheme or bucket"));
    }
    for f in &r.failed_deletes {
        out.push(format!("could not delete {}: {}", f.path, f.error));
    }
    out.push(format!(
        "{}: {} under {} older than {} ({}); {} listed, {} referenced, {} too young to touch",
        r.table,
        if r.plan {
            format!("{} would be deleted", render::count(r.orphan_files_count, "orphan file", "orphan files"))
        } else {
            format!("deleted {}", render::count(r.deleted_files_count, "orphan file", "orphan files"))
        },
        r.location,
        r.older_than,
        render::bytes(if r.plan { r.orphan_bytes } else { r.deleted_bytes }),
        r.listed_files_count,
        r.referenced_files_count,
        r.skipped_young_files_count
    ));
    out.join("\n")
}

fn num(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_string(), |n| n.to_string())
}

fn list_view(r: &SnapshotListReport) -> String {
    let whose = r.ref_name.as_deref().map_or_else(|| "all snapshots".to_string(), |n| format!("{n}'s lineage"));
    if r.snapshots.is_empty() {
        return format!("{}: no snapshots ({whose})", r.table);
    }
    let mut t = render::table(&[
        "snapshot", "parent", "time", "operation", "+files", "-files", "+rows", "-rows", "total rows", "refs", "commit id",
    ]);
    for s in &r.snapshots {
        t.add_row(vec![
            s.snapshot_id.to_string(),
            s.parent_id.map_or_else(|| "-".into(), |p| p.to_string()),
            s.timestamp.clone(),
            s.operation.clone(),
            num(s.added_data_files),
            num(s.deleted_data_files),
            num(s.added_records),
            num(s.deleted_records),
            num(s.total_records),
            s.refs.join(", "),
            s.commit_id.clone().unwrap_or_default(),
        ]);
    }
    format!("{t}\n{}: {} ({whose}, newest first)", r.table, render::count(r.snapshots.len() as u64, "snapshot", "snapshots"))
}

fn show_view(r: &SnapshotDetail) -> String {
    let s = &r.snapshot;
    let mut head = vec![
        format!("snapshot {} of {}", s.snapshot_id, r.table),
        format!("  parent           {}", s.parent_id.map_or_else(|| "-".into(), |p| p.to_string())),
        format!("  time             {} ({} ms)", s.timestamp, s.timestamp_ms),
        format!("  operation        {}", s.operation),
        format!("  sequence number  {}", s.sequence_number),
        format!("  schema id        {}", s.schema_id.map_or_else(|| "-".into(), |p| p.to_string())),
        format!("  manifest list    {}", s.manifest_list),
    ];
    if !r.refs.is_empty() {
        head.push(format!("  refs             {}", r.refs.join(", ")));
    }
    let mut summary = render::table(&["summary", "value"]);
    for (k, v) in &s.summary {
        summary.add_row(vec![k.clone(), v.clone()]);
    }
    let mut m = render::table(&["manifest", "content", "spec", "added", "existing", "deleted", "rows added", "rows existing"]);
    let n32 = |v: Option<u32>| v.map_or_else(|| "-".to_string(), |n| n.to_string());
    for mf in &r.manifests {
        let name = mf.path.rsplit('/').next().unwrap_or(&mf.path).to_string();
        m.add_row(vec![
            name,
            mf.content.clone(),
            mf.partition_spec_id.to_string(),
            n32(mf.added_files),
            n32(mf.existing_files),
            n32(mf.deleted_files),
            num(mf.added_rows),
            num(mf.existing_rows),
        ]);
    }
    format!(
        "{}\n\n{summary}\n\n{m}\n{}",
        head.join("\n"),
        render::count(r.manifests.len() as u64, "manifest", "manifests")
    )
}

fn refs_view(r: &RefsReport) -> String {
    if r.refs.is_empty() {
        return format!("{}: no refs (no snapshots yet)", r.table);
    }
    format!("{}\n{}: {}", super::table::refs_table(&r.refs), r.table, render::count(r.refs.len() as u64, "ref", "refs"))
}
