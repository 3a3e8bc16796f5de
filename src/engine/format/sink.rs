//! Rolling Parquet writer: rotation by rows, bytes and age, naming, and temp file → footer → fsync sealing.
//!
//! Files are written under a hidden in-progress name; the caller makes a sealed file visible (rename or upload)
//! only after it is complete and fsynced, so no reader ever sees a file without a footer.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use crate::engine::encode::{EncoderPool, ParallelFileWriter};
use crate::engine::error::{Error, Result};

/// A point in the input: `line` (1-based) of input number `input`. Spans are half-open.
pub type Position = (u32, u64);

/// When the open file is closed and a new one started. Whatever is set first triggers.
#[derive(Debug, Clone, Default)]
pub struct RotationPolicy {
    pub max_rows: Option<u64>,
    /// Target size of a finished file in bytes.
    pub max_bytes: Option<u64>,
    /// A file open this long is closed even when no more input arrives.
    pub max_age: Option<Duration>,
}

/// Parquet encoding choices.
#[derive(Debug, Clone)]
pub struct ParquetSettings {
    pub compression: Compression,
    pub row_group_rows: usize,
    /// Threads that encode columns in parallel.
    pub encode_threads: usize,
}

/// A row group is closed once its encoded size reaches this, whatever its row count.
const MAX_ROW_GROUP_BYTES: usize = 128 << 20;

/// Parses `zstd[:level]`, `snappy`, `gzip[:level]`, `lz4`, `none`.
pub fn parse_compression(text: &str) -> std::result::Result<Compression, String> {
    let (name, level) = match text.split_once(':') {
        Some((n, l)) => (n, Some(l)),
        None => (text, None),
    };
    let level_num = |max: i64| -> std::result::Result<Option<i64>, String> {
        match level {
            None => Ok(None),
            Some(l) => match l.parse::<i64>() {
                Ok(v) if (1..=max).contains(&v) => Ok(Some(v)),
                _ => Err(format!("invalid compression level {l:?} for {name} (1..={max})")),
            },
        }
    };
    Ok(match name.to_ascii_lowercase().as_str() {
        "zstd" => {
            let l = level_num(22)?.unwrap_or(3) as i32;
            Compression::ZSTD(ZstdLevel::try_new(l).map_err(|e| e.to_string())?)
        }
        "gzip" => {
            let l = level_num(9)?.unwrap_or(6) as u32;
            Compression::GZIP(GzipLevel::try_new(l).map_err(|e| e.to_string())?)
        }
        "snappy" if level.is_none() => Compression::SNAPPY,
        "lz4" if level.is_none() => Compression::LZ4_RAW,
        "none" | "uncompressed" if level.is_none() => Compression::UNCOMPRESSED,
        _ => return Err(format!("unsupported compression {text:?} (use zstd[:level], snappy, gzip[:level], lz4 or none)")),
    })
}

/// Names output files `{prefix}.{timestamp_millis}.{writer}-{seq}.parquet`; timestamps strictly increase.
#[derive(Debug)]
pub struct FileNamer {
    prefix: String,
    writer: String,
    seq: u64,
    last_ms: i64,
}

impl FileNamer {
    pub fn new(prefix: &str) -> Self {
        let writer = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
        Self { prefix: prefix.to_string(), writer, seq: 0, last_ms: 0 }
    }

    /// The next final name and its timestamp (the sealing time, so names sort in the order files appear).
    pub fn next_name(&mut self) -> (String, i64) {
        let now = chrono::Utc::now().timestamp_millis();
        let ms = now.max(self.last_ms + 1);
        self.last_ms = ms;
        self.seq += 1;
        (format!("{}.{ms}.{}-{:04}.parquet", self.prefix, self.writer, self.seq), ms)
    }
}

/// Chooses the final name (and its timestamp) of each sealed file.
pub trait Namer: Send {
    /// `end` is the input position just after the file's last row.
    fn name(&mut self, end: Position) -> (String, i64);
}

impl Namer for FileNamer {
    fn name(&mut self, _end: Position) -> (String, i64) {
        self.next_name()
    }
}

/// A complete, fsynced Parquet file waiting under its in-progress path to be made visible as `key`.
#[derive(Debug)]
pub struct SealedFile {
    pub temp_path: PathBuf,
    pub key: String,
    pub timestamp_ms: i64,
    pub rows: u64,
    pub bytes: u64,
    pub start: Position,
    pub end: Position,
}

struct OpenFile {
    temp_path: PathBuf,
    writer: ParallelFileWriter,
    rows: u64,
    /// Rows in closed row groups (their bytes are exact).
    rows_flushed: u64,
    /// Row count at which the encoders' estimate is next read (before any size is known).
    next_check: u64,
    opened: Instant,
    start: Position,
    end: Position,
}

