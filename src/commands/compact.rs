//! `prestige compact`: merge a prefix's small Parquet files into target-sized `.c.parquet` files, safely.

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
prestige compact --bucket bucket --prefix raw/events --target-bytes 256MiB\n\n\
Files named PREFIX.{millis}[.*].parquet are selected (exactly this prefix); outputs are named\n\
PREFIX.{millis}.c.parquet. Originals are deleted only after every output is stored; an interrupted run is\n\
finished or undone by the next one (see README: compaction protocol). The lock PREFIX.compaction.lock is a
lease the running compaction renews; another run exits 6 while it is live, and takes it over once it expires
or at once when its holder was a process of this host that is gone.")]
pub struct CompactArgs {
    /// A local directory or s3://bucket/dir holding the files (or use --bucket)
    #[arg(value_name = "LOCATION", required_unless_present = "bucket")]
    pub location: Option<String>,
    /// S3 bucket; with it, --prefix may carry the folder (raw/events)
    #[arg(long, conflicts_with = "location")]
    pub bucket: Option<String>,
    /// File name prefix (exact match: `events` never selects `events_other.*`); may contain `/`
    #[arg(long, value_name = "NAME")]
    pub prefix: String,
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
    /// Remove rows that are exact duplicates across the whole window (the oldest copy is kept)
    #[arg(long, conflicts_with = "dedup_key")]
    pub deduplicate: bool,
    /// Keep one row per key (comma-separated columns): the one with the greatest --order-by value
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',', requires = "order_by")]
    pub dedup_key: Vec<String>,
    /// Column deciding which row of a key is newest (ties: the row from the newer file)
    #[arg(long, value_name = "COLUMN", requires = "dedup_key")]
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
        let (location, prefix) = match (&self.location, &self.bucket) {
            (Some(l), _) => (Location::parse(l)?, self.prefix.trim_matches('/').to_string()),
            (None, Some(b)) => (Location::parse(&format!("s3://{b}"))?, self.prefix.trim_matches('/').to_string()),
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
    let opts = args.options(ctx)?;
    let what = format!("compact {}", opts.location);
    let progress = Arc::new(render::TermProgress::new(ctx.progress));
    let report = compact::compact(opts, progress).await.with_context(|| format!("{what} --prefix {}", args.prefix))?;
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
