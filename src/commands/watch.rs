//! `prestige watch`: poll a local directory or S3 prefix and emit one NDJSON event per new Parquet file
//! (or run a command per file), resuming from a state file — or follow an Iceberg table (`--table`): one event
//! per new snapshot on a ref, or the rows each `append` snapshot added.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;

use super::render::Format;
use super::{Context, exit};
use crate::engine::error::Error;
use crate::engine::iceberg::catalog::{self, parse_table_ident};
use crate::engine::iceberg::watch::{self as table_watch, HookInput, SnapshotEvent, Start, TableWatchState};
use crate::engine::poll::{self, Poller, WatchOptions};
use crate::engine::storage::Location;
use crate::engine::units::{parse_duration, parse_time};

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:\n  prestige watch s3://bucket/raw --prefix events --state ~/.events.watch\n  \
prestige watch ./lake --prefix events --once --state events.watch --exec 'python load.py'\n  \
prestige watch --table logs.events --state events.watch\n  \
prestige watch --table logs.events --rows --columns id,ts,msg --where \"level = 'error'\" --state errors.watch\n  \
prestige watch --table logs.events --rows --once --state load.watch --exec 'python load.py'\n\n\
Each event is one JSON line: {\"location\", \"key\", \"size\", \"etag\", \"timestamp_ms\", \"timestamp\",\n\
\"last_modified_ms\", \"compacted\"}. A file is recorded in --state only after its event was printed (or its\n\
--exec command succeeded), so a restarted watcher neither skips nor repeats files; after a kill -9 the event\n\
being printed at that instant may be printed again. Ctrl-C / SIGTERM stop between files (exit 130).\n\n\
With --table, each new snapshot on --ref (default main) is one JSON line, oldest first: {\"table\", \"ref\",\n\
\"snapshot_id\", \"parent_id\", \"sequence_number\", \"timestamp_ms\", \"timestamp\" (RFC 3339 UTC),\n\
\"operation\" (append, overwrite, delete), \"added_data_files\", \"added_records\", \"deleted_records\",\n\
\"commit_id\" (prestige.commit-id of the summary, or null), \"wap_id\" (wap.id, or null)}. `replace`\n\
snapshots (compactions) deliver nothing, as their rows were delivered before (--include-replace prints\n\
their events). --rows prints instead the rows each `append` snapshot added, as NDJSON like `scan --format\n\
ndjson`; an overwrite or delete snapshot then stops the watcher (exit 2) unless --skip-non-append.\n\
--state keeps the last delivered snapshot (id, timestamp, sequence number), rewritten atomically after the\n\
snapshot's event or rows were written and flushed (or its --exec command succeeded): a restarted watcher\n\
goes on with the next snapshot, with no gap and no repeat. A kill -9 while a snapshot's rows are being\n\
written leaves them partly written, and the next run writes that snapshot again in full: --markers ends\n\
each snapshot's rows with a line {\"prestige_watch_end\": EVENT}, so a consumer that keeps only rows\n\
followed by their marker gets every row exactly once; --exec hands each snapshot over whole (a rows file on\n\
its stdin). With no state, watching starts --lookback ago (snapshots committed since) or at\n\
--start-snapshot ID (inclusive). If the checkpoint snapshot was expired, the watcher goes on from its child\n\
when one is still on the ref; when nothing proves that no undelivered snapshot was expired it stops (exit 5)\n\
naming the checkpoint, and a ref rolled back past the checkpoint stops it with exit 2: neither ever skips or\n\
repeats silently. A missing table or ref exits 5.")]
pub struct WatchArgs {
    /// A local directory or s3://bucket/dir to watch
    #[arg(value_name = "LOCATION", required_unless_present = "table")]
    pub location: Option<String>,
    /// File name prefix: NAME.{millis}[.*].parquet (exact match; may contain a folder)
    #[arg(long, value_name = "NAME", required_unless_present = "table")]
    pub prefix: Option<String>,
    /// Follow an Iceberg table (NAMESPACE.NAME in --catalog) instead of a prefix: one event per new snapshot
    #[arg(long, value_name = "TABLE", conflicts_with_all = ["location", "prefix", "start_after", "include_compacted", "safety_window"],
          help_heading = "Iceberg")]
    pub table: Option<String>,
    /// With --table: the branch or tag to follow [default: main]
    #[arg(long = "ref", value_name = "NAME", requires = "table", help_heading = "Iceberg")]
    pub ref_name: Option<String>,
    /// With --table and no state yet: start with this snapshot (inclusive) instead of --lookback
    #[arg(long, value_name = "ID", requires = "table", conflicts_with = "lookback", allow_negative_numbers = true,
          help_heading = "Iceberg")]
    pub start_snapshot: Option<i64>,
    /// With --table: print the rows each append snapshot added (NDJSON) instead of events
    #[arg(long, requires = "table", help_heading = "Iceberg")]
    pub rows: bool,
    /// With --rows: columns to print, comma-separated; a struct field as parent.field [default: all]
    #[arg(long, short = 'c', value_name = "COLUMNS", value_delimiter = ',', requires = "rows", help_heading = "Iceberg")]
    pub columns: Option<Vec<String>>,
    /// With --rows: SQL condition rows must meet, as in `scan --where`
    #[arg(long = "where", short = 'w', value_name = "EXPR", requires = "rows", help_heading = "Iceberg")]
    pub filter: Option<String>,
    /// With --rows: pass over overwrite and delete snapshots (their changes are not delivered) instead of stopping
    #[arg(long, requires = "rows", help_heading = "Iceberg")]
    pub skip_non_append: bool,
    /// With --rows: end each snapshot's rows with a line {"prestige_watch_end": EVENT}
    #[arg(long, requires = "rows", conflicts_with = "exec", help_heading = "Iceberg")]
    pub markers: bool,
    /// With --table: also print events for replace snapshots (compactions)
    #[arg(long, requires = "table", conflicts_with = "rows", help_heading = "Iceberg")]
    pub include_replace: bool,
    /// Time between polls
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = parse_duration)]
    pub interval: Duration,
    /// On the first run (no state yet), emit files (with --table: snapshots) from this long ago on
    #[arg(long, default_value = "1h", value_name = "DURATION", value_parser = parse_duration, conflicts_with = "start_after")]
    pub lookback: Duration,
    /// On the first run, emit files with a timestamp after this (RFC 3339, epoch s/ms, or a duration ago)
    #[arg(long, value_name = "TIME")]
    pub start_after: Option<String>,
    /// Remember what was emitted in FILE (written atomically) and resume from it
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// How late a file may appear, measured by the timestamp in its name, and still be emitted
    #[arg(long, default_value = "10m", value_name = "DURATION", value_parser = parse_duration)]
    pub safety_window: Duration,
    /// Also emit compaction outputs (.c.parquet); their rows were already delivered through the originals
    #[arg(long)]
    pub include_compacted: bool,
    /// Poll once and exit (for cron)
    #[arg(long)]
    pub once: bool,
    /// Run CMD (with sh -c) per new file, the event on its stdin and in PRESTIGE_FILE / PRESTIGE_KEY, instead of
    /// printing it; stop if it fails (the file is not recorded, so it is retried next time). With --table: per
    /// snapshot, the event (with --rows: the snapshot's rows) on its stdin, PRESTIGE_EVENT, PRESTIGE_TABLE,
    /// PRESTIGE_REF, PRESTIGE_SNAPSHOT_ID and PRESTIGE_OPERATION in its environment
    #[arg(long, value_name = "CMD")]
    pub exec: Option<String>,
}

