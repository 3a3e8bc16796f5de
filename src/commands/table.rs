//! `prestige table`: list, show, create, drop and set properties of Iceberg tables in the catalog that
//! `--catalog` / `--warehouse` choose.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::render;
use super::{Context, exit};
use crate::engine::iceberg::catalog::{self, parse_namespace, parse_table_ident};
use crate::engine::iceberg::inspect::{self, ListReport, TableReport};
use crate::engine::iceberg::table::{self as tables, CreateOptions, DropReport, PropertiesReport};
use crate::engine::schema::load_schema_file;

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:\n  prestige table list\n  \
prestige table create logs.events --schema events.schema.json --partition-by 'day(ts), bucket(16, id)' --sort-by 'ts desc'\n  \
prestige table show logs.events --format json\n  \
prestige table properties logs.events --set write.target-file-size-bytes=268435456 --unset comment\n  \
prestige table drop logs.events --purge --plan\n\n\
TABLE is NAMESPACE.NAME (nested namespaces: a.b.name). A missing table or namespace exits 5, an invalid\n\
identifier, schema or spec exits 2.")]
pub struct TableArgs {
    #[command(subcommand)]
    pub command: TableCommand,
}

#[derive(Debug, Subcommand)]
pub enum TableCommand {
    /// List namespaces (recursively) and their tables
    List(ListArgs),
    /// Show a table: schema, partition spec, sort order, properties, refs, current snapshot and health
    Show(ShowArgs),
    /// Create a table from a schema file (the namespace is created when missing)
    #[command(long_about = CREATE_LONG_ABOUT)]
    Create(CreateArgs),
    /// Remove a table from the catalog; its files stay unless --purge
    Drop(DropArgs),
    /// Set or unset table properties (one commit)
    Properties(PropertiesArgs),
}

const CREATE_LONG_ABOUT: &str = "Create a table from a schema file (the namespace is created when missing)

The schema file is ingest's (see `prestige ingest --help`); nested fields get their own field ids, and \
\"nullable\": false makes a column required. Types map to Iceberg as: int8/16/32 and uint8/16 → int, int64 and \
uint32 → long, uint64 → decimal(20, 0), float32 → float, float64 → double, bool → boolean, string and json → \
string, binary → binary, date → date, timestamp (any unit) → timestamp, timestamp with a zone → timestamptz, \
decimal(P, S) → decimal(P, S), list → list, struct → struct.

--partition-by takes comma-separated terms: COLUMN (identity), year(C), month(C), day(C), hour(C), bucket(N, C), \
truncate(W, C), void(C); nested columns by dotted path; `TERM AS name` names the field (by default named as Spark \
and PyIceberg do: ts_day, id_bucket, name_trunc, the column itself for identity).

--sort-by takes `TERM [asc|desc] [nulls first|last]`, comma-separated (nulls first when ascending, last when \
descending).";

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this namespace and the namespaces under it (a or a.b)
    #[arg(value_name = "NAMESPACE")]
    pub namespace: Option<String>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The table, NAMESPACE.NAME
    #[arg(value_name = "TABLE")]
    pub table: String,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The table to create, NAMESPACE.NAME
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// Schema file (ingest's format)
    #[arg(long, value_name = "FILE")]
    pub schema: PathBuf,
    /// Partition spec, e.g. "day(ts), bucket(16, id), truncate(4, name), region"
    #[arg(long, value_name = "SPEC")]
    pub partition_by: Option<String>,
    /// Sort order, e.g. "ts desc nulls last, id"
    #[arg(long, value_name = "SPEC")]
    pub sort_by: Option<String>,
    /// Identifier (row key) columns, comma-separated; they must be non-nullable in the schema
    #[arg(long, value_name = "COLS", value_delimiter = ',')]
    pub identifier: Vec<String>,
    /// A table property K=V (repeatable)
    #[arg(long, value_name = "K=V", value_parser = parse_property)]
    pub property: Vec<(String, String)>,
    /// Iceberg format version: 1 or 2 (3 is refused: prestige does not write v3 row lineage yet)
    #[arg(long, default_value_t = 2, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=3))]
    pub format_version: u8,
    /// Where the table's files go [default: {warehouse}/{namespace}.db/{name}]
    #[arg(long, value_name = "LOCATION")]
    pub location: Option<String>,
}

#[derive(Debug, Args)]
pub struct DropArgs {
    /// The table, NAMESPACE.NAME
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// Also delete every file the table's metadata references (data, deletes, manifests, metadata);
    /// a REST catalog is asked to purge as well
    #[arg(long)]
    pub purge: bool,
    /// Show what would be dropped and deleted, change nothing
    #[arg(long, alias = "dry-run")]
    pub plan: bool,
}

