//! `prestige scan`: read Parquet files or S3 objects — or an Iceberg table (`--table`, at a snapshot, ref, time
//! or as the rows appended between two snapshots) — with a projection, a SQL filter and a limit; print the rows
//! (table, JSON, NDJSON, CSV or Parquet), the schema, or the row count.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use clap::Args;

use super::render::{self, Format};
use super::{Context, exit};
use crate::engine::error::Error;
use crate::engine::iceberg::catalog::{self, parse_table_ident};
use crate::engine::iceberg::scan::{self as table_scan, SnapshotChoice, TableScanOptions};
use crate::engine::progress::Progress;
use crate::engine::scan::{self, ScanOptions};
use crate::engine::schema::schema_to_json;
use crate::engine::units::parse_time;

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:\n  prestige scan ./lake --prefix events --where \"status = 'error'\" --limit 20\n  \
prestige scan s3://bucket/raw --prefix events --start 1h --columns id,ts,geo.country --format csv\n  \
prestige scan 'out/*.parquet' --where \"ts >= TIMESTAMP '2024-05-01 00:00:00' AND id IN (1, 2)\" --count\n  \
prestige scan ./lake --schema\n  \
prestige scan --table logs.events --where \"level = 'error'\" --columns ts,msg --at-timestamp 2h\n  \
prestige scan --table logs.events --since-snapshot 6147 --until-snapshot 8811 --format ndjson\n\n\
--where takes a SQL condition: = <> < <= > >=, AND, OR, NOT, IN (...), BETWEEN, IS [NOT] NULL, [NOT] LIKE,\n\
ILIKE; literals: numbers, 'strings', true/false, NULL, DATE '2024-05-01', TIMESTAMP '2024-05-01 12:00:00'\n\
(a plain string compared with a date or timestamp column is read as one). It is checked against row-group\n\
statistics and page indexes first, so data that cannot match is never read.\n\n\
With --table, rows come from an Iceberg table in --catalog: the current snapshot, or --snapshot-id, --ref,\n\
--at-timestamp (the snapshot current on main then, from the table's snapshot log), or the rows appended by\n\
`append` snapshots after --since-snapshot up to --until-snapshot (an overwrite or delete snapshot in that\n\
range is an error). Position and equality deletes are applied; tables with v3 deletion vectors are refused.\n\
--where prunes partitions, manifests and files through Iceberg's statistics and is then applied exactly.\n\
An unknown table, snapshot or ref exits 5; --at-timestamp before the first snapshot exits 2.")]
pub struct ScanArgs {
    /// Parquet files, directories, glob patterns ('data/*.parquet'), s3://bucket/key.parquet or s3://bucket/dir
    #[arg(value_name = "LOCATION", required_unless_present = "table")]
    pub locations: Vec<String>,
    /// Read an Iceberg table (NAMESPACE.NAME in --catalog) instead of Parquet files
    #[arg(long, value_name = "TABLE", conflicts_with_all = ["locations", "prefix"], help_heading = "Iceberg")]
    pub table: Option<String>,
    /// With --table: read this snapshot (`prestige snapshot list TABLE` shows them)
    #[arg(long, value_name = "ID", requires = "table", allow_negative_numbers = true, help_heading = "Iceberg")]
    pub snapshot_id: Option<i64>,
    /// With --table: read the snapshot a branch or tag points at
    #[arg(long = "ref", value_name = "NAME", requires = "table", conflicts_with = "snapshot_id", help_heading = "Iceberg")]
    pub ref_name: Option<String>,
    /// With --table: read the snapshot that was current on main at TIME (RFC 3339, epoch s/ms, or a duration
    /// ago like 2h)
    #[arg(long, value_name = "TIME", requires = "table", conflicts_with_all = ["snapshot_id", "ref_name"], help_heading = "Iceberg")]
    pub at_timestamp: Option<String>,
    /// With --table: only rows appended after this snapshot (exclusive)
    #[arg(long, value_name = "ID", requires = "table", conflicts_with_all = ["snapshot_id", "ref_name", "at_timestamp"],
          allow_negative_numbers = true, help_heading = "Iceberg")]
    pub since_snapshot: Option<i64>,
    /// With --since-snapshot: the last snapshot of the range (inclusive) [default: the current snapshot]
    #[arg(long, value_name = "ID", requires = "since_snapshot", allow_negative_numbers = true, help_heading = "Iceberg")]
    pub until_snapshot: Option<i64>,
    /// Only files named NAME.{millis}[.*].parquet in each location (exact prefix; may contain a folder)
    #[arg(long, value_name = "NAME")]
    pub prefix: Option<String>,
    /// With --prefix: files whose timestamp is after this (RFC 3339, epoch s/ms, or a duration ago like 2h)
    #[arg(long, value_name = "TIME", requires = "prefix")]
    pub start: Option<String>,
    /// With --prefix: files whose timestamp is up to and including this
    #[arg(long, value_name = "TIME", requires = "prefix")]
    pub end: Option<String>,
    /// Columns to print, comma-separated; a struct field as parent.field [default: all]
    #[arg(long, short = 'c', value_name = "COLUMNS", value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// SQL condition rows must meet, e.g. "status = 'error' AND ts >= '2024-05-01T00:00:00Z'"
    #[arg(long = "where", short = 'w', value_name = "EXPR")]
    pub filter: Option<String>,
    /// Stop after N rows
    #[arg(long, short = 'n', value_name = "N")]
    pub limit: Option<u64>,
    /// Write to FILE instead of stdout (format from the extension unless --format is given)
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print the unified schema of the selected files (with --table: of the snapshot read) instead of rows
    #[arg(long, conflicts_with = "count")]
    pub schema: bool,
    /// Print only the number of matching rows
    #[arg(long)]
    pub count: bool,
    /// At the end, print what was read (files and row groups pruned, bytes read) as one JSON line on stderr
    #[arg(long)]
    pub stats: bool,
    /// Files read at once [default: two per core locally, 16 on S3]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    pub concurrency: Option<u64>,
    /// Rows per batch while reading
    #[arg(long, default_value_t = 8192, value_name = "N", hide = true)]
    pub batch_size: usize,
}