impl WatchArgs {
    fn options(&self, ctx: &Context) -> anyhow::Result<WatchOptions> {
        let now = chrono::Utc::now().timestamp_millis();
        let start_after_ms = match &self.start_after {
            Some(t) => parse_time(t, now).map_err(Error::Config)?,
            None => now - self.lookback.as_millis() as i64,
        };
        let prefix = self.prefix.as_deref().unwrap_or_default().trim_matches('/').to_string();
        if prefix.is_empty() {
            return Err(Error::Config("--prefix must name files, e.g. --prefix events".into()).into());
        }
        Ok(WatchOptions {
            location: Location::parse(self.location.as_deref().unwrap_or_default())?,
            prefix,
            start_after_ms,
            safety_window_ms: self.safety_window.as_millis() as i64,
            include_compacted: self.include_compacted,
            s3: ctx.s3.clone(),
        })
    }
}

/// Says what a stopped watcher did: how many events it delivered and where its state is.
fn stopped(emitted: u64, state: Option<&std::path::Path>) -> ExitCode {
    let events = if emitted == 1 { "1 event".to_string() } else { format!("{emitted} events") };
    match state {
        Some(p) => tracing::warn!("watch stopped after {events}; state saved in {}", p.display()),
        None => tracing::warn!("watch stopped after {events}; no --state, so a restart starts again from --lookback"),
    }
    ExitCode::from(exit::INTERRUPTED)
}