#[derive(Debug, Args)]
pub struct PropertiesArgs {
    /// The table, NAMESPACE.NAME
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// Set a property K=V (repeatable)
    #[arg(long, value_name = "K=V", value_parser = parse_property)]
    pub set: Vec<(String, String)>,
    /// Remove a property (repeatable)
    #[arg(long, value_name = "K")]
    pub unset: Vec<String>,
}

fn parse_property(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

pub async fn run(args: TableArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    match args.command {
        TableCommand::List(a) => list(a, ctx).await,
        TableCommand::Show(a) => show(a, ctx).await,
        TableCommand::Create(a) => create(a, ctx).await,
        TableCommand::Drop(a) => drop(a, ctx).await,
        TableCommand::Properties(a) => properties(a, ctx).await,
    }
}

async fn list(args: ListArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ns = args.namespace.as_deref().map(parse_namespace).transpose()?;
    let cat = catalog::open(&ctx.catalog, &ctx.s3).await?;
    let report = inspect::list(&*cat, ns.as_ref()).await.context("table list")?;
    render::print_report(ctx.format, &report, list_view)?;
    Ok(ExitCode::from(exit::OK))
}

fn list_view(r: &ListReport) -> String {
    if r.namespaces.is_empty() {
        return format!("catalog {}: no namespaces", r.catalog);
    }
    let mut t = render::table(&["namespace", "tables"]);
    for n in &r.namespaces {
        let names: Vec<&str> = n.tables.iter().map(|t| t.rsplit('.').next().unwrap_or(t)).collect();
        t.add_row(vec![n.namespace.clone(), if names.is_empty() { "-".into() } else { names.join(", ") }]);
    }
    let tables: usize = r.namespaces.iter().map(|n| n.tables.len()).sum();
    format!(
        "{t}\ncatalog {}: {}, {}",
        r.catalog,
        render::count(r.namespaces.len() as u64, "namespace", "namespaces"),
        render::count(tables as u64, "table", "tables")
    )
}

async fn show(args: ShowArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ident = parse_table_ident(&args.table)?;
    let cat = catalog::open(&ctx.catalog, &ctx.s3).await?;
    let table = cat.load_table(&ident).await?;
    let report = inspect::show(&table).await.with_context(|| format!("table show {}", args.table))?;
    render::print_report(ctx.format, &report, show_view)?;
    Ok(ExitCode::from(exit::OK))
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "-".to_string(), |x| x.to_string())
}

/// The human view of `table show` (also printed after `table create`).
pub fn show_view(r: &TableReport) -> String {
    let mut out = Vec::new();
    let mut head = render::table(&["table", "format", "location", "uuid"]);
    head.add_row(vec![r.table.clone(), format!("v{}", r.format_version), r.location.clone(), r.uuid.clone()]);
    out.push(head.to_string());

    let ids: Vec<&str> = r.schema.identifier_fields.iter().map(String::as_str).collect();
    let mut s = render::table(&["id", "column", "type", "required"]);
    for f in &r.schema.fields {
        let key = if ids.contains(&f.name.as_str()) { " (identifier)" } else { "" };
        s.add_row(vec![f.id.to_string(), f.name.clone(), f.field_type.clone(), format!("{}{key}", f.required)]);
    }
    out.push(format!("schema {}\n{s}", r.schema.schema_id));

    if r.partition_spec.fields.is_empty() {
        out.push(format!("partition spec {}: unpartitioned", r.partition_spec.spec_id));
    } else {
        let mut p = render::table(&["field id", "name", "transform", "source"]);
        for f in &r.partition_spec.fields {
            p.add_row(vec![f.field_id.to_string(), f.name.clone(), f.transform.clone(), opt(&f.source)]);
        }
        out.push(format!("partition spec {}\n{p}", r.partition_spec.spec_id));
    }
    if r.sort_order.fields.is_empty() {
        out.push(format!("sort order {}: unsorted", r.sort_order.order_id));
    } else {
        let terms: Vec<String> = r
            .sort_order
            .fields
            .iter()
            .map(|f| {
                let col = opt(&f.source);
                let term = if f.transform == "identity" { col } else { format!("{}({col})", f.transform) };
                format!("{term} {} {}", f.direction, f.null_order.replace('-', " "))
            })
            .collect();
        out.push(format!("sort order {}: {}", r.sort_order.order_id, terms.join(", ")));
    }
    if !r.properties.is_empty() {
        let mut p = render::table(&["property", "value"]);
        for (k, v) in &r.properties {
            p.add_row(vec![k.clone(), v.clone()]);
        }
        out.push(p.to_string());
    }
    if !r.refs.is_empty() {
        out.push(refs_table(&r.refs));
    }
    match &r.current_snapshot {
        None => out.push("current snapshot: none (the table is empty)".into()),
        Some(s) => {
            let summary: Vec<String> = s.summary.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push(format!(
                "current snapshot {} ({}, {}, sequence {})\n  {}",
                s.snapshot_id,
                s.operation,
                s.timestamp,
                s.sequence_number,
                summary.join("\n  ")
            ));
        }
    }
    let h = &r.health;
    let mut t = render::table(&[
        "data files",
        "delete files",
        "records",
        "data size",
        "< 25% target",
        "< 75% target",
        "snapshots",
        "manifests",
    ]);
    t.add_row(vec![
        h.data_files.to_string(),
        h.delete_files.to_string(),
        h.records.to_string(),
        render::bytes(h.data_bytes),
        h.files_under_25pct_target.to_string(),
        h.files_under_75pct_target.to_string(),
        h.snapshots.to_string(),
        h.manifests.to_string(),
    ]);
    out.push(format!("health (target file size {})\n{t}", render::bytes(h.target_file_size_bytes)));
    out.join("\n\n")
}