impl OpenFile {
    /// Exact bytes per row of the closed row groups, once there are enough rows to trust it.
    fn bytes_per_row(&self) -> Option<f64> {
        (self.rows_flushed >= 64).then(|| self.writer.bytes_written() as f64 / self.rows_flushed as f64)
    }
}

/// Writes batches into a sequence of Parquet files, rotating by the policy.
pub struct RollingWriter {
    dir: PathBuf,
    props: WriterProperties,
    pool: Arc<EncoderPool>,
    row_group_rows: usize,
    policy: RotationPolicy,
    namer: Box<dyn Namer>,
    current: Option<OpenFile>,
    /// Where the next file's input span starts: the end of the previous file.
    cursor: Position,
    /// Bytes per row of the last sealed file (footer included), the size predictor for the next one.
    bytes_per_row: Option<f64>,
    temp_tag: String,
    temp_seq: u64,
}

impl RollingWriter {
    /// `dir` receives in-progress files, named `.prestige-{temp_tag}-{n}.inprogress`; it must be on the same
    /// file system as their final place when the caller renames them.
    pub fn new(
        dir: PathBuf,
        settings: &ParquetSettings,
        policy: RotationPolicy,
        namer: Box<dyn Namer>,
        start: Position,
        temp_tag: &str,
    ) -> Result<Self> {
        let pool = EncoderPool::new(settings.encode_threads).map_err(|e| Error::io("start encoder threads", "", e))?;
        Self::with_pool(dir, settings, policy, namer, start, temp_tag, Arc::new(pool))
    }

