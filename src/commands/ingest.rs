//! `prestige ingest`: NDJSON from stdin or files → rotating Parquet files in a directory or on S3.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use parquet::basic::Compression;

use super::render;
use super::{Context, exit};
use crate::engine::ingest::{self, BadLineLimit, BadLinePolicy, IngestOptions, IngestReport, IngestStatus, Input};
use crate::engine::sink::{ParquetSettings, RotationPolicy, parse_compression};
use crate::engine::error::Error;
use crate::engine::iceberg::append::TableTarget;
use crate::engine::iceberg::catalog;
use crate::engine::iceberg::table::CreateOptions;
use crate::engine::storage::Location;
use crate::engine::units::{parse_duration, parse_size};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnError {
    /// Stop at the first bad line, naming file and line (rows before it are kept)
    Fail,
    /// Drop bad lines and count them in the report
    Skip,
    /// Write bad lines to --dead-letter as NDJSON {file, line, error, raw} and count them
    DeadLetter,
}

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:\n  cat events.ndjson | prestige ingest --to ./lake --prefix events\n  \
prestige ingest logs/*.ndjson.gz --to s3://bucket/raw --prefix events --max-bytes 128MiB --schema events.schema.json")]
pub struct IngestArgs {
    /// NDJSON files (.gz and .zst are decompressed); none or `-` reads stdin
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Destination: a local directory or s3://bucket/dir
    #[arg(long, value_name = "DEST", required_unless_present = "table", conflicts_with = "table")]
    pub to: Option<String>,
    /// Append to this Iceberg table (NAMESPACE.TABLE) of the catalog (--catalog) instead of writing files
    #[arg(long, value_name = "TABLE", help_heading = "Iceberg")]
    pub table: Option<String>,
    /// Create the table (and its namespace) if it does not exist, with --schema or the inferred schema
    #[arg(long, requires = "table", help_heading = "Iceberg")]
    pub create: bool,
    /// With --create: partition spec, e.g. "day(ts), bucket(16, id), truncate(4, name), region"
    #[arg(long, value_name = "SPEC", requires = "create", help_heading = "Iceberg")]
    pub partition_by: Option<String>,
    /// With --create: sort order, e.g. "ts desc nulls last, id"
    #[arg(long, value_name = "SPEC", requires = "create", help_heading = "Iceberg")]
    pub sort_by: Option<String>,
    /// With --create: identifier (primary key) columns, comma-separated
    #[arg(long, value_name = "COLS", requires = "create", value_delimiter = ',', help_heading = "Iceberg")]
    pub identifier: Vec<String>,
    /// With --create: a table property K=V (repeatable)
    #[arg(long, value_name = "K=V", requires = "create", value_parser = parse_property, help_heading = "Iceberg")]
    pub property: Vec<(String, String)>,
    /// Commit at least this often while input keeps arriving (same as --max-age for a table)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "table", help_heading = "Iceberg")]
    pub commit_interval: Option<Duration>,
    /// Commit to this branch instead of main (created at main's head if missing); `scan --table --ref` reads it
    /// and `prestige publish` makes it visible on main
    #[arg(long, value_name = "NAME", requires = "table", help_heading = "Iceberg")]
    pub branch: Option<String>,
    /// Put `wap.id` = ID into every snapshot's summary (write-audit-publish: `prestige publish --wap-id ID`)
    #[arg(long, value_name = "ID", requires = "table", help_heading = "Iceberg")]
    pub wap_id: Option<String>,
    /// Add new keys of the input (--schema, or the first lines of the first file) as new optional columns, and
    /// widen int→long, float→double, decimal precision; committed before the data. Never drops or renames
    #[arg(long, requires = "table", help_heading = "Iceberg")]
    pub evolve_schema: bool,
    /// Most partition files open at once; past it the least recently used is finished and committed next
    #[arg(long, default_value_t = 64, value_name = "N", requires = "table", help_heading = "Iceberg")]
    pub max_open_files: usize,
    /// File name prefix: files are named PREFIX.{timestamp_millis}.{writer}-{seq}.parquet (may contain `/`)
    #[arg(long, default_value = "data", value_name = "NAME")]
    pub prefix: String,
    /// Schema file (JSON, see README); without it the schema is inferred from the first lines
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Lines used to infer the schema when --schema is not given
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub infer_rows: usize,
    /// Close a file after this many rows
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_rows: Option<u64>,
    /// Close a file when it reaches about this size on disk (e.g. 128MiB)
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_bytes: Option<u64>,
    /// Close a file open this long even when no new input arrives (e.g. 30s, 5m)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_age: Option<Duration>,
    /// Parquet compression: zstd[:level], snappy, gzip[:level], lz4, none [default: zstd; for a table, its
    /// write.parquet.compression-codec and -level]
    #[arg(long, value_name = "CODEC", value_parser = parse_compression)]
    pub compression: Option<Compression>,
    /// Rows per Parquet row group
    #[arg(long, default_value_t = 1 << 20, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub row_group_rows: u64,
    /// What to do with a line that cannot be loaded
    #[arg(long, value_enum, default_value_t = OnError::Fail)]
    pub on_error: OnError,
    /// Dead-letter file (NDJSON); implies --on-error dead-letter
    #[arg(long, value_name = "PATH")]
    pub dead_letter: Option<PathBuf>,
    /// Longest accepted line
    #[arg(long, default_value = "64MiB", value_name = "SIZE", value_parser = parse_size)]
    pub max_line_bytes: u64,
    /// Where resume journals (and S3 staging files) are kept
    /// [default: $XDG_STATE_HOME/prestige or ~/.local/state/prestige]
    #[arg(long, env = "PRESTIGE_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Forget an earlier run of the same inputs and ingest them again from the start; refused while files of
    /// that run are still at the destination (their rows would be written twice) unless --force is given
    #[arg(long)]
    pub restart: bool,
    /// With --restart: start over even though files of the earlier run are still at the destination
    #[arg(long, requires = "restart")]
    pub force: bool,
    /// Fail (exit 4, input not marked done) when more lines than this are bad: a count, or a percentage of the
    /// lines read (e.g. 100 or 0.5%); only with --on-error skip or dead-letter
    #[arg(long, value_name = "N|P%", value_parser = parse_bad_line_limit)]
    pub max_bad_lines: Option<BadLineLimit>,
    /// Files uploaded to S3 at once while the next file is written
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=64))]
    pub upload_concurrency: u64,
    /// Multipart part size for S3 uploads
    #[arg(long, default_value = "8MiB", value_name = "SIZE", value_parser = parse_size)]
    pub part_size: u64,
    /// Decoding threads [default: number of cores]; columns are encoded on two threads per core
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    pub threads: Option<u64>,
}

fn parse_property(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

fn parse_bad_line_limit(text: &str) -> Result<BadLineLimit, String> {
    match text.strip_suffix('%') {
        Some(p) => match p.trim().parse::<f64>() {
            Ok(v) if (0.0..=100.0).contains(&v) => Ok(BadLineLimit::Percent(v)),
            _ => Err(format!("invalid percentage {text:?} (0%..100%)")),
        },
        None => text.trim().parse::<u64>().map(BadLineLimit::Count).map_err(|_| format!("invalid count {text:?}")),
    }
}

impl IngestArgs {
    fn options(&self) -> anyhow::Result<IngestOptions> {
        let inputs: Vec<Input> = if self.files.is_empty() {
            vec![Input::Stdin]
        } else {
            self.files.iter().map(|f| if f.as_os_str() == "-" { Input::Stdin } else { Input::File(f.clone()) }).collect()
        };
        let prefix = self.prefix.trim_matches('/').to_string();
        if prefix.is_empty() || prefix.split('/').any(|p| p.is_empty() || p == "." || p == "..") {
            return Err(crate::engine::error::Error::Config(format!("invalid --prefix {:?}", self.prefix)).into());
        }
        if self.part_size < 5 << 20 {
            return Err(crate::engine::error::Error::Config("--part-size must be at least 5MiB (an S3 limit)".into()).into());
        }
        let schema = match &self.schema {
            Some(p) => Some(crate::engine::schema::load_schema_file(p)?),
            None => None,
        };
        let on_error = match (self.on_error, &self.dead_letter) {
            (OnError::Fail, None) => BadLinePolicy::Fail,
            (OnError::Skip, None) => BadLinePolicy::Skip,
            (OnError::DeadLetter | OnError::Fail, Some(p)) => BadLinePolicy::DeadLetter(p.clone()),
            (OnError::DeadLetter, None) => {
                return Err(crate::engine::error::Error::Config("--on-error dead-letter needs --dead-letter PATH".into()).into());
            }
            (OnError::Skip, Some(_)) => {
                return Err(crate::engine::error::Error::Config("--dead-letter conflicts with --on-error skip".into()).into());
            }
        };
        if self.max_bad_lines.is_some() && on_error == BadLinePolicy::Fail {
            return Err(crate::engine::error::Error::Config(
                "--max-bad-lines needs --on-error skip or --dead-letter (with fail, the first bad line stops the run)".into(),
            )
            .into());
        }
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(IngestOptions {
            inputs,
            destination: match &self.to {
                Some(to) => Location::parse(to)?,
                None => Location::Local(PathBuf::from(".")),
            },
            prefix,
            schema,
            infer_rows: self.infer_rows.max(1),
            rotation: RotationPolicy {
                max_rows: self.max_rows,
                max_bytes: self.max_bytes,
                max_age: match (self.max_age, self.commit_interval) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                },
            },
            parquet: ParquetSettings {
                compression: self.compression.unwrap_or_else(|| parse_compression("zstd").expect("a valid codec")),
                row_group_rows: self.row_group_rows as usize,
                // Two encoder threads per core even out columns that cost more than others.
                encode_threads: cores * 2,
            },
            on_error,
            max_line_bytes: self.max_line_bytes as usize,
            state_dir: self.state_dir.clone().unwrap_or_else(ingest::default_state_dir),
            restart: self.restart,
            force: self.force,
            max_bad_lines: self.max_bad_lines.clone(),
            s3: Default::default(),
            upload_concurrency: self.upload_concurrency as usize,
            part_size: self.part_size,
            decode_threads: self.threads.map_or(cores, |t| t as usize),
            stop: Arc::new(Default::default()),
            table: None,
        })
    }
}

pub async fn run(args: IngestArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let mut opts = args.options()?;
    opts.s3 = ctx.s3.clone();
    let what = match &args.table {
        Some(name) => {
            let target = table_target(&args, name, &opts, ctx).await?;
            if args.evolve_schema {
                // The evolved table schema governs; the schema file only fed the evolution.
                opts.schema = None;
            }
            opts.destination = target.data_store_location()?;
            if args.compression.is_none() {
                opts.parquet.compression = table_compression(&target.table.metadata)?;
            }
            opts.s3 = target.table.s3.clone();
            opts.table = Some(target);
            format!("table {name}")
        }
        None => args.to.clone().unwrap_or_default(),
    };
    opts.stop = super::stop_on_signal("finishing the current file and uploads");
    let progress = Arc::new(render::TermProgress::new(ctx.progress));
    let report = ingest::ingest(opts, progress).await.with_context(|| format!("ingest into {what}"))?;
    render::print_report(ctx.format, &report, table)?;
    Ok(ExitCode::from(match report.status {
        IngestStatus::Interrupted => exit::INTERRUPTED,
        _ => exit::OK,
    }))
}

/// The table's `write.parquet.compression-codec` (and `-level`), zstd when unset.
fn table_compression(m: &iceberg::spec::TableMetadata) -> anyhow::Result<Compression> {
    let p = m.properties();
    let codec = p.get("write.parquet.compression-codec").map(|c| c.to_ascii_lowercase()).unwrap_or_else(|| "zstd".into());
    let text = match p.get("write.parquet.compression-level") {
        Some(l) if matches!(codec.as_str(), "zstd" | "gzip") => format!("{codec}:{l}"),
        _ => codec,
    };
    parse_compression(&text)
        .map_err(|e| Error::Config(format!("table property write.parquet.compression-codec: {e}")).into())
}

/// Opens the catalog and the table (creating it with --create), and decides file sizes.
async fn table_target(args: &IngestArgs, name: &str, opts: &IngestOptions, ctx: &Context) -> anyhow::Result<TableTarget> {
    let ident = catalog::parse_table_ident(name)?;
    let cat = catalog::open(&ctx.catalog, &ctx.s3).await?;
    let table = match cat.load_table(&ident).await {
        Ok(t) => {
            if args.create {
                tracing::info!("table {name} exists; --create has nothing to do");
            }
            t
        }
        Err(Error::Missing { what: "table", name: n, hint }) if !args.create => {
            return Err(Error::Missing {
                what: "table",
                name: n,
                hint: format!("{hint}; add --create (with --schema, or let the first lines decide) to create it"),
            }
            .into());
        }
        Err(Error::Missing { what: "table", .. }) => {
            let schema = match (&opts.schema, opts.inputs.first()) {
                (Some(s), _) => s.clone(),
                (None, Some(Input::File(p))) => ingest::infer_file_schema(p, opts.infer_rows)?,
                (None, _) => {
                    return Err(Error::Config(
                        "creating a table from stdin needs --schema (the schema cannot be inferred before the table \
                         exists)"
                            .into(),
                    )
                    .into());
                }
            };
            let create = CreateOptions {
                schema,
                partition_by: args.partition_by.clone(),
                sort_by: args.sort_by.clone(),
                identifier: args.identifier.clone(),
                properties: args.property.clone(),
                format_version: 2,
                location: None,
            };
            let t = crate::engine::iceberg::table::create(&*cat, &ident, &create).await?;
            tracing::info!("created table {name} at {}", t.metadata.location());
            t
        }
        Err(e) => return Err(e.into()),
    };
    let table = if args.evolve_schema {
        let incoming = match (&opts.schema, opts.inputs.first()) {
            (Some(s), _) => s.clone(),
            (None, Some(Input::File(p))) => ingest::infer_file_schema(p, opts.infer_rows)?,
            (None, _) => {
                return Err(Error::Config(
                    "--evolve-schema on stdin needs --schema (the new columns are committed before the data)".into(),
                )
                .into());
            }
        };
        let incoming = crate::engine::iceberg::spec::schema_from_arrow(&incoming)?;
        let (t, changed) = crate::engine::iceberg::evolve::evolve(&*cat, table, &incoming).await?;
        if changed {
            tracing::warn!("evolved the schema of {name}: {}", t.metadata.current_schema().as_struct());
        }
        t
    } else {
        table
    };
    let props = table.metadata.properties();
    let target_bytes = args
        .max_bytes
        .or_else(|| props.get("write.target-file-size-bytes").and_then(|v| v.parse().ok()))
        .unwrap_or(512 << 20);
    let branch = args.branch.clone().unwrap_or_else(|| "main".into());
    if branch.trim().is_empty() || args.wap_id.as_deref().is_some_and(|w| w.trim().is_empty()) {
        return Err(Error::Config("--branch and --wap-id need a non-empty name".into()).into());
    }
    let table = crate::engine::iceberg::append::ensure_branch(&*cat, table, &branch).await?;
    Ok(TableTarget {
        catalog: cat,
        table,
        branch,
        wap_id: args.wap_id.clone(),
        target_bytes,
        max_open_files: args.max_open_files.max(1),
    })
}

fn table(r: &IngestReport) -> String {
    if r.status == IngestStatus::AlreadyIngested {
        return format!("{}: these inputs were already ingested completely; nothing to do", r.destination);
    }
    let mut t = render::table(&["file", "rows", "size"]);
    for f in &r.files {
        t.add_row(vec![f.location.clone(), f.rows.to_string(), render::bytes(f.bytes)]);
    }
    let mut s = if r.files.is_empty() { String::from("no files written (no input rows)") } else { t.to_string() };
    s.push_str(&format!(
        "\n{}, {}, {} in {:.2}s ({:.0} rows/s)",
        render::count(r.files_written as u64, "file", "files"),
        render::count(r.rows, "row", "rows"),
        render::bytes(r.bytes),
        r.elapsed_ms as f64 / 1000.0,
        r.rows_per_sec
    ));
    if r.bad_lines_skipped + r.bad_lines_dead_lettered > 0 {
        s.push_str(&format!(
            "\nbad lines: {} skipped, {} dead-lettered",
            r.bad_lines_skipped, r.bad_lines_dead_lettered
        ));
    }
    if r.resumed {
        s.push_str(&format!("\nresumed an interrupted run; {} already ingested", render::count(r.lines_already_ingested, "line was", "lines were")));
    }
    if r.status == IngestStatus::Interrupted {
        s.push_str("\ninterrupted: rerun the same command to continue (file inputs)");
    }
    s
}

