//! `prestige publish`: write-audit-publish — make an audited branch's snapshots (or the one snapshot carrying a
//! WAP id) visible on main, by fast-forward or cherry-pick.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use super::render;
use super::{Context, exit};
use crate::engine::iceberg::catalog::{self, parse_table_ident};
use crate::engine::iceberg::publish::{self, PublishOptions, PublishReport};

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["branch", "wap_id"])))]
#[command(after_long_help = "Examples:\n  prestige ingest events.ndjson --table logs.events --branch audit --wap-id job-42\n  \
prestige scan --table logs.events --ref audit --where \"v < 0\"\n  \
prestige publish logs.events --branch audit --plan\n  \
prestige publish logs.events --branch audit\n  \
prestige publish logs.events --branch audit --cherry-pick\n  \
prestige publish logs.events --wap-id job-42\n\n\
main is fast-forwarded to the branch's head when main's head is an ancestor of it. When main has moved since the \
branch was cut, publish refuses with exit code 8 (naming both heads and their fork point) unless --cherry-pick is \
given: then the branch's append snapshots since the fork point are replayed onto main in order, each as a new \
snapshot carrying source-snapshot-id (and published-wap-id). Publishing what is already on main changes nothing, \
says so and exits 0; an interrupted --cherry-pick is finished by running it again.")]
pub struct PublishArgs {
    /// The table, NAMESPACE.NAME
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// The branch to publish onto main (with --wap-id: where to look for the snapshot)
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    /// Publish only the snapshot whose summary carries this wap.id (refused when none or several do)
    #[arg(long, value_name = "ID")]
    pub wap_id: Option<String>,
    /// When main has moved since the branch was cut, replay the branch's append snapshots onto main instead of
    /// refusing
    #[arg(long)]
    pub cherry_pick: bool,
    /// Show what would move (the same report fields) without changing anything
    #[arg(long, alias = "dry-run")]
    pub plan: bool,
}

pub async fn run(args: PublishArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ident = parse_table_ident(&args.table)?;
    let cat = catalog::open(&ctx.catalog, &ctx.s3).await?;
    let table = cat.load_table(&ident).await?;
    let opts = PublishOptions {
        branch: args.branch.clone(),
        wap_id: args.wap_id.clone(),
        cherry_pick: args.cherry_pick,
        plan: args.plan,
    };
    // Main moved since the branch was cut: exit 8 (ErrorKind::Diverged), the operator chooses --cherry-pick.
    let report = publish::publish(&*cat, table, &opts).await.with_context(|| format!("publish {}", args.table))?;
    render::print_report(ctx.format, &report, view)?;
    Ok(ExitCode::from(exit::OK))
}

fn id(v: Option<i64>) -> String {
    v.map_or_else(|| "none".to_string(), |v| v.to_string())
}

fn view(r: &PublishReport) -> String {
    let mut s = String::new();
    if r.plan {
        s.push_str("plan: ");
    }
    s.push_str(&r.message);
    if !r.snapshots_published.is_empty() {
        let mut t = render::table(&["source snapshot", "snapshot on main"]);
        for p in &r.snapshots_published {
            t.add_row(vec![p.source_snapshot_id.to_string(), p.snapshot_id.map_or_else(|| "(new)".into(), |v| v.to_string())]);
        }
        s.push_str(&format!("\n{t}"));
    }
    let updated = if r.plan && r.updated_ref.is_none() { "(new)".to_string() } else { id(r.updated_ref) };
    s.push_str(&format!("\n{}: {} -> {}", r.branch_updated, id(r.previous_ref), updated));
    s
}
