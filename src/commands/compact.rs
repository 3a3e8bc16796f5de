//! `prestige compact`: merge a prefix's small Parquet files into target-sized `.c.parquet` files, safely; with
//! `--table`, rewrite an Iceberg table's small files per partition as `replace` snapshots.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use parquet::basic::Compression;

use super::render;
use super::{Context, exit};
use crate::engine::compact::{self, CompactOptions, CompactReport, SkipKind};
use crate::engine::dedup::Dedup;
use crate::engine::error::Error;
use crate::engine::sink::{ParquetSettings, parse_compression};
use crate::engine::storage::Location;
use crate::engine::units::{parse_duration, parse_size, parse_time};

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:\n  prestige compact s3://bucket/raw --prefix events --start 2h --plan\n  \
prestige compact --bucket bucket --prefix raw/events --target-bytes 256MiB\n  \
prestige compact --table db.events --where \"day >= DATE '2026-11-01'\"\n\n\
Files named PREFIX.{millis}[.*].parquet are selected (exactly this prefix); outputs are named\n\
PREFIX.{millis}.c.parquet. Originals are deleted only after every output is stored; an interrupted run is\n\
finished or undone by the next one (see README: compaction protocol). The lock PREFIX.compaction.lock is a
lease the running compaction renews; another run exits 6 while it is live, and takes it over once it expires
or at once when its holder was a process of this host that is gone.\n\n\
With --table, an Iceberg table's data files are rewritten per partition into --target-file-size files with
every delete applied and committed as one `replace` snapshot (per partition with --partial-progress); a
partition that a concurrent commit touched is reported and not committed (exit 3; 7 when none committed).")]
pub struct CompactArgs {
    /// A local directory or s3://bucket/dir holding the files (or use --bucket)
    #[arg(value_name = "LOCATION", required_unless_present_any = ["bucket", "table"], conflicts_with = "table")]
    pub location: Option<String>,
    /// S3 bucket; with it, --prefix may carry the folder (raw/events)
    #[arg(long, conflicts_with_all = ["location", "table"])]
    pub bucket: Option<String>,
    /// File name prefix (exact match: `events` never selects `events_other.*`); may contain `/`
    #[arg(long, value_name = "NAME", required_unless_present = "table", conflicts_with = "table")]
    pub prefix: Option<String>,
    #[command(flatten)]
    pub iceberg: TableCompactArgs,
    /// Only files with a timestamp after this (RFC 3339, epoch s/ms, or a duration ago like 2h)
    #[arg(long, value_name = "TIME")]
    pub start: Option<String>,
    /// Only files with a timestamp up to and including this
    #[arg(long, value_name = "TIME")]
    pub end: Option<String>,
    /// Size of each output file
    #[arg(long, default_value = "128MiB", value_name = "SIZE", value_parser = parse_size)]
    pub target_bytes: u64,
    /// Parquet compression: zstd[:level], snappy, gzip[:level], lz4, none
    #[arg(long, default_value = "zstd", value_name = "CODEC", value_parser = parse_compression)]
    pub compression: Compression,
    /// Rows per output row group
    #[arg(long, default_value_t = 1 << 20, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub row_group_size: u64,
    /// Also recompact earlier outputs (.c.parquet)
    #[arg(long)]
    pub include_compacted: bool,
    /// Keep the originals (marked with PREFIX.….parquet.processed so they are not compacted again)
    #[arg(long)]
    pub keep_originals: bool,
    /// Remove rows that are exact duplicates across the whole window (the oldest copy is kept). With --table:
    /// keep one row per key (--dedup-key, else the table's identifier fields), the newest by data sequence number
    #[arg(long)]
    pub deduplicate: bool,
    /// Keep one row per key (comma-separated columns): the one with the greatest --order-by value. With
    /// --table: the key of --deduplicate
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    pub dedup_key: Vec<String>,
    /// Column deciding which row of a key is newest (ties: the row from the newer file). With --table: breaks
    /// ties between rows of the same data sequence number (greatest wins)
    #[arg(long, value_name = "COLUMN")]
    pub order_by: Option<String>,
    /// Memory for deduplication; larger windows spill row hashes to disk in partitions
    #[arg(long, default_value = "128MiB", value_name = "SIZE", value_parser = parse_size)]
    pub dedup_memory: u64,
    /// Show what would happen (same report fields and counts) without changing anything
    #[arg(long, alias = "dry-run")]
    pub plan: bool,
    /// Lease length of the compaction lock: a running compaction renews it every third of this, so a crashed
    /// one's lock is taken over this long after it stopped (at once when it ran on this host)
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = parse_duration)]
    pub lock_ttl: Duration,
    /// DANGEROUS: take over the compaction lock whoever holds it, even a live or unreadable one. Only for a
    /// holder you know is gone (another host that died); a live holder stops at its next lease check, but a
    /// step it is executing at that instant may still run alongside this one
    #[arg(long)]
    pub break_lock: bool,
    /// Where S3 outputs are staged before upload
    /// [default: $XDG_STATE_HOME/prestige or ~/.local/state/prestige]
    #[arg(long, env = "PRESTIGE_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