/// Refs as a table (shared with `snapshot refs`).
pub fn refs_table(refs: &[inspect::RefReport]) -> String {
    let mut t = render::table(&["ref", "type", "snapshot", "min snapshots", "max snapshot age", "max ref age"]);
    let age = |ms: &Option<i64>| ms.map_or_else(|| "-".to_string(), |m| humantime::format_duration(std::time::Duration::from_millis(m.max(0) as u64)).to_string());
    for r in refs {
        t.add_row(vec![
            r.name.clone(),
            r.kind.clone(),
            r.snapshot_id.to_string(),
            opt(&r.min_snapshots_to_keep),
            age(&r.max_snapshot_age_ms),
            age(&r.max_ref_age_ms),
        ]);
    }
    t.to_string()
}

async fn create(args: CreateArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ident = parse_table_ident(&args.table)?;
    let schema = load_schema_file(&args.schema)?;
    let opts = CreateOptions {
        schema,
        partition_by: args.partition_by.clone(),
        sort_by: args.sort_by.clone(),
        identifier: args.identifier.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
        properties: args.property.clone(),
        format_version: args.format_version,
        location: args.location.clone(),
    };
    let cat = catalog::open(&ctx.catalog, &ctx.s3).await?;
    let table = tables::create(&*cat, &ident, &opts).await.with_context(|| format!("table create {}", args.table))?;
    let report = inspect::show(&table).await?;
    render::print_report(ctx.format, &report, |r| format!("created {}\n\n{}", r.table, show_view(r)))?;
    Ok(ExitCode::from(exit::OK))
}

async fn drop(args: DropArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ident = parse_table_ident(&args.table)?;
    let cat = catalog::open(&ctx.catalog, &ctx.s3).await?;
    let report = tables::drop(&*cat, &ident, args.purge, args.plan).await.with_context(|| format!("table drop {}", args.table))?;
    render::print_report(ctx.format, &report, drop_view)?;
    Ok(ExitCode::from(if report.failed.is_empty() { exit::OK } else { exit::PARTIAL }))
}

fn drop_view(r: &DropReport) -> String {
    let files: usize = r.files.values().sum();
    let what = if r.purge {
        let kinds: Vec<String> = r.files.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{n} {}", k.replace('_', " "))).collect();
        format!("{} ({})", render::count(files as u64, "file", "files"), kinds.join(", "))
    } else {
        String::new()
    };
    let mut s = if r.plan {
        if r.purge {
            format!("would drop {} and delete {what} under {}", r.table, r.location)
        } else {
            format!("would drop {} (its files under {} stay)", r.table, r.location)
        }
    } else if r.purge {
        format!(
            "dropped {}; {} deleted, {} already gone, {} failed of {what}",
            r.table,
            r.deleted,
            r.missing,
            r.failed.len()
        )
    } else {
        format!("dropped {} (its files under {} stay; --purge deletes them)", r.table, r.location)
    };
    for f in &r.failed {
        s.push_str(&format!("\n  could not delete {}: {}", f.path, f.error));
    }
    s
}

async fn properties(args: PropertiesArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ident = parse_table_ident(&args.table)?;
    let cat = catalog::open(&ctx.catalog, &ctx.s3).await?;
    let report = tables::update_properties(&*cat, &ident, &args.set, &args.unset)
        .await
        .with_context(|| format!("table properties {}", args.table))?;
    render::print_report(ctx.format, &report, properties_view)?;
    Ok(ExitCode::from(exit::OK))
}

fn properties_view(r: &PropertiesReport) -> String {
    let mut t = render::table(&["property", "value"]);
    for (k, v) in &r.properties {
        t.add_row(vec![k.clone(), v.clone()]);
    }
    let change = if r.committed {
        format!("{}: {} set, {} removed", r.table, r.set.len(), r.unset.len())
    } else {
        format!("{}: no change", r.table)
    };
    if r.properties.is_empty() { format!("{change}; no properties") } else { format!("{t}\n{change}") }
}
