//! Output: reports as a table, JSON or NDJSON on stdout; the terminal progress bar on stderr.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use clap::ValueEnum;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::engine::progress::Progress;

/// How reports are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A human-readable table (default when stdout is a terminal)
    Table,
    /// One pretty-printed JSON document (default when stdout is not a terminal)
    Json,
    /// The same document on a single line (scan: one JSON object per row)
    Ndjson,
    /// Comma-separated values with a header (scan only)
    Csv,
    /// A Parquet file (scan only; with --out FILE or a redirected stdout)
    Parquet,
}

impl Format {
    pub fn resolve(choice: Option<Format>) -> Format {
        choice.unwrap_or(if std::io::stdout().is_terminal() { Format::Table } else { Format::Json })
    }

    /// Whether reports (as opposed to scanned rows) can be printed this way.
    pub fn is_report_format(self) -> bool {
        matches!(self, Format::Table | Format::Json | Format::Ndjson)
    }
}

/// Prints a report in the chosen format; `table` builds the human view.
pub fn print_report<T: Serialize>(format: Format, report: &T, table: impl FnOnce(&T) -> String) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Table | Format::Csv | Format::Parquet => writeln!(out, "{}", table(report))?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, report)?;
            writeln!(out)?;
        }
        Format::Ndjson => {
            serde_json::to_writer(&mut out, report)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}

pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic).set_header(header.to_vec());
    // Some pseudo-terminals (script(1), container exec, editor shells) report a width of 0: wrapping to it
    // would print one character per line. Use $COLUMNS there, else a common default.
    if t.width().is_some_and(|w| w < MIN_TABLE_WIDTH) {
        let cols = std::env::var("COLUMNS").ok().and_then(|c| c.parse::<u16>().ok());
        t.set_width(cols.filter(|&c| c >= MIN_TABLE_WIDTH).unwrap_or(120));
    }
    t
}

/// Narrower than this, a reported terminal width is taken as unknown.
const MIN_TABLE_WIDTH: u16 = 20;

pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[u]) }
}

/// A progress bar on stderr, shown only when stderr is a terminal and progress was not turned off.
pub struct TermProgress {
    bar: Option<ProgressBar>,
}

impl TermProgress {
    pub fn new(enabled: bool) -> Self {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            // Hidden until `start` has styled it: every setter redraws, and the first frames would be unstyled.
            ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
        });
        Self { bar }
    }
}

impl Progress for TermProgress {
    fn start(&self, phase: &str, total: Option<u64>) {
        if let Some(b) = &self.bar {
            let tmpl = if total.is_some() {
                "{spinner} {prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}"
            } else {
                "{spinner} {prefix} {bytes} {bytes_per_sec} {msg}"
            };
            if let Ok(s) = ProgressStyle::with_template(tmpl) {
                b.set_style(s.progress_chars("=> "));
            }
            b.set_prefix(phase.to_string());
            b.set_length(total.unwrap_or(0));
            if b.is_hidden() {
                b.set_draw_target(ProgressDrawTarget::stderr());
            }
            b.enable_steady_tick(Duration::from_millis(200));
        }
    }
    fn advance(&self, delta: u64) {
        if let Some(b) = &self.bar {
            b.inc(delta);
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