impl CompactArgs {
    fn options(&self, ctx: &Context) -> anyhow::Result<CompactOptions> {
        let prefix_arg = self.prefix.clone().unwrap_or_default();
        if self.deduplicate && !self.dedup_key.is_empty() {
            return Err(Error::Config("--deduplicate and --dedup-key exclude each other (without --table)".into()).into());
        }
        if self.dedup_key.is_empty() != self.order_by.is_none() {
            return Err(Error::Config("--dedup-key and --order-by go together (without --table)".into()).into());
        }
        let (location, prefix) = match (&self.location, &self.bucket) {
            (Some(l), _) => (Location::parse(l)?, prefix_arg.trim_matches('/').to_string()),
            (None, Some(b)) => (Location::parse(&format!("s3://{b}"))?, prefix_arg.trim_matches('/').to_string()),
            (None, None) => return Err(Error::Config("give a LOCATION or --bucket".into()).into()),
        };
        if prefix.is_empty() || prefix.ends_with('/') {
            return Err(Error::Config(format!("invalid --prefix {:?}", self.prefix)).into());
        }
        let now = chrono::Utc::now().timestamp_millis();
        let time = |t: &Option<String>| -> anyhow::Result<Option<i64>> {
            Ok(match t {
                Some(t) => Some(parse_time(t, now).map_err(Error::Config)?),
                None => None,
            })
        };
        if self.lock_ttl < Duration::from_secs(1) {
            return Err(Error::Config(format!("--lock-ttl {:?} is too short (at least 1s)", self.lock_ttl)).into());
        }
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(CompactOptions {
            location,
            prefix,
            start_ms: time(&self.start)?,
            end_ms: time(&self.end)?,
            target_bytes: self.target_bytes,
            parquet: ParquetSettings {
                compression: self.compression,
                row_group_rows: self.row_group_size as usize,
                // Two encoder threads per core even out columns that cost more than others.
                encode_threads: cores * 2,
            },
            include_compacted: self.include_compacted,
            keep_originals: self.keep_originals,
            plan: self.plan,
            dedup: match (&self.dedup_key, &self.order_by) {
                (k, Some(o)) if !k.is_empty() => Some(Dedup::Key { columns: k.clone(), order_by: o.clone() }),
                _ if self.deduplicate => Some(Dedup::Exact),
                _ => None,
            },
            dedup_memory: self.dedup_memory,
            lock_ttl: self.lock_ttl,
            break_lock: self.break_lock,
            state_dir: self.state_dir.clone().unwrap_or_else(crate::engine::ingest::default_state_dir),
            s3: ctx.s3.clone(),
        })
    }
}

pub async fn run(args: CompactArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    if let Some(name) = args.iceberg.table.clone() {
        return run_table(&name, args, ctx).await;
    }
    let opts = args.options(ctx)?;
    let what = format!("compact {}", opts.location);
    let progress = Arc::new(render::TermProgress::new(ctx.progress));
    let report = compact::compact(opts, progress).await.with_context(|| format!("{what} --prefix {}", args.prefix.as_deref().unwrap_or_default()))?;
    render::print_report(ctx.format, &report, table)?;
    // Inputs left out for a schema conflict were not compacted: a partial result, like failed deletions.
    let conflicts = report.skipped.iter().any(|s| s.kind == SkipKind::SchemaConflict);
    Ok(ExitCode::from(if report.deletion_failures.is_empty() && !conflicts { exit::OK } else { exit::PARTIAL }))
}

