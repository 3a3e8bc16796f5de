//! The command line: global options, the subcommand enum and its one-line dispatch.

pub mod assets;
pub mod compact;
pub mod ingest;
pub mod publish;
pub mod render;
pub mod scan;
pub mod snapshot;
pub mod table;
pub mod upload;
pub mod watch;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

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
    pub const CONFLICT: u8 = 7;
    /// `publish`: main moved since the branch was cut (fast-forward impossible; --cherry-pick replays).
    pub const DIVERGED: u8 = 8;
    pub const INTERRUPTED: u8 = 130;
}

/// Operator toolkit for Parquet-on-S3 and Apache Iceberg data lakes.
#[derive(Debug, Parser)]
#[command(name = "prestige", version, propagate_version = true, max_term_width = 100)]
#[command(after_help = "Exit codes: 0 ok, 1 failure, 2 usage, 3 partial failure, 4 bad input data, \
5 storage or access error, 6 another run holds the lock, 7 Iceberg commit conflict, 8 publish refused: main moved since the branch was cut, 130 interrupted.")]
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
    /// Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI
    /// [default: the config file's default-catalog, else sqlite ./warehouse/catalog.db]
    #[arg(long, global = true, env = "PRESTIGE_CATALOG", hide_env_values = true, value_name = "NAME|URI")]
    pub catalog: Option<String>,
    /// Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the
    /// catalog's warehouse name) [default: from the catalog's config, else ./warehouse]
    #[arg(long, global = true, env = "PRESTIGE_WAREHOUSE", hide_env_values = true, value_name = "LOCATION")]
    pub warehouse: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load NDJSON into rotating Parquet files in a local directory or on S3, or append it to an Iceberg table
    #[command(long_about = INGEST_LONG_ABOUT)]
    Ingest(ingest::IngestArgs),
    /// Upload finished files to S3: concurrent, multipart, retried, verified
    Upload(upload::UploadArgs),
    /// Merge a prefix's small Parquet files into target-sized files, crash-safely
    Compact(compact::CompactArgs),
    /// Read Parquet files (local or S3) or an Iceberg table (--table): projection, SQL filters, time travel
    Scan(scan::ScanArgs),
    /// Poll a local directory or S3 prefix and print one NDJSON event per new file
    Watch(watch::WatchArgs),
    /// Iceberg tables: list, show, create, drop, set properties
    Table(table::TableArgs),
    /// Iceberg snapshots: list, show, refs; expire, remove orphans, rollback, set-current, cherry-pick, branches, tags
    Snapshot(snapshot::SnapshotArgs),
    /// Write-audit-publish: make an audited branch (or the snapshot carrying a WAP id) visible on main
    Publish(publish::PublishArgs),
    /// Print a shell completion script
    Completions(assets::CompletionsArgs),
    /// Write completions and man pages into a directory (used to refresh completions/ and man/)
    #[command(hide = true)]
    GenerateAssets(assets::GenerateArgs),
}

/// `ingest --help`: the schema file's format and every type name `--schema` accepts (see engine::schema).
const INGEST_LONG_ABOUT: &str = "Load NDJSON into rotating Parquet files in a local directory or on S3, or append it to an \
Iceberg table (--table)