    /// Like [`RollingWriter::new`], encoding on a shared pool (many writers, as in a partition fan-out).
    pub fn with_pool(
        dir: PathBuf,
        settings: &ParquetSettings,
        policy: RotationPolicy,
        namer: Box<dyn Namer>,
        start: Position,
        temp_tag: &str,
        pool: Arc<EncoderPool>,
    ) -> Result<Self> {
        let props = WriterProperties::builder()
            .set_compression(settings.compression)
            .set_statistics_enabled(EnabledStatistics::Page)
            .set_created_by(format!("prestige {}", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Self {
            dir,
            props,
            pool,
            row_group_rows: settings.row_group_rows.max(1),
            policy,
            namer,
            current: None,
            cursor: start,
            bytes_per_row: None,
            temp_tag: temp_tag.to_string(),
            temp_seq: 0,
        })
    }

    /// When the open file must be closed by age, if a file is open and an age limit is set.
    pub fn deadline(&self) -> Option<Instant> {
        let age = self.policy.max_age?;
        self.current.as_ref().map(|c| c.opened + age)
    }

    fn open(&mut self, schema: &SchemaRef) -> Result<&mut OpenFile> {
        if self.current.is_none() {
            self.temp_seq += 1;
            let temp_path = self.dir.join(format!(".prestige-{}-{}.inprogress", self.temp_tag, self.temp_seq));
            let file = File::create(&temp_path).map_err(|e| Error::io("create", &temp_path, e))?;
            let writer = ParallelFileWriter::try_new(file, Arc::clone(schema), &self.props, self.pool.clone())
                .map_err(|e| Error::Parquet { path: temp_path.display().to_string(), source: e })?;
            self.current =
                Some(OpenFile { temp_path, writer, rows: 0, rows_flushed: 0, next_check: 0, opened: Instant::now(), start: self.cursor, end: self.cursor });
        }
        Ok(self.current.as_mut().expect("opened above")) // ok: set just above
    }

    /// Notes that input up to `end` has been consumed (lines that produced no rows still belong to the open file).
    pub fn advance(&mut self, end: Position) {
        if let Some(c) = &mut self.current {
            c.end = end;
        }
    }

    /// Writes `batch`, whose row `r` came from line `lines[r]` of input `input`; returns files sealed on the way.
    pub fn write(&mut self, batch: &RecordBatch, input: u32, lines: &[u64]) -> Result<Vec<SealedFile>> {
        let mut sealed = Vec::new();
        let n = batch.num_rows();
        let mut off = 0;
        while off < n {
            let max_rows = self.policy.max_rows;
            let max_bytes = self.policy.max_bytes;
            let row_group_rows = self.row_group_rows;
            let known_bpr = self.bytes_per_row;
            let c = self.open(batch.schema_ref())?;
            let path = c.temp_path.display().to_string();
            let perr = |e| Error::Parquet { path: path.clone(), source: e };
            let mut take = n - off;
            if let Some(m) = max_rows {
                take = take.min((m - c.rows) as usize);
            }
            // Never overfill the row group: --row-group-rows is a maximum.
            take = take.min(row_group_rows.saturating_sub(c.writer.rows_in_group()).max(1));
            if let Some(mb) = max_bytes {
                // Feed slices of about 1/50 of the target so the size check is fine-grained.
                let bpr = c.bytes_per_row().or(known_bpr).unwrap_or(64.0);
                take = take.min(((mb as f64 / 50.0) / bpr).max(64.0) as usize);
            }
            c.writer.write(&batch.slice(off, take)).map_err(perr)?;
            c.rows += take as u64;
            off += take;
            c.end = (input, lines[off - 1] + 1);
            if c.writer.rows_in_group() >= row_group_rows || c.writer.in_progress_size() >= MAX_ROW_GROUP_BYTES {
                c.writer.flush().map_err(perr)?;
                c.rows_flushed = c.rows;
            }

            let full_rows = max_rows.is_some_and(|m| c.rows >= m);
            let mut full_bytes = false;
            if let Some(mb) = max_bytes {
                let target = mb as f64;
                // Predict the finished size from bytes per row, known exactly from this file's closed row
                // groups or from the previous file. Rows, not encoder timing, decide where a file ends, so
                // the same input always splits the same way (a compaction plan equals its run).
                match (c.bytes_per_row(), known_bpr) {
                    (Some(bpr), _) => full_bytes = c.rows as f64 * bpr >= target,
                    (None, Some(prev)) => {
                        // The previous file's rate gets us near the target; close the row group there to
                        // learn this file's own rate (rows may be wider or narrower here), then finish with it.
                        if c.rows as f64 * prev >= target * 0.9 {
                            c.writer.flush().map_err(perr)?;
                            c.rows_flushed = c.rows;
                            full_bytes = c.writer.bytes_written() as f64 >= target * 0.93;
                        }
                    }
                    (None, None) if c.rows >= c.next_check => {
                        // Nothing known yet: wait for the encoders' estimate to reach the target, then close
                        // the row group to learn the real size, and seal only if it is close enough. Reading a
                        // settled estimate stalls the encoders, so far from the target it is read only at
                        // doubling row counts (a schedule of rows, so still the same for the same input).
                        let settled = c.writer.settled_in_progress_size().map_err(perr)? as f64;
                        let estimate = c.writer.bytes_written() as f64 + settled;
                        if estimate >= target {
                            c.writer.flush().map_err(perr)?;
                            c.rows_flushed = c.rows;
                            full_bytes = c.writer.bytes_written() as f64 >= target * 0.93;
                        } else {
                            c.next_check = if estimate < target / 2.0 { c.rows * 2 } else { c.rows + 1 };
                        }
                    }
                    (None, None) => {}
                }
            }
            if full_rows || full_bytes {
                sealed.extend(self.seal()?);
            }
        }
        Ok(sealed)
    }

    /// Finishes the open file (footer, fsync) and names it; `None` when no file is open.
    pub fn seal(&mut self) -> Result<Option<SealedFile>> {
        let Some(c) = self.current.take() else { return Ok(None) };
        let path = c.temp_path.display().to_string();
        let mut writer = c.writer;
        writer.flush().map_err(|e| Error::Parquet { path: path.clone(), source: e })?;
        let file = writer.finish().map_err(|e| Error::Parquet { path: path.clone(), source: e })?;
        file.sync_all().map_err(|e| Error::io("fsync", &c.temp_path, e))?;
        let bytes = file.metadata().map_err(|e| Error::io("stat", &c.temp_path, e))?.len();
        if c.rows > 0 {
            self.bytes_per_row = Some(bytes as f64 / c.rows as f64);
        }
        drop(file);
        let (key, timestamp_ms) = self.namer.name(c.end);
        self.cursor = c.end;
        Ok(Some(SealedFile { temp_path: c.temp_path, key, timestamp_ms, rows: c.rows, bytes, start: c.start, end: c.end }))
    }

    /// Drops the open file without sealing it.
    pub fn discard(&mut self) {
        if let Some(c) = self.current.take() {
            c.writer.abandon();
            let _ = std::fs::remove_file(&c.temp_path);
        }
    }
}

/// Checks that `path` ends with a Parquet footer (`PAR1` magic at both ends, footer length in range).
pub fn has_parquet_footer(path: &Path) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    if len < 12 {
        return Ok(false);
    }
    let mut head = [0u8; 4];
    f.read_exact(&mut head)?;
    let mut tail = [0u8; 8];
    f.seek(SeekFrom::End(-8))?;
    f.read_exact(&mut tail)?;
    let footer_len = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]) as u64;
    Ok(&head == b"PAR1" && &tail[4..] == b"PAR1" && footer_len + 12 <= len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_names() {
        assert_eq!(parse_compression("snappy").unwrap(), Compression::SNAPPY);
        assert!(matches!(parse_compression("zstd:9").unwrap(), Compression::ZSTD(_)));
        assert!(parse_compression("brotli").is_err());
        assert!(parse_compression("zstd:99").is_err());
    }

    #[test]
    fn names_sort_and_never_repeat() {
        let mut n = FileNamer::new("events");
        let (a, ta) = n.next_name();
        let (b, tb) = n.next_name();
        assert!(tb > ta && a != b);
        assert!(a.starts_with("events.") && a.ends_with(".parquet"));
    }
}