/// Rows shown by the table format; the footer still counts them all.
const TABLE_ROWS: usize = 1000;
/// Longer cell values are cut in the table format.
const TABLE_CELL_CHARS: usize = 40;

impl ScanArgs {
    fn options(&self, ctx: &Context) -> anyhow::Result<ScanOptions> {
        let now = chrono::Utc::now().timestamp_millis();
        let time = |t: &Option<String>| -> anyhow::Result<Option<i64>> {
            Ok(match t {
                Some(t) => Some(parse_time(t, now).map_err(Error::Config)?),
                None => None,
            })
        };
        let prefix = self.prefix.as_ref().map(|p| p.trim_matches('/').to_string());
        if prefix.as_deref().is_some_and(str::is_empty) {
            return Err(Error::Config("--prefix must name files, e.g. --prefix events".into()).into());
        }
        Ok(ScanOptions {
            locations: self.locations.clone(),
            prefix,
            start_ms: time(&self.start)?,
            end_ms: time(&self.end)?,
            columns: self.columns.clone(),
            filter: self.filter.clone(),
            limit: self.limit,
            batch_size: self.batch_size,
            concurrency: self.concurrency.map(|c| c as usize),
            s3: ctx.s3.clone(),
        })
    }

    /// Rows go to a terminal as a table and to pipes as NDJSON; `--out` picks by extension (and compression by a
    /// `.gz` / `.zst` suffix). An extension that names no format is refused unless `--format` is given, and one
    /// that disagrees with `--format` always is: output is never written in a format the name does not say.
    fn format(&self, ctx: &Context) -> Result<(Format, Codec), Error> {
        let Some(out) = &self.out else {
            let f = ctx.format_choice.unwrap_or(if std::io::stdout().is_terminal() { Format::Table } else { Format::Ndjson });
            return Ok((f, Codec::None));
        };
        let name = out.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
        let (stem, codec) = match (name.strip_suffix(".gz"), name.strip_suffix(".zst")) {
            (Some(stem), _) => (stem, Codec::Gzip),
            (_, Some(stem)) => (stem, Codec::Zstd),
            _ => (name.as_str(), Codec::None),
        };
        let ext = stem.rsplit_once('.').map(|(_, e)| e).filter(|e| !e.is_empty());
        let named = match ext {
            Some("parquet") => Some(Format::Parquet),
            Some("csv") => Some(Format::Csv),
            Some("json") => Some(Format::Json),
            Some("ndjson" | "jsonl") => Some(Format::Ndjson),
            _ => None,
        };
        let shown = match (ext, codec) {
            (Some(e), Codec::None) => format!(".{e}"),
            (Some(e), c) => format!(".{e}{}", c.suffix()),
            (None, Codec::None) => "no extension".to_string(),
            (None, c) => c.suffix().to_string(),
        };
        let format = match (ctx.format_choice, named) {
            (Some(f), Some(n)) if f != n => {
                return Err(Error::Config(format!(
                    "--out {}: the extension {shown} says {}, but --format says {}; make them agree",
                    out.display(),
                    format_name(n),
                    format_name(f)
                )));
            }
            (Some(f), _) | (None, Some(f)) => f,
            (None, None) => {
                return Err(Error::Config(format!(
                    "--out {}: {shown} is not a format scan writes (supported: {SUPPORTED_OUT}); rename the file or give --format",
                    out.display()
                )));
            }
        };
        if format == Format::Parquet && codec != Codec::None {
            return Err(Error::Config(format!(
                "--out {}: Parquet output is compressed inside the file (zstd); name it .parquet without {}",
                out.display(),
                codec.suffix()
            )));
        }
        Ok((format, codec))
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Table => "table",
        Format::Json => "json",
        Format::Ndjson => "ndjson",
        Format::Csv => "csv",
        Format::Parquet => "parquet",
    }
}

