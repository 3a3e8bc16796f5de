//! Output: reports as a table, JSON or NDJSON on stdout; the terminal progress bar on stderr.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use clap::ValueEnum;
use comfy_table::{ContentArrangement, Row, Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, WeakProgressBar};
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

/// Prints a report in the chosen format; `table` builds the human view. A progress bar still on the terminal is
/// cleared first. The whole text is built before anything is written, so a reader that went away (`| head`)
/// shows up as one `BrokenPipe` I/O error, which `main` turns into a quiet exit.
pub fn print_report<T: Serialize>(format: Format, report: &T, table: impl FnOnce(&T) -> String) -> anyhow::Result<()> {
    let text = match format {
        Format::Table | Format::Csv | Format::Parquet => table(report),
        Format::Json => serde_json::to_string_pretty(report)?,
        Format::Ndjson => serde_json::to_string(report)?,
    };
    clear_progress();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(())
}

/// `1 file`, `2 files`, `0 files`: a count with its noun in the right number.
pub fn count(n: u64, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// A report table: rows are cut to a few lines per cell on narrow terminals, and a one-row table that does not
/// fit is printed as `column: value` lines instead, so no value is ever wrapped over many lines.
pub struct ReportTable {
    table: Table,
}

/// Lines a cell may take before it is cut (with `…`).
const MAX_CELL_LINES: usize = 3;

impl ReportTable {
    pub fn add_row<T: Into<Row>>(&mut self, row: T) -> &mut Self {
        let mut row: Row = row.into();
        row.max_height(MAX_CELL_LINES);
        self.table.add_row(row);
        self
    }

    /// The table's natural width: every cell on one line, with padding and borders.
    fn natural_width(&self) -> usize {
        let widths = self.table.column_max_content_widths();
        widths.iter().map(|w| *w as usize + 3).sum::<usize>() + 1
    }

    fn key_values(&self) -> Option<String> {
        let header = self.table.header()?;
        let row = self.table.row(0)?;
        let keys: Vec<String> = header.cell_iter().map(|c| c.content()).collect();
        let pad = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0);
        let lines: Vec<String> = keys
            .iter()
            .zip(row.cell_iter())
            .map(|(k, v)| format!("{k:<pad$}  {}", v.content().replace('\n', " ")))
            .collect();
        Some(lines.join("\n"))
    }
}

impl std::fmt::Display for ReportTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let too_wide = self.table.width().is_some_and(|w| self.natural_width() > w as usize);
        if too_wide && self.table.row_count() == 1
            && let Some(kv) = self.key_values()
        {
            return f.write_str(&kv);
        }
        write!(f, "{}", self.table)
    }
}

/// A table for a report or for scanned rows, sized to the terminal (or `$COLUMNS`).
pub fn table(header: &[&str]) -> ReportTable {
    // Whatever is printed next is this table: a progress bar must not stay above it.
    clear_progress();
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_truncation_indicator("…")
        .set_header(header.to_vec());
    // Some pseudo-terminals (script(1), container exec, editor shells) report a width of 0: wrapping to it
    // would print one character per line. Use $COLUMNS there (and when stdout is not a terminal but COLUMNS
    // is set), else a common default.
    let cols = std::env::var("COLUMNS").ok().and_then(|c| c.parse::<u16>().ok()).filter(|&c| c >= MIN_TABLE_WIDTH);
    match t.width() {
        Some(w) if w < MIN_TABLE_WIDTH => {
            t.set_width(cols.unwrap_or(120));
        }
        None => {
            if let Some(c) = cols {
                t.set_width(c);
            }
        }
        Some(_) => {}
    }
    ReportTable { table: t }
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

/// Progress bars currently on the terminal, so a report about to be printed can clear them first.
static LIVE_BARS: Mutex<Vec<WeakProgressBar>> = Mutex::new(Vec::new());

/// Clears every progress bar from the terminal and keeps it hidden: called before a report or table is printed
/// on stdout, which shares the terminal with the bars on stderr.
pub fn clear_progress() {
    let bars = std::mem::take(&mut *LIVE_BARS.lock().unwrap_or_else(|e| e.into_inner()));
    for bar in bars.iter().filter_map(WeakProgressBar::upgrade) {
        hide(&bar);
    }
}

fn hide(bar: &ProgressBar) {
    bar.disable_steady_tick();
    if !bar.is_hidden() {
        bar.finish_and_clear();
    }
    bar.set_draw_target(ProgressDrawTarget::hidden());
}

/// A progress bar on stderr, shown only when stderr is a terminal and progress was not turned off. It clears
/// itself when finished or dropped (an error path), and when a report is printed.
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

impl Drop for TermProgress {
    fn drop(&mut self) {
        if let Some(b) = &self.bar {
            hide(b);
        }
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
                LIVE_BARS.lock().unwrap_or_else(|e| e.into_inner()).push(b.downgrade());
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
            hide(b);
        }
    }
}
