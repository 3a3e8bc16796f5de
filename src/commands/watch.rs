//! `prestige watch`: poll a local directory or S3 prefix and emit one NDJSON event per new Parquet file
//! (or run a command per file), resuming from a state file.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;

use super::render::Format;
use super::{Context, exit};
use crate::engine::error::Error;
use crate::engine::poll::{self, Poller, WatchOptions};
use crate::engine::storage::Location;
use crate::engine::units::{parse_duration, parse_time};

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:\n  prestige watch s3://bucket/raw --prefix events --state ~/.events.watch\n  \
prestige watch ./lake --prefix events --once --state events.watch --exec 'python load.py'\n\n\
Each event is one JSON line: {\"location\", \"key\", \"size\", \"etag\", \"timestamp_ms\", \"timestamp\",\n\
\"last_modified_ms\", \"compacted\"}. A file is recorded in --state only after its event was printed (or its\n\
--exec command succeeded), so a restarted watcher neither skips nor repeats files; after a kill -9 the event\n\
being printed at that instant may be printed again. Ctrl-C / SIGTERM stop between files (exit 130).")]
pub struct WatchArgs {
    /// A local directory or s3://bucket/dir to watch
    #[arg(value_name = "LOCATION")]
    pub location: String,
    /// File name prefix: NAME.{millis}[.*].parquet (exact match; may contain a folder)
    #[arg(long, value_name = "NAME")]
    pub prefix: String,
    /// Time between polls
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = parse_duration)]
    pub interval: Duration,
    /// On the first run (no state yet), emit files from this long ago on
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
    /// printing it; stop if it fails (the file is not recorded, so it is retried next time)
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
        let prefix = self.prefix.trim_matches('/').to_string();
        if prefix.is_empty() {
            return Err(Error::Config("--prefix must name files, e.g. --prefix events".into()).into());
        }
        Ok(WatchOptions {
            location: Location::parse(&self.location)?,
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