/// The `--out` extensions scan recognises.
const SUPPORTED_OUT: &str = ".parquet, .csv, .json, .ndjson, .jsonl, .csv.gz, .json.gz, .ndjson.gz, .jsonl.gz, .csv.zst, \
.json.zst, .ndjson.zst, .jsonl.zst";

/// Compression of a `--out` file, from its last extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    None,
    Gzip,
    Zstd,
}

impl Codec {
    fn suffix(self) -> &'static str {
        match self {
            Codec::None => "",
            Codec::Gzip => ".gz",
            Codec::Zstd => ".zst",
        }
    }
}

pub async fn run(args: ScanArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let (format, codec) = args.format(ctx)?;
    if format == Format::Parquet && args.out.is_none() && std::io::stdout().is_terminal() {
        return Err(Error::Config("--format parquet writes binary data: give --out FILE or redirect stdout".into()).into());
    }
    if let Some(table) = args.table.clone() {
        return run_table(args, ctx, table, format, codec).await;
    }
    let opts = args.options(ctx)?;
    let what = format!("scan {}", args.locations.join(" "));
    let plan = scan::plan(&opts).await.with_context(|| what.clone())?;
    let stats = plan.stats();
    let out = args.out.as_deref().map(|p| (p, codec));
    let result = if args.schema {
        print_schema(&plan.schema, format, out)
    } else if args.count {
        let n = plan.count().await.with_context(|| what.clone())?;
        print_count(n, format, out)
    } else {
        let stream = plan.execute();
        let progress = stream.stats();
        let rows = Rows {
            schema: stream.schema.clone(),
            batches: stream.batches,
            bytes_total: progress.snapshot().bytes_total,
            bytes_read: Box::new(move || progress.snapshot().bytes_read),
        };
        write_rows(rows, format, args.out.clone().map(|p| (p, codec)), ctx.progress).await.with_context(|| what.clone())
    };
    tracing::info!("{what}: {}", serde_json::to_string(&stats.snapshot())?);
    result?;
    // Only a complete scan reports what it read: a failed one must not look like a finished one.
    if args.stats {
        eprintln!("{}", serde_json::to_string(&stats.snapshot())?);
    }
    Ok(ExitCode::from(exit::OK))
}

impl ScanArgs {
    /// Which rows of the table `--snapshot-id`, `--ref`, `--at-timestamp` and `--since-snapshot` choose.
    fn snapshot_choice(&self) -> anyhow::Result<SnapshotChoice> {
        Ok(if let Some(since) = self.since_snapshot {
            SnapshotChoice::Incremental { since, until: self.until_snapshot }
        } else if let Some(id) = self.snapshot_id {
            SnapshotChoice::Id(id)
        } else if let Some(r) = &self.ref_name {
            SnapshotChoice::Ref(r.clone())
        } else if let Some(t) = &self.at_timestamp {
            let now = chrono::Utc::now().timestamp_millis();
            SnapshotChoice::AsOf(parse_time(t, now).map_err(|e| Error::Config(format!("--at-timestamp: {e}")))?)
        } else {
            SnapshotChoice::Current
        })
    }
}

