//! The command line: global options, the subcommand enum and its one-line dispatch.

pub mod assets;
pub mod compact;
pub mod ingest;
pub mod render;
pub mod scan;
pub mod upload;
pub mod watch;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, Parser, Subcommand};

use crate::engine::storage::S3Settings;
use render::Format;

/// Exit codes, documented in the README.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const PARTIAL: u8 = 3;
    pub const BAD_INPUT: u8 = 4;
    pub const STORAGE: u8 = 5;
    pub const BUSY: u8 = 6;
    pub const INTERRUPTED: u8 = 130;
}

/// Operator toolkit for Parquet-on-S3 and Apache Iceberg data lakes.
#[derive(Debug, Parser)]
#[command(name = "prestige", version, propagate_version = true, max_term_width = 100)]
#[command(after_help = "Exit codes: 0 ok, 1 failure, 2 usage, 3 partial failure, 4 bad input data, \
5 storage or access error, 6 another run holds the lock, 130 interrupted.")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Report format [default: table on a terminal, json otherwise]
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Never show progress bars
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// S3 endpoint for S3-compatible stores (implies path-style addressing)
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL", hide_env_values = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// AWS region [default: from the AWS config chain, else us-east-1]
    #[arg(long, global = true, env = "AWS_REGION", hide_env_values = true)]
    pub region: Option<String>,
    /// AWS profile from ~/.aws/config and ~/.aws/credentials
    #[arg(long, global = true, env = "AWS_PROFILE", hide_env_values = true)]
    pub profile: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load NDJSON into rotating Parquet files in a local directory or on S3
    Ingest(ingest::IngestArgs),
    /// Upload finished files to S3: concurrent, multipart, retried, verified
    Upload(upload::UploadArgs),
    /// Merge a prefix's small Parquet files into target-sized files, crash-safely
    Compact(compact::CompactArgs),
    /// Read Parquet files (local or S3): projection, SQL filters pushed down to statistics, limits
    Scan(scan::ScanArgs),
    /// Poll a local directory or S3 prefix and print one NDJSON event per new file
    Watch(watch::WatchArgs),
    /// Print a shell completion script
    Completions(assets::CompletionsArgs),
    /// Write completions and man pages into a directory (used to refresh completions/ and man/)
    #[command(hide = true)]
    GenerateAssets(assets::GenerateArgs),
}

/// What every command gets besides its own arguments.
pub struct Context {
    pub format: Format,
    /// The --format given, if any (commands with their own default use this).
    pub format_choice: Option<Format>,
    pub progress: bool,
    pub s3: S3Settings,
}

impl Context {
    pub fn new(g: &GlobalArgs) -> Self {
        Self {
            format: Format::resolve(g.format),
            format_choice: g.format,
            progress: !g.no_progress && !g.quiet,
            s3: S3Settings {
                endpoint_url: g.endpoint_url.clone().filter(|s| !s.is_empty()),
                region: g.region.clone().filter(|s| !s.is_empty()),
                profile: g.profile.clone().filter(|s| !s.is_empty()),
                concurrency: 8,
            },
        }
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ctx = Context::new(&cli.global);
    if let Some(f) = cli.global.format
        && !f.is_report_format()
        && !matches!(cli.command, Command::Scan(_))
    {
        let name = clap::ValueEnum::to_possible_value(&f).map(|v| v.get_name().to_string()).unwrap_or_default();
        return Err(crate::engine::error::Error::Config(format!("--format {name} applies to scan output only")).into());
    }
    match cli.command {
        Command::Ingest(a) => ingest::run(a, &ctx).await,
        Command::Upload(a) => upload::run(a, &ctx).await,
        Command::Compact(a) => compact::run(a, &ctx).await,
        Command::Scan(a) => scan::run(a, &ctx).await,
        Command::Watch(a) => watch::run(a, &ctx).await,
        Command::Completions(a) => assets::completions(a),
        Command::GenerateAssets(a) => assets::generate(a),
    }
}

/// A flag set on the first Ctrl-C / SIGTERM; a second signal exits at once.
pub fn stop_on_signal() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        loop {
            #[cfg(unix)]
            let got = match term.as_mut() {
                Some(t) => tokio::select! { r = tokio::signal::ctrl_c() => r.is_ok(), r = t.recv() => r.is_some() },
                None => tokio::signal::ctrl_c().await.is_ok(),
            };
            #[cfg(not(unix))]
            let got = tokio::signal::ctrl_c().await.is_ok();
            if !got {
                return;
            }
            if flag.swap(true, Ordering::SeqCst) {
                tracing::error!("second interrupt: exiting now");
                std::process::exit(exit::INTERRUPTED as i32);
            }
            tracing::warn!("interrupted: finishing the current file and uploads (interrupt again to exit at once)");
        }
    });
    stop
}