fn table(r: &CompactReport) -> String {
    let mut s = String::new();
    if let Some(rec) = &r.recovered {
        s.push_str(&format!("an interrupted compaction was {}\n", rec.replace('_', " ")));
    }
    if r.status == "nothing_to_do" {
        s.push_str(&format!("{} {}: nothing to compact", r.location, r.prefix));
    } else {
        let mut t = render::table(&["output", "rows", "size"]);
        for o in &r.outputs {
            t.add_row(vec![o.location.clone(), o.rows.to_string(), render::bytes(o.bytes)]);
        }
        s.push_str(&t.to_string());
        s.push_str(&format!(
            "\n{}{} ({}) → {} ({}), {}, {} removed",
            if r.status == "plan" { "plan: " } else { "" },
            render::count(r.files_processed as u64, "file", "files"),
            render::bytes(r.bytes_before),
            render::count(r.files_created as u64, "file", "files"),
            render::bytes(r.bytes_after),
            render::count(r.records_consolidated, "row", "rows"),
            render::count(r.duplicate_records_eliminated, "duplicate", "duplicates")
        ));
    }
    for k in &r.skipped {
        s.push_str(&format!("\nskipped {}: {}", k.key, k.reason));
    }
    for d in &r.deletion_failures {
        s.push_str(&format!("\ncould not delete {}: {} (a rerun retries)", d.key, d.error));
    }
    s
}

/// `compact --table`: the Iceberg side.
#[derive(Debug, Args)]
#[command(next_help_heading = "Iceberg (--table)")]
pub struct TableCompactArgs {
    /// Compact this Iceberg table (NAMESPACE.TABLE) of the catalog (--catalog): rewrite its small files per
    /// partition into target-sized ones as a `replace` snapshot, deletes applied
    #[arg(long, value_name = "TABLE", conflicts_with_all = ["start", "end", "include_compacted", "keep_originals", "break_lock"])]
    pub table: Option<String>,
    /// Branch to compact
    #[arg(long, default_value = "main", value_name = "NAME", requires = "table")]
    pub branch: String,
    /// Output file size [default: the table's write.target-file-size-bytes, else 512MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_size, requires = "table")]
    pub target_file_size: Option<u64>,
    /// Files smaller than this are rewritten [default: 75% of the target]
    #[arg(long, value_name = "SIZE", value_parser = parse_size, requires = "table")]
    pub min_file_size: Option<u64>,
    /// Files larger than this are split [default: 180% of the target]
    #[arg(long, value_name = "SIZE", value_parser = parse_size, requires = "table")]
    pub max_file_size: Option<u64>,
    /// A partition is rewritten when it has at least this many candidate files
    #[arg(long, default_value_t = 5, value_name = "N", requires = "table")]
    pub min_input_files: usize,
    /// Files with at least this many delete files applying to them are rewritten whatever their size
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), requires = "table")]
    pub delete_file_threshold: Option<u64>,
    /// Rewrite every file of the selected partitions
    #[arg(long, requires = "table")]
    pub rewrite_all: bool,
    /// Only files that may hold rows matching this SQL expression (partition values and column statistics);
    /// whole files are rewritten
    #[arg(long = "where", value_name = "EXPR", requires = "table")]
    pub filter: Option<String>,
    /// Commit each partition group as soon as it is rewritten (a long run keeps what it finished)
    #[arg(long, requires = "table")]
    pub partial_progress: bool,
}

/// The table's `write.parquet.compression-codec` (and `-level`), zstd when unset.
fn table_compression(m: &iceberg::spec::TableMetadata) -> anyhow::Result<Compression> {
    let p = m.properties();
    let codec = p.get("write.parquet.compression-codec").map(|c| c.to_ascii_lowercase()).unwrap_or_else(|| "zstd".into());
    let text = match p.get("write.parquet.compression-level") {
        Some(l) if matches!(codec.as_str(), "zstd" | "gzip") => format!("{codec}:{l}"),
        _ => codec,
    };
    parse_compression(&text).map_err(|e| Error::Config(format!("table property write.parquet.compression-codec: {e}")).into())
}