pub async fn run(args: WatchArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    if ctx.format_choice == Some(Format::Table) {
        return Err(Error::Config(
            "watch prints one NDJSON event per file; --format table is not supported (omit --format, or use \
             --format ndjson)"
                .into(),
        )
        .into());
    }
    if let Some(table) = args.table.clone() {
        return run_table(args, ctx, table).await;
    }
    // clap's `requires = "table"` does not hold against an argument `table` conflicts with: checked here.
    let table_only = [
        (args.ref_name.is_some(), "--ref"),
        (args.start_snapshot.is_some(), "--start-snapshot"),
        (args.rows, "--rows"),
        (args.include_replace, "--include-replace"),
    ];
    if let Some((_, flag)) = table_only.iter().find(|(given, _)| *given) {
        return Err(Error::Config(format!("{flag} applies to `watch --table TABLE` only, not to a LOCATION --prefix watch")).into());
    }
    let opts = args.options(ctx)?;
    let what = format!("watch {} --prefix {}", opts.location, opts.prefix);
    let state = match &args.state {
        Some(p) => poll::load_state(p)?,
        None => None,
    };
    let mut poller = Poller::new(opts, state).await.with_context(|| what.clone())?;
    let stop = super::stop_on_signal("watch stops after the event at hand");
    let mut emitted = 0u64;
    loop {
        let started = Instant::now();
        match poller.poll().await {
            Ok(events) => {
                for ev in events {
                    if stop.load(Ordering::SeqCst) {
                        return Ok(stopped(emitted, args.state.as_deref()));
                    }
                    match &args.exec {
                        Some(cmd) => poll::run_hook(cmd, &ev).await.with_context(|| what.clone())?,
                        None => {
                            let mut out = std::io::stdout().lock();
                            serde_json::to_writer(&mut out, &ev)?;
                            writeln!(out)?;
                            out.flush()?;
                        }
                    }
                    poller.mark(&ev);
                    if let Some(p) = &args.state {
                        poll::save_state(p, poller.state()).with_context(|| what.clone())?;
                    }
                    emitted += 1;
                }
            }
            Err(e) if args.once => return Err(anyhow::Error::new(e).context(what)),
            Err(e) => tracing::warn!("{what}: listing failed, retrying at the next poll: {e}"),
        }
        if args.once {
            return Ok(ExitCode::from(exit::OK));
        }
        // Sleep out the interval, waking early for a stop signal.
        let next = started + args.interval;
        while Instant::now() < next {
            if stop.load(Ordering::SeqCst) {
                return Ok(stopped(emitted, args.state.as_deref()));
            }
            tokio::time::sleep(next.saturating_duration_since(Instant::now()).min(Duration::from_millis(100))).await;
        }
    }
}