Schema file (--schema FILE): {\"fields\": [{\"name\": \"id\", \"type\": \"int64\", \"nullable\": false}, ...]}, or a bare \
array of fields; \"nullable\" defaults to true. Type names (any case; aliases in parentheses):
  int8 (tinyint), int16 (smallint), int32 (int, integer), int64 (bigint, long),
  uint8, uint16, uint32, uint64, float32 (float, real), float64 (double),
  bool (boolean), string (utf8, varchar, text), binary (bytes, blob; base64),
  date (date32; YYYY-MM-DD), timestamp (microseconds, no zone),
  timestamp(UNIT[, TZ]) with UNIT s, ms, us or ns (or second, millisecond, ...)
    and TZ such as UTC or +02:00, timestamptz (microseconds, UTC),
  decimal(P, S) (numeric; P up to 38), list<T> (array<T>),
  struct<name: T, ...>, json (variant: any JSON value, stored as its text).
The object forms {\"type\": \"struct\", \"fields\": [...]} and {\"type\": \"list\", \"element\": T, \
\"element_nullable\": false} allow non-nullable children.";

/// The clap command with the presentation rules every command shares: environment values are never shown in
/// help (`[env: NAME]`, set or not: they may be secrets), and the text after the options is tidied
/// ([`tidy_after_help`]).
pub fn cli() -> clap::Command {
    fn tidy(cmd: clap::Command) -> clap::Command {
        let cmd = cmd.mut_args(|a| if a.get_env().is_some() { a.hide_env_values(true) } else { a });
        let after = cmd.get_after_help().map(|t| tidy_after_help(&t.to_string()));
        let after_long = cmd.get_after_long_help().map(|t| tidy_after_help(&t.to_string()));
        let cmd = match after {
            Some(t) => cmd.after_help(t),
            None => cmd,
        };
        let cmd = match after_long {
            Some(t) => cmd.after_long_help(t),
            None => cmd,
        };
        cmd.mut_subcommands(tidy)
    }
    tidy(Cli::command())
}

/// Parses the command line with [`cli`]'s rules; exits with clap's message (and code 2) on a usage error.
pub fn parse() -> Cli {
    let mut matches = cli().get_matches();
    Cli::from_arg_matches_mut(&mut matches).unwrap_or_else(|e| e.format(&mut cli()).exit())
}

/// Width the help's examples must fit: an 80-column terminal.
const EXAMPLE_WIDTH: usize = 78;

/// Help text after the options: prose lines are joined into paragraphs (clap wraps them to the terminal), and
/// each command in an `Example:`/`Examples:` block stays whole on its own indented lines, broken before an
/// option with a trailing ` \` when it is wider than an 80-column terminal, never inside a quoted argument.
pub fn tidy_after_help(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut in_examples = false;
    let mut prose = false;
    for line in text.lines() {
        if line.trim().is_empty() {
            out.push(String::new());
            in_examples = false;
            prose = false;
        } else if in_examples && line.starts_with("  ") {
            out.extend(break_command(line.trim()));
        } else if prose && !line.starts_with(' ') {
            let last = out.last_mut().expect("a prose line precedes");
            last.push(' ');
            last.push_str(line.trim());
        } else {
            out.push(line.trim_end().to_string());
            in_examples = line.ends_with("Example:") || line.ends_with("Examples:");
            prose = !in_examples && !line.starts_with(' ');
        }
    }
    out.join("\n")
}

/// One example command as lines of at most [`EXAMPLE_WIDTH`] columns, continued with ` \`.
fn break_command(cmd: &str) -> Vec<String> {
    // Words, keeping quoted arguments whole; an option and its value stay together.
    let mut words: Vec<String> = Vec::new();
    let mut quote = None;
    let mut cur = String::new();
    for c in cmd.chars() {
        match (quote, c) {
            (None, ' ') => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
                continue;
            }
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            _ => {}
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let mut units: Vec<String> = Vec::new();
    for w in words {
        match units.last_mut() {
            Some(prev) if prev.starts_with('-') && !prev.contains(' ') && !w.starts_with('-') && w != "|" => {
                prev.push(' ');
                prev.push_str(&w);
            }
            _ => units.push(w),
        }
    }
    let mut lines = vec![format!("  {}", units.first().cloned().unwrap_or_default())];
    for u in units.iter().skip(1) {
        let last = lines.last_mut().expect("one line at least");
        if last.chars().count() + 1 + u.chars().count() + 2 <= EXAMPLE_WIDTH {
            last.push(' ');
            last.push_str(u);
        } else {
            last.push_str(" \\");
            lines.push(format!("      {u}"));
        }
    }
    lines
}

/// What every command gets besides its own arguments.
pub struct Context {
    pub format: Format,
    /// The --format given, if any (commands with their own default use this).
    pub format_choice: Option<Format>,
    pub progress: bool,
    pub s3: S3Settings,
    /// `--catalog` / `--warehouse`, resolved against the config file when a command opens the catalog.
    pub catalog: crate::engine::iceberg::catalog::CatalogChoice,
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
                static_credentials: None,
            },
            catalog: crate::engine::iceberg::catalog::CatalogChoice {
                catalog: g.catalog.clone().filter(|s| !s.is_empty()),
                warehouse: g.warehouse.clone().filter(|s| !s.is_empty()),
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
        Command::Table(a) => table::run(a, &ctx).await,
        Command::Snapshot(a) => snapshot::run(a, &ctx).await,
        Command::Publish(a) => publish::run(a, &ctx).await,
        Command::Completions(a) => assets::completions(a),
        Command::GenerateAssets(a) => assets::generate(a),
    }
}

/// A flag set on the first Ctrl-C / SIGTERM; a second signal exits at once.
/// `what` says what the command does on the first signal (e.g. "finishing the current file and uploads").
pub fn stop_on_signal(what: &'static str) -> Arc<AtomicBool> {
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
            tracing::warn!("interrupted: {what} (interrupt again to exit at once)");
        }
    });
    stop
}