/// `scan --table`: the same outputs as the Parquet scan, from an Iceberg table.
async fn run_table(args: ScanArgs, ctx: &Context, name: String, format: Format, codec: Codec) -> anyhow::Result<ExitCode> {
    let what = format!("scan --table {name}");
    let ident = parse_table_ident(&name)?;
    let opts = TableScanOptions {
        snapshot: args.snapshot_choice()?,
        columns: args.columns.clone(),
        filter: args.filter.clone(),
        limit: args.limit,
        batch_size: args.batch_size,
        concurrency: args.concurrency.map(|c| c as usize),
    };
    let cat = catalog::open(&ctx.catalog, &ctx.s3).await?;
    let table = cat.load_table(&ident).await?;
    let plan = table_scan::plan(&table, &opts).await.with_context(|| what.clone())?;
    let stats = plan.stats();
    let out = args.out.as_deref().map(|p| (p, codec));
    let result = if args.schema {
        print_schema(&plan.schema, format, out)
    } else if args.count {
        let n = plan.count().await.with_context(|| what.clone())?;
        print_count(n, format, out)
    } else {
        let stream = plan.execute();
        let progress = stream.stats();
        let rows = Rows {
            schema: stream.schema.clone(),
            batches: stream.batches,
            bytes_total: progress.snapshot().bytes_total,
            bytes_read: Box::new(move || progress.snapshot().bytes_read),
        };
        write_rows(rows, format, args.out.clone().map(|p| (p, codec)), ctx.progress).await.with_context(|| what.clone())
    };
    tracing::info!("{what}: {}", serde_json::to_string(&stats.snapshot())?);
    result?;
    if args.stats {
        eprintln!("{}", serde_json::to_string(&stats.snapshot())?);
    }
    Ok(ExitCode::from(exit::OK))
}

/// Batches to print — from the Parquet scan or a table scan — and how far reading has got.
struct Rows {
    schema: SchemaRef,
    batches: tokio::sync::mpsc::Receiver<crate::engine::error::Result<RecordBatch>>,
    bytes_total: u64,
    bytes_read: Box<dyn Fn() -> u64 + Send>,
}

/// A destination that must be finished explicitly (a compressed stream writes its trailer then).
trait OutWrite: Write + Send {
    fn finish(self: Box<Self>) -> std::io::Result<()>;
}

impl<W: Write + Send> OutWrite for std::io::BufWriter<W> {
    fn finish(mut self: Box<Self>) -> std::io::Result<()> {
        self.flush()
    }
}

impl OutWrite for std::io::Sink {
    fn finish(self: Box<Self>) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: Write + Send> OutWrite for flate2::write::GzEncoder<W> {
    fn finish(self: Box<Self>) -> std::io::Result<()> {
        (*self).finish()?.flush()
    }
}

impl<W: Write + Send> OutWrite for zstd::stream::write::Encoder<'static, W> {
    fn finish(self: Box<Self>) -> std::io::Result<()> {
        (*self).finish()?.flush()
    }
}

/// Where output goes: stdout, or a hidden temp file beside `--out` that is renamed into place only when
/// complete (a failed scan leaves no partial file), compressed as its name says.
struct Output {
    writer: Box<dyn OutWrite>,
    /// (temp file, final path) for `--out`.
    file: Option<(PathBuf, PathBuf)>,
}