/// `watch --table`: poll the table, deliver each new snapshot on the ref (an event, its rows, or a command),
/// and checkpoint after each.
async fn run_table(args: WatchArgs, ctx: &Context, name: String) -> anyhow::Result<ExitCode> {
    let ref_name = args.ref_name.clone().unwrap_or_else(|| "main".to_string());
    let ident = parse_table_ident(&name)?;
    let what = format!("watch --table {name} --ref {ref_name}");
    let cat = catalog::open(&ctx.catalog, &ctx.s3).await?;
    let table = cat.load_table(&ident).await.with_context(|| what.clone())?;
    let mut state = start(&args, &table, &ref_name).with_context(|| what.clone())?;
    let stop = super::stop_on_signal("watch stops after the snapshot at hand");
    let mut delivered = 0u64;
    let mut loaded = Some(table);
    loop {
        let started = Instant::now();
        let table = match loaded.take() {
            Some(t) => t,
            None => match cat.load_table(&ident).await {
                Ok(t) => t,
                // A dropped table is the end; anything else (network, catalog hiccup) is retried at the next poll.
                Err(e) if args.once || matches!(e, Error::Missing { .. }) => return Err(anyhow::Error::new(e).context(what)),
                Err(e) => {
                    tracing::warn!("{what}: loading the table failed, retrying at the next poll: {e}");
                    if sleep_out(started + args.interval, &stop).await {
                        return Ok(stopped(delivered, args.state.as_deref()));
                    }
                    continue;
                }
            },
        };
        for ev in table_watch::new_snapshots(&table, &state).with_context(|| what.clone())? {
            if stop.load(Ordering::SeqCst) {
                return Ok(stopped(delivered, args.state.as_deref()));
            }
            if deliver(&args, &table, &ev).await.with_context(|| what.clone())? {
                delivered += 1;
            }
            state.delivered(&ev);
            if let Some(p) = &args.state {
                table_watch::save_state(p, &state).with_context(|| what.clone())?;
            }
        }
        if args.once || sleep_out(started + args.interval, &stop).await {
            return Ok(if args.once { ExitCode::from(exit::OK) } else { stopped(delivered, args.state.as_deref()) });
        }
    }
}

/// Where the watcher starts: its state file, else `--start-snapshot` or `--lookback` (saved at once, so a
/// restart before the first delivery starts at the same place).
fn start(args: &WatchArgs, table: &crate::engine::iceberg::catalog::LoadedTable, ref_name: &str) -> anyhow::Result<TableWatchState> {
    let saved = match &args.state {
        Some(p) => table_watch::load_state(p)?,
        None => None,
    };
    let name = table.name();
    if let Some(s) = saved {
        let file = args.state.as_deref().unwrap_or(Path::new("")).display();
        if s.table != name || s.ref_name != ref_name {
            return Err(Error::Config(format!(
                "{file}: the watch state is for table {} --ref {}, not {name} --ref {ref_name}",
                s.table, s.ref_name
            ))
            .into());
        }
        if let Some(id) = args.start_snapshot {
            return Err(Error::Config(format!(
                "--start-snapshot {id}: {file} already holds a checkpoint (snapshot {}); --start-snapshot applies \
                 only to a new state: delete the file to start over",
                s.snapshot_id.map_or_else(|| "none yet".to_string(), |i| i.to_string())
            ))
            .into());
        }
        return Ok(s);
    }
    let start = match args.start_snapshot {
        Some(id) => Start::Snapshot(id),
        None => Start::Since(chrono::Utc::now().timestamp_millis() - args.lookback.as_millis() as i64),
    };
    let s = table_watch::start_state(table, ref_name, start)?;
    if let Some(p) = &args.state {
        table_watch::save_state(p, &s)?;
    }
    Ok(s)
}

/// Sleeps until `until`, waking early for a stop signal; true when stopped.
async fn sleep_out(until: Instant, stop: &AtomicBool) -> bool {
    while Instant::now() < until {
        if stop.load(Ordering::SeqCst) {
            return true;
        }
        tokio::time::sleep(until.saturating_duration_since(Instant::now()).min(Duration::from_millis(100))).await;
    }
    stop.load(Ordering::SeqCst)
}

