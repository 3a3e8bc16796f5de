//! `prestige snapshot`: a table's snapshots along a branch, one snapshot's summary and manifests, and the
//! table's branches and tags.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::render;
use super::{Context, exit};
use crate::engine::iceberg::catalog::{self, parse_table_ident};
use crate::engine::iceberg::inspect::{self, RefsReport, SnapshotDetail, SnapshotListReport};

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:\n  prestige snapshot list logs.events\n  \
prestige snapshot list logs.events --ref audit --format json\n  \
prestige snapshot show logs.events 3051729675574597004\n  \
prestige snapshot refs logs.events\n\n\
An unknown table, snapshot id or ref exits 5.")]
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

pub async fn run(args: SnapshotArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let name = match &args.command {
        SnapshotCommand::List(a) => &a.table,
        SnapshotCommand::Show(a) => &a.table,
        SnapshotCommand::Refs(a) => &a.table,
    };
    let ident = parse_table_ident(name)?;
    let cat = catalog::open(&ctx.catalog, &ctx.s3).await?;
    let table = cat.load_table(&ident).await?;
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
    }
    Ok(ExitCode::from(exit::OK))
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