impl Output {
    fn open(out: Option<(&Path, Codec)>) -> anyhow::Result<Self> {
        let Some((path, codec)) = out else {
            return Ok(Self { writer: Box::new(std::io::BufWriter::with_capacity(1 << 20, std::io::stdout())), file: None });
        };
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let f = std::fs::File::create(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
        let file = Some((tmp.clone(), path.to_path_buf()));
        let buffered = std::io::BufWriter::with_capacity(1 << 20, f);
        let writer: Box<dyn OutWrite> = match codec {
            Codec::None => Box::new(buffered),
            Codec::Gzip => Box::new(flate2::write::GzEncoder::new(buffered, flate2::Compression::default())),
            Codec::Zstd => Box::new(zstd::stream::write::Encoder::new(buffered, 0).map_err(|e| Error::io("compress", &tmp, e))?),
        };
        Ok(Self { writer, file })
    }

    /// Finishes the stream, and moves a `--out` file into place.
    fn close(mut self, writer: Option<Box<dyn OutWrite>>) -> anyhow::Result<()> {
        let w = match writer {
            Some(w) => w,
            None => std::mem::replace(&mut self.writer, Box::new(std::io::sink())),
        };
        w.finish()?;
        if let Some((tmp, dest)) = self.file.take() {
            std::fs::rename(&tmp, &dest).map_err(|e| Error::io("rename", &dest, e))?;
        }
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Some((tmp, _)) = &self.file {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

fn print_schema(schema: &Schema, format: Format, out: Option<(&Path, Codec)>) -> anyhow::Result<()> {
    let mut o = Output::open(out)?;
    let w = &mut o.writer;
    let doc = schema_to_json(schema);
    match format {
        Format::Json => writeln!(w, "{}", serde_json::to_string_pretty(&doc)?)?,
        Format::Ndjson => writeln!(w, "{}", serde_json::to_string(&doc)?)?,
        Format::Parquet => return Err(Error::Config("--schema prints as table, json, ndjson or csv".into()).into()),
        Format::Table | Format::Csv => {
            let fields = doc["fields"].as_array().cloned().unwrap_or_default();
            if format == Format::Csv {
                writeln!(w, "name,type,nullable")?;
                for f in fields {
                    writeln!(w, "{},\"{}\",{}", f["name"].as_str().unwrap_or(""), f["type"].as_str().unwrap_or(""), f["nullable"])?;
                }
            } else {
                let mut t = render::table(&["column", "type", "nullable"]);
                for f in fields {
                    t.add_row(vec![
                        f["name"].as_str().unwrap_or("").to_string(),
                        f["type"].as_str().unwrap_or("").to_string(),
                        f["nullable"].to_string(),
                    ]);
                }
                writeln!(w, "{t}")?;
            }
        }
    }
    o.close(None)
}

fn print_count(n: u64, format: Format, out: Option<(&Path, Codec)>) -> anyhow::Result<()> {
    let mut o = Output::open(out)?;
    let w = &mut o.writer;
    match format {
        Format::Json | Format::Ndjson => writeln!(w, "{}", serde_json::json!({ "rows": n }))?,
        Format::Table | Format::Csv => writeln!(w, "{n}")?,
        Format::Parquet => return Err(Error::Config("--count prints as table, json, ndjson or csv".into()).into()),
    }
    o.close(None)
}

/// Records whether the reader of our output went away, so a closed pipe (`| head`) ends the scan quietly.
struct PipeGuard<W> {
    inner: W,
    closed: Arc<AtomicBool>,
}

impl<W: Write> Write for PipeGuard<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| self.note(e))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|e| self.note(e))
    }
}

impl<W> PipeGuard<W> {
    fn note(&self, e: &std::io::Error) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            self.closed.store(true, Ordering::Relaxed);
        }
    }
}

type Sink = PipeGuard<Box<dyn OutWrite>>;

/// The row encoders, one per format.
enum RowWriter {
    Json(arrow_json::Writer<Sink, arrow_json::writer::JsonArray>),
    Ndjson(arrow_json::Writer<Sink, arrow_json::writer::LineDelimited>),
    Csv(arrow::csv::Writer<Sink>),
    Parquet(parquet::arrow::ArrowWriter<Sink>),
    Table { sink: Sink, schema: SchemaRef, shown: Vec<RecordBatch>, rows: u64 },
}

/// CSV cells cannot hold nested values: structs and lists are written as their display text.
fn csv_schema(schema: &Schema) -> SchemaRef {
    Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| if f.data_type().is_nested() { Field::new(f.name(), DataType::Utf8, true) } else { f.as_ref().clone() })
            .collect::<Vec<_>>(),
    ))
}

fn display_strings(a: &ArrayRef) -> anyhow::Result<ArrayRef> {
    let fmt = ArrayFormatter::try_new(a.as_ref(), &FormatOptions::default())?;
    let values: arrow::array::StringArray =
        (0..a.len()).map(|i| a.is_valid(i).then(|| fmt.value(i).to_string())).collect();
    Ok(Arc::new(values))
}

impl RowWriter {
    fn new(format: Format, sink: Sink, schema: SchemaRef) -> anyhow::Result<Self> {
        Ok(match format {
            Format::Json => Self::Json(arrow_json::WriterBuilder::new().with_explicit_nulls(true).build(sink)),
            Format::Ndjson => Self::Ndjson(arrow_json::WriterBuilder::new().with_explicit_nulls(true).build(sink)),
            Format::Csv => Self::Csv(arrow::csv::WriterBuilder::new().with_header(true).build(sink)),
            Format::Parquet => {
                let props = parquet::file::properties::WriterProperties::builder()
                    .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
                    .build();
                Self::Parquet(parquet::arrow::ArrowWriter::try_new(sink, schema, Some(props))?)
            }
            Format::Table => Self::Table { sink, schema, shown: Vec::new(), rows: 0 },
        })
    }