async fn run_table(name: &str, args: CompactArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    use crate::engine::iceberg::catalog;
    use crate::engine::iceberg::compact::{DedupOptions, TableCompactOptions, compact_table};
    if (!args.dedup_key.is_empty() || args.order_by.is_some()) && !args.deduplicate {
        return Err(Error::Config("--dedup-key and --order-by apply with --deduplicate".into()).into());
    }
    let ident = catalog::parse_table_ident(name)?;
    let cat = catalog::open(&ctx.catalog, &ctx.s3).await?;
    let table = cat.load_table(&ident).await?;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let a = &args.iceberg;
    let opts = TableCompactOptions {
        branch: a.branch.clone(),
        target_bytes: a.target_file_size,
        min_file_bytes: a.min_file_size,
        max_file_bytes: a.max_file_size,
        min_input_files: a.min_input_files,
        delete_file_threshold: a.delete_file_threshold.map(|n| n as usize),
        rewrite_all: a.rewrite_all,
        filter: a.filter.clone(),
        dedup: args.deduplicate.then(|| DedupOptions { key: args.dedup_key.clone(), order_by: args.order_by.clone() }),
        partial_progress: a.partial_progress,
        plan: args.plan,
        parquet: ParquetSettings {
            compression: table_compression(&table.metadata)?,
            row_group_rows: args.row_group_size as usize,
            encode_threads: cores,
        },
        staging_dir: args.state_dir.clone().unwrap_or_else(crate::engine::ingest::default_state_dir),
    };
    let progress = Arc::new(render::TermProgress::new(ctx.progress));
    let report = compact_table(cat, table, &opts, progress).await.with_context(|| format!("compact --table {name}"))?;
    render::print_report(ctx.format, &report, table_view)?;
    let conflicts_only = report.failed_groups.iter().all(|g| g.kind == "conflict");
    Ok(ExitCode::from(match (report.failed_groups.is_empty(), report.commits.is_empty()) {
        (true, _) => exit::OK,
        (false, false) => exit::PARTIAL,
        (false, true) if conflicts_only => exit::CONFLICT,
        (false, true) => exit::PARTIAL,
    }))
}

fn table_view(r: &crate::engine::iceberg::compact::TableCompactReport) -> String {
    if r.partitions.is_empty() {
        return format!("{} ({}): nothing to compact", r.table, r.branch);
    }
    let mut t = render::table(&["partition", "files", "size", "→ files", "→ size", "deletes dropped", "status"]);
    for p in &r.partitions {
        t.add_row(vec![
            p.partition.clone(),
            p.rewritten_data_files_count.to_string(),
            render::bytes(p.rewritten_bytes_count),
            p.added_data_files_count.to_string(),
            if p.status == "planned" { "-".into() } else { render::bytes(p.added_bytes_count) },
            p.removed_delete_files_count.to_string(),
            p.status.clone(),
        ]);
    }
    let mut s = t.to_string();
    s.push_str(&format!(
        "\n{}{} ({}) → {} ({}), {}{}",
        if r.status == "plan" { "plan: " } else { "" },
        render::count(r.rewritten_data_files_count, "file", "files"),
        render::bytes(r.rewritten_bytes_count),
        render::count(r.added_data_files_count, "file", "files"),
        render::bytes(r.added_bytes_count),
        match r.rows {
            Some(n) => render::count(n, "row", "rows"),
            None => render::count(r.input_rows, "row before deletes", "rows before deletes"),
        },
        if r.duplicates_removed > 0 { format!(", {} removed", render::count(r.duplicates_removed, "duplicate", "duplicates")) } else { String::new() },
    ));
    if !r.commits.is_empty() {
        let ids: Vec<String> = r.commits.iter().map(|c| c.to_string()).collect();
        s.push_str(&format!("\nsnapshots {} (was {})", ids.join(", "), r.previous_snapshot_id.map_or("-".into(), |i| i.to_string())));
    }
    for g in &r.failed_groups {
        s.push_str(&format!("\nnot compacted: {} ({} files): {}", g.partition, g.files, g.reason));
    }
    s
}