/// Delivers one snapshot: its event, its rows, or either to `--exec`. False when there was nothing to deliver
/// (a compaction, or a change `--skip-non-append` passes over).
async fn deliver(args: &WatchArgs, table: &crate::engine::iceberg::catalog::LoadedTable, ev: &SnapshotEvent) -> anyhow::Result<bool> {
    if ev.is_replace() && (args.rows || !args.include_replace) {
        tracing::info!("snapshot {} is a compaction (replace): nothing to deliver", ev.snapshot_id);
        return Ok(false);
    }
    if !args.rows {
        match &args.exec {
            Some(cmd) => table_watch::run_hook(cmd, ev, HookInput::Event).await?,
            None => {
                let mut out = std::io::stdout().lock();
                serde_json::to_writer(&mut out, ev)?;
                writeln!(out)?;
                out.flush()?;
            }
        }
        return Ok(true);
    }
    if !ev.is_append() {
        if args.skip_non_append {
            tracing::warn!(
                "skipping snapshot {} ({}, {} deleted and {} added records): --skip-non-append",
                ev.snapshot_id,
                ev.operation,
                ev.deleted_records,
                ev.added_records
            );
            return Ok(false);
        }
        return Err(Error::Config(format!(
            "table {}: snapshot {} ({} at {}, {} deleted and {} added records) changed or deleted rows: --rows \
             delivers appended rows only; add --skip-non-append to pass over such snapshots (their changes are not \
             delivered), or watch events without --rows. The checkpoint stays before it.",
            ev.table, ev.snapshot_id, ev.operation, ev.timestamp, ev.deleted_records, ev.added_records
        ))
        .into());
    }
    let stream = table_watch::appended_rows(table, ev, args.columns.clone(), args.filter.clone()).await?;
    match &args.exec {
        Some(cmd) => {
            // The command gets the whole snapshot as a finished file: a watcher killed midway hands over nothing.
            let spool = SpoolFile(std::env::temp_dir().join(format!("prestige-watch-{}.ndjson", uuid::Uuid::new_v4().simple())));
            let f = std::fs::File::create(&spool.0).map_err(|e| Error::io("create", &spool.0, e))?;
            write_rows(stream.batches, std::io::BufWriter::new(f), None).await?;
            table_watch::run_hook(cmd, ev, HookInput::Rows(&spool.0)).await?;
        }
        None => {
            let marker = if args.markers { Some(serde_json::to_vec(&serde_json::json!({ "prestige_watch_end": ev }))?) } else { None };
            let n = write_rows(stream.batches, std::io::BufWriter::with_capacity(1 << 20, std::io::stdout()), marker).await?;
            tracing::info!("snapshot {}: {n} rows", ev.snapshot_id);
        }
    }
    Ok(true)
}

/// A temporary file removed when dropped.
struct SpoolFile(PathBuf);

impl Drop for SpoolFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes batches as NDJSON (as `scan --format ndjson`) on a blocking thread, then `marker` as one line, and
/// flushes; returns the number of rows.
async fn write_rows<W: Write + Send + 'static>(
    mut batches: tokio::sync::mpsc::Receiver<crate::engine::error::Result<arrow::array::RecordBatch>>,
    sink: W,
    marker: Option<Vec<u8>>,
) -> anyhow::Result<u64> {
    let task = tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
        let mut w = arrow_json::WriterBuilder::new().with_explicit_nulls(true).build::<_, arrow_json::writer::LineDelimited>(sink);
        let mut n = 0u64;
        while let Some(b) = batches.blocking_recv() {
            let b = b?;
            n += b.num_rows() as u64;
            w.write(&b)?;
        }
        w.finish()?;
        let mut sink = w.into_inner();
        if let Some(m) = marker {
            sink.write_all(&m)?;
            sink.write_all(b"\n")?;
        }
        sink.flush()?;
        Ok(n)
    });
    task.await.map_err(|e| {
        if e.is_panic() {
            Error::from_panic("watch row writer", e.into_panic())
        } else {
            Error::Internal { worker: "watch row writer".into(), message: e.to_string() }
        }
    })?
}