    fn write(&mut self, batch: &RecordBatch) -> anyhow::Result<()> {
        match self {
            Self::Json(w) => w.write(batch)?,
            Self::Ndjson(w) => w.write(batch)?,
            Self::Csv(w) => {
                if batch.schema().fields().iter().any(|f| f.data_type().is_nested()) {
                    let cols = batch
                        .columns()
                        .iter()
                        .map(|c| if c.data_type().is_nested() { display_strings(c) } else { Ok(c.clone()) })
                        .collect::<anyhow::Result<Vec<_>>>()?;
                    w.write(&RecordBatch::try_new(csv_schema(&batch.schema()), cols)?)?
                } else {
                    w.write(batch)?
                }
            }
            Self::Parquet(w) => w.write(batch)?,
            Self::Table { shown, rows, .. } => {
                let have: usize = shown.iter().map(|b| b.num_rows()).sum();
                if have < TABLE_ROWS {
                    shown.push(batch.slice(0, batch.num_rows().min(TABLE_ROWS - have)));
                }
                *rows += batch.num_rows() as u64;
            }
        }
        Ok(())
    }

    fn finish(self) -> anyhow::Result<Box<dyn OutWrite>> {
        let sink = match self {
            Self::Json(mut w) => {
                w.finish()?;
                let mut sink = w.into_inner();
                writeln!(sink)?;
                sink
            }
            Self::Ndjson(mut w) => {
                w.finish()?;
                w.into_inner()
            }
            Self::Csv(w) => w.into_inner(),
            Self::Parquet(w) => w.into_inner()?,
            Self::Table { mut sink, schema, shown, rows } => {
                let text = table(&schema, &shown, rows)?;
                writeln!(sink, "{text}")?;
                sink
            }
        };
        Ok(sink.inner)
    }
}

fn table(schema: &Schema, batches: &[RecordBatch], rows: u64) -> anyhow::Result<String> {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let mut t = render::table(&names);
    let opts = FormatOptions::default().with_null("NULL");
    for b in batches {
        let fmts = b.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &opts)).collect::<Result<Vec<_>, _>>()?;
        for i in 0..b.num_rows() {
            t.add_row(fmts.iter().map(|f| {
                let s = f.value(i).to_string();
                if s.chars().count() > TABLE_CELL_CHARS {
                    format!("{}…", s.chars().take(TABLE_CELL_CHARS - 1).collect::<String>())
                } else {
                    s
                }
            }));
        }
    }
    let shown: usize = batches.iter().map(|b| b.num_rows()).sum();
    let footer = if (shown as u64) < rows {
        format!("{rows} rows (first {shown} shown; --format ndjson or csv prints all)")
    } else if rows == 1 {
        "1 row".to_string()
    } else {
        format!("{rows} rows")
    };
    Ok(format!("{t}\n{footer}"))
}

/// Streams the scan's batches into the chosen format on a blocking thread, with progress on a terminal.
async fn write_rows(rows: Rows, format: Format, out: Option<(PathBuf, Codec)>, progress: bool) -> anyhow::Result<()> {
    let Rows { schema, batches: mut stream_batches, bytes_total, bytes_read } = rows;
    let closed = Arc::new(AtomicBool::new(false));
    let guard_flag = closed.clone();
    let rows_on_terminal = out.is_none() && std::io::stdout().is_terminal();
    let mut writer_task = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut output = Output::open(out.as_ref().map(|(p, c)| (p.as_path(), *c)))?;
        let writer = std::mem::replace(&mut output.writer, Box::new(std::io::sink()));
        let mut rw = RowWriter::new(format, PipeGuard { inner: writer, closed: guard_flag }, schema)?;
        while let Some(b) = stream_batches.blocking_recv() {
            rw.write(&b?)?;
        }
        output.close(Some(rw.finish()?))
    });
    // Rows streamed to the terminal itself would interleave with a bar on stderr: no bar then.
    let bar = render::TermProgress::new(progress && !rows_on_terminal);
    bar.start("scan", Some(bytes_total));
    let mut shown = 0;
    let result = loop {
        tokio::select! {
            r = &mut writer_task => break r,
            _ = tokio::time::sleep(Duration::from_millis(200)) => {
                let now = bytes_read();
                bar.advance(now.saturating_sub(shown));
                shown = now;
            }
        }
    };
    bar.finish();
    let result = result.map_err(|e| {
        if e.is_panic() { Error::from_panic("scan output writer", e.into_panic()) } else { Error::Internal { worker: "scan output writer".into(), message: e.to_string() } }
    })?;
    match result {
        Err(_) if closed.load(Ordering::Relaxed) => Ok(()),
        other => other,
    }
}
