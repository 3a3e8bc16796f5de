//! Parquet compaction of one prefix: selection by name and time window, schema unification, a streaming merge
//! into target-sized `.c.parquet` outputs, and a crash-safe publish protocol under a lock.
//!
//! Protocol: outputs are written to staging first; then a journal object listing inputs and outputs is stored;
//! then outputs are made visible; then inputs are deleted; then the journal is deleted. A run that finds a
//! journal rolls it forward (all outputs visible: delete the remaining inputs) or back (delete the outputs
//! that made it): after any crash, a rerun converges to every input row present exactly once.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use arrow::datatypes::{Field, Schema, SchemaRef};
use bytes::Bytes;
use futures::StreamExt;
use parquet::arrow::arrow_reader::ArrowReaderMetadata;
use serde::{Deserialize, Serialize};

use crate::engine::dedup::{Dedup, Deduper, KeepSet};
use crate::engine::error::{Error, Result};
use crate::engine::failpoint;
use crate::engine::lock::{Lease, LockOptions};
use crate::engine::naming::{JOURNAL_SUFFIX, KeyKind, LOCK_SUFFIX, classify, split_prefix};
use crate::engine::progress::Progress;
use crate::engine::sink::{Namer, ParquetSettings, Position, RollingWriter, RotationPolicy, SealedFile};
use crate::engine::source;
use crate::engine::storage::{self, BlobStore, Location, PutOptions, S3Settings};
use crate::engine::unify::{conform, unify};

#[derive(Debug, Clone)]
pub struct CompactOptions {
    pub location: Location,
    /// `name` or `folder/name`.
    pub prefix: String,
    /// Select files with timestamp > start …
    pub start_ms: Option<i64>,
    /// … and <= end.
    pub end_ms: Option<i64>,
    pub target_bytes: u64,
    pub parquet: ParquetSettings,
    pub include_compacted: bool,
    pub keep_originals: bool,
    pub plan: bool,
    pub dedup: Option<Dedup>,
    /// Memory for deduplication; beyond it, row hashes are spilled into partitions under the state dir.
    pub dedup_memory: u64,
    /// Lease length of the compaction lock (renewed every third of it while the run lasts).
    pub lock_ttl: Duration,
    /// Take over the lock whoever holds it.
    pub break_lock: bool,
    pub state_dir: PathBuf,
    pub s3: S3Settings,
}

#[derive(Debug, Clone, Serialize)]
pub struct SkippedFile {
    pub key: String,
    /// `stray` (a key that does not follow the naming pattern), `unreadable` (not Parquet) or `schema_conflict`.
    pub kind: SkipKind,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipKind {
    Stray,
    Unreadable,
    SchemaConflict,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeletionFailure {
    pub key: String,
    pub error: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputFile {
    pub location: String,
    pub key: String,
    pub rows: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CompactReport {
    /// `compacted`, `nothing_to_do` or `plan`.
    pub status: String,
    pub location: String,
    pub prefix: String,
    pub files_processed: usize,
    pub files_created: usize,
    pub records_consolidated: u64,
    pub bytes_before: u64,
    pub bytes_after: u64,
    pub duplicate_records_eliminated: u64,
    pub skipped: Vec<SkippedFile>,
    pub deletion_failures: Vec<DeletionFailure>,
    pub last_processed_timestamp_ms: Option<i64>,
    pub last_processed_timestamp: Option<String>,
    /// What this run did with the journal of an earlier, interrupted run (`rolled_forward`, `rolled_back`).
    pub recovered: Option<String>,
    pub outputs: Vec<OutputFile>,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct JournalEntry {
    key: String,
    size: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CompactionJournal {
    id: String,
    inputs: Vec<JournalEntry>,
    outputs: Vec<JournalEntry>,
    created_ms: i64,
}

fn fmt_ms(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// Names outputs `{prefix}.{ts}.c.parquet` with `ts` the timestamp of the newest input file in the output,
/// bumped past names already taken so no output ever overwrites an existing object.
struct CompactNamer {
    prefix: String,
    input_ts: Vec<i64>,
    /// Global number of the first row of each input, minus one (inputs in order, rows counted from 1).
    file_starts: Vec<u64>,
    taken: HashSet<String>,
    last: i64,
}

impl Namer for CompactNamer {
    /// `end.1 - 1` is the global row number (1-based, across all inputs in order) of the output's last row.
    fn name(&mut self, end: Position) -> (String, i64) {
        let last_row = end.1.saturating_sub(1);
        let idx = self.file_starts.partition_point(|&start| start < last_row).saturating_sub(1);
        let idx = idx.min(self.input_ts.len().saturating_sub(1));
        let mut ts = self.input_ts.get(idx).copied().unwrap_or(0).max(self.last + 1);
        loop {
            let name = format!("{}.{ts}.c.parquet", self.prefix);
            if self.taken.insert(name.clone()) {
                self.last = ts;
                return (name, ts);
            }
            ts += 1;
        }
    }
}

struct Candidate {
    key: String,
    size: u64,
    ts: i64,
}

/// Input files no larger than this are read whole, several at once, ahead of the merge.
const PREFETCH_MAX_FILE: u64 = 2 << 20;
/// How many input files are fetched ahead.
const PREFETCH_FILES: usize = 16;

/// The inputs' batches in order, conformed to `schema`, as (file index, first row, batch). Small files are
/// fetched and decoded several at a time so object-store latency overlaps; large ones are streamed.
fn input_batches(
    store: Arc<dyn BlobStore>,
    inputs: &[(Candidate, ArrowReaderMetadata)],
    schema: SchemaRef,
) -> futures::stream::BoxStream<'_, Result<(usize, u64, RecordBatch)>> {
    use futures::TryStreamExt;
    futures::stream::iter(inputs.iter().enumerate())
        .map(move |(i, (c, m))| {
            let (store, schema) = (store.clone(), schema.clone());
            let (key, size, meta) = (c.key.clone(), c.size, m.clone());
            let worker = format!("compaction reader of {}", store.location().display_key(&c.key));
            // Each file is fetched and decoded on its own task, so several decode on the runtime's threads.
            let task = tokio::spawn(async move {
                failpoint::panic_point("compact.read");
                let path = store.location().display_key(&key);
                let s = source::stream(store.clone(), &key, size, meta, 8192)?
                    .map(move |b| b.map_err(|e| Error::Parquet { path: path.clone(), source: e }));
                let batches: futures::stream::BoxStream<'static, Result<RecordBatch>> = if size <= PREFETCH_MAX_FILE {
                    let all: Vec<Result<RecordBatch>> = s.collect().await;
                    futures::stream::iter(all).boxed()
                } else {
                    s.boxed()
                };
                let mut row = 0u64;
                Ok::<_, Error>(batches.map(move |b| {
                    let b = conform(&b?, &schema)?;
                    let first = row;
                    row += b.num_rows() as u64;
                    Ok((i, first, b))
                }))
            });
            async move {
                match task.await {
                    Ok(r) => r,
                    Err(e) if e.is_panic() => Err(Error::from_panic(worker, e.into_panic())),
                    Err(e) => Err(Error::Internal { worker, message: e.to_string() }),
                }
            }
        })
        .buffered(PREFETCH_FILES)
        .try_flatten()
        .boxed()
}

/// Rows gathered into one batch before it is handed to the encoders.
const COALESCE_ROWS: usize = 8192;

/// Concatenates batches (already in `schema`) and their row numbers.
fn coalesce(schema: &SchemaRef, parts: Vec<(RecordBatch, Vec<u64>)>) -> Result<(RecordBatch, Vec<u64>)> {
    let lines: Vec<u64> = parts.iter().flat_map(|(_, l)| l.iter().copied()).collect();
    let batches: Vec<RecordBatch> = parts.into_iter().map(|(b, _)| b).collect();
    let batch = arrow::compute::concat_batches(schema, &batches).map_err(|e| Error::Config(e.to_string()))?;
    Ok((batch, lines))
}

pub async fn compact(opts: CompactOptions, progress: Arc<dyn Progress>) -> Result<CompactReport> {
    // A directory that does not exist is a wrong path, not an empty lake: fail like scan, create nothing.
    if let Location::Local(root) = &opts.location
        && !root.is_dir()
    {
        return Err(Error::NotFound { location: root.display().to_string(), message: "no such directory".into() });
    }
    let store = storage::open(&opts.location, &opts.s3).await?;
    store.check().await?;
    let (folder, name) = split_prefix(&opts.prefix);
    let lock_key = format!("{folder}{name}.{LOCK_SUFFIX}");
    let lock_opts = LockOptions { ttl: opts.lock_ttl, break_lock: opts.break_lock };
    let lease = if opts.plan { None } else { Some(Lease::acquire(store.clone(), lock_key, &lock_opts).await?) };
    let mut result = run(&opts, store, &folder, &name, lease.as_ref(), progress).await;
    // A run that failed while another process took the lock over (its inputs vanished, say) failed because it
    // lost the lock: say so, and exit as busy. (Bounded: a store that is down should not delay the error.)
    if let (Err(e), Some(l)) = (&result, &lease)
        && !matches!(e, Error::Busy { .. })
        && let Ok(Err(Error::Busy { what })) = tokio::time::timeout(Duration::from_secs(5), l.confirm()).await
    {
        result = Err(Error::Busy { what: format!("{what} (meanwhile this run failed: {e})") });
    }
    if let Some(l) = lease {
        l.release().await;
    }
    result
}

/// Removes what an interrupted local run `id` left staged next to the data (hidden, never selected, but
/// taking space). S3 runs stage under `--state-dir`, per run.
fn remove_staged(location: &Location, folder: &str, id: &str) {
    let Location::Local(root) = location else { return };
    let dir = root.join(folder);
    let Ok(entries) = std::fs::read_dir(&dir) else { return };
    let stem = format!(".prestige-{id}-");
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with(&stem) && n.ends_with(".inprogress") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Before a destructive step: the store confirms this run still holds the lock (no-op in a plan).
async fn confirm(lease: Option<&Lease>) -> Result<()> {
    match lease {
        Some(l) => l.confirm().await,
        None => Ok(()),
    }
}

/// Inside loops: fails once the lease is known lost or about to run out (no store round trip).
fn check(lease: Option<&Lease>) -> Result<()> {
    lease.map_or(Ok(()), Lease::check)
}

/// Removes staged files and scratch directories of a run when it ends, however it ends (files already
/// published were renamed or uploaded and removed, so nothing visible is touched).
struct Scratch {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for f in &self.files {
            let _ = std::fs::remove_file(f);
        }
        for d in &self.dirs {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

async fn run(
    opts: &CompactOptions,
    store: Arc<dyn BlobStore>,
    folder: &str,
    name: &str,
    lease: Option<&Lease>,
    progress: Arc<dyn Progress>,
) -> Result<CompactReport> {
    let started = Instant::now();
    let journal_key = format!("{folder}{name}.{JOURNAL_SUFFIX}");
    let mut listing = store.list(&format!("{folder}{name}."), None).await?;

    // 1. Finish or undo an interrupted compaction first (in a plan: only as if).
    let mut recovered = None;
    if let Some(jm) = listing.iter().find(|o| o.key == journal_key).cloned() {
        let journal: CompactionJournal = serde_json::from_slice(&store.get(&jm.key).await?).map_err(|e| Error::Storage {
            location: store.location().display_key(&jm.key),
            message: format!("unreadable compaction journal: {e}"),
        })?;
        let present = |k: &str, size: u64| listing.iter().any(|o| o.key == k && o.size == size);
        let complete = journal.outputs.iter().all(|o| present(&o.key, o.size));
        let doomed: Vec<String> = if complete {
            journal.inputs.iter().filter(|i| present(&i.key, i.size)).map(|i| i.key.clone()).collect()
        } else {
            journal.outputs.iter().filter(|o| listing.iter().any(|l| l.key == o.key)).map(|o| o.key.clone()).collect()
        };
        recovered = Some(if complete { "rolled_forward" } else { "rolled_back" }.to_string());
        if !opts.plan {
            confirm(lease).await?;
            let failed = store.delete(&doomed).await?;
            if let Some((k, e)) = failed.first() {
                return Err(Error::Storage {
                    location: store.location().display_key(k),
                    message: format!("recovering the interrupted compaction {}: {e}", journal.id),
                });
            }
            store.delete(std::slice::from_ref(&journal_key)).await?;
            remove_staged(&opts.location, folder, &journal.id);
            tracing::info!("recovered interrupted compaction {}: {}", journal.id, recovered.as_deref().unwrap_or(""));
        }
        let gone: HashSet<String> = doomed.into_iter().collect();
        listing.retain(|o| !gone.contains(&o.key) && o.key != journal_key);
    }

    // 2. Select.
    let keys: HashSet<&str> = listing.iter().map(|o| o.key.as_str()).collect();
    let mut skipped = Vec::new();
    let mut candidates = Vec::new();
    let mut taken: HashSet<String> = HashSet::new();
    for o in &listing {
        let rel = &o.key[folder.len()..];
        taken.insert(o.key.clone());
        match classify(rel, name) {
            KeyKind::Data { timestamp_ms, compacted } => {
                if opts.start_ms.is_some_and(|s| timestamp_ms <= s) || opts.end_ms.is_some_and(|e| timestamp_ms > e) {
                    continue;
                }
                if compacted && !opts.include_compacted {
                    continue;
                }
                if keys.contains(format!("{}.processed", o.key).as_str()) {
                    continue; // kept original of an earlier compaction (--keep-originals)
                }
                candidates.push(Candidate { key: o.key.clone(), size: o.size, ts: timestamp_ms });
            }
            KeyKind::Stray(reason) => {
                if rel.ends_with(".parquet.processed") {
                    continue;
                }
                tracing::warn!("skipping {}: {reason}", store.location().display_key(&o.key));
                skipped.push(SkippedFile { key: o.key.clone(), kind: SkipKind::Stray, reason: reason.to_string() });
            }
            KeyKind::Control | KeyKind::Foreign => {}
        }
    }
    candidates.sort_by(|a, b| (a.ts, &a.key).cmp(&(b.ts, &b.key)));

    // 3. Footers (several in flight) and the unified schema.
    let metas: Vec<Result<ArrowReaderMetadata>> = futures::stream::iter(candidates.iter())
        .map(|c| source::read_metadata(store.clone(), &c.key, c.size))
        .buffered(16)
        .collect()
        .await;
    let mut inputs: Vec<(Candidate, ArrowReaderMetadata)> = Vec::new();
    let mut fields: Vec<Field> = Vec::new();
    let mut first_skipped_ts: Option<i64> = None;
    for (c, m) in candidates.into_iter().zip(metas) {
        let (kind, reason) = match m {
            Err(e) => (SkipKind::Unreadable, format!("unreadable Parquet: {e}")),
            Ok(m) => match unify(&mut fields, m.schema()) {
                Ok(()) => {
                    inputs.push((c, m));
                    continue;
                }
                Err(why) => (SkipKind::SchemaConflict, format!("schema conflict: {why}")),
            },
        };
        tracing::warn!("skipping {}: {reason}", store.location().display_key(&c.key));
        first_skipped_ts = Some(first_skipped_ts.map_or(c.ts, |t: i64| t.min(c.ts)));
        skipped.push(SkippedFile { key: c.key, kind, reason });
    }
    let last_processed = inputs.iter().map(|(c, _)| c.ts).filter(|t| first_skipped_ts.is_none_or(|s| *t < s)).max();

    let mut report = CompactReport {
        status: if opts.plan { "plan" } else { "nothing_to_do" }.into(),
        location: opts.location.to_string(),
        prefix: opts.prefix.clone(),
        files_processed: 0,
        files_created: 0,
        records_consolidated: 0,
        bytes_before: 0,
        bytes_after: 0,
        duplicate_records_eliminated: 0,
        skipped,
        deletion_failures: vec![],
        last_processed_timestamp_ms: last_processed,
        last_processed_timestamp: last_processed.and_then(fmt_ms),
        recovered,
        outputs: vec![],
        elapsed_ms: 0,
    };
    if inputs.is_empty() {
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        return Ok(report);
    }

    // 4. Merge into staged outputs.
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    let total: u64 = inputs.iter().map(|(c, _)| c.size).sum();
    progress.start("compact", Some(total));
    let run_tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    let (work_dir, local_root) = match &opts.location {
        Location::Local(root) => (root.join(folder), Some(root.clone())),
        Location::S3 { .. } => (opts.state_dir.join("staging").join(&run_tag), None),
    };
    std::fs::create_dir_all(&work_dir).map_err(|e| Error::io("create directory", &work_dir, e))?;
    let dedup_dir = work_dir.join(format!(".dedup-{run_tag}"));
    let mut scratch = Scratch { files: vec![], dirs: vec![dedup_dir.clone()] };
    if local_root.is_none() {
        scratch.dirs.push(work_dir.clone());
    }
    let mut file_starts = Vec::with_capacity(inputs.len());
    let mut acc = 0u64;
    for (_, m) in &inputs {
        file_starts.push(acc);
        acc += m.metadata().file_metadata().num_rows().max(0) as u64;
    }
    let namer = CompactNamer {
        prefix: format!("{folder}{name}"),
        input_ts: inputs.iter().map(|(c, _)| c.ts).collect(),
        file_starts: file_starts.clone(),
        taken,
        last: 0,
    };
    let mut rolling = RollingWriter::new(
        work_dir.clone(),
        &opts.parquet,
        RotationPolicy { max_rows: None, max_bytes: Some(opts.target_bytes), max_age: None },
        Box::new(namer),
        (0, 1),
        &run_tag,
    )?;
    // Deduplication pass: which rows to keep, decided over the whole window before anything is written.
    let rows_in: u64 = inputs.iter().map(|(_, m)| m.metadata().file_metadata().num_rows().max(0) as u64).sum();
    let keep: Option<KeepSet> = match &opts.dedup {
        Some(mode) => {
            let rows_per_file = inputs.iter().map(|(_, m)| m.metadata().file_metadata().num_rows().max(0) as u64).collect();
            let mut d = Deduper::new(mode.clone(), &schema, rows_per_file, opts.dedup_memory, &dedup_dir)?;
            if d.partitions() > 1 {
                tracing::info!("deduplicating {rows_in} rows in {} spilled partitions", d.partitions());
            }
            let mut batches = input_batches(store.clone(), &inputs, schema.clone());
            while let Some(b) = batches.next().await {
                let (i, row, batch) = b?;
                check(lease)?;
                tokio::task::block_in_place(|| d.add(&batch, i as u32, row))?;
            }
            let keep = tokio::task::block_in_place(|| d.finish())?;
            let _ = std::fs::remove_dir_all(&dedup_dir);
            Some(keep)
        }
        None => None,
    };

    let (tx, mut rx) = tokio::sync::mpsc::channel::<(RecordBatch, u32, Vec<u64>)>(4);
    let writer = tokio::task::spawn_blocking(move || -> Result<Vec<SealedFile>> {
        let mut sealed = Vec::new();
        // A panic while encoding becomes this run's error (after the cleanup below), never a lost thread.
        let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> Result<()> {
            while let Some((batch, input, lines)) = rx.blocking_recv() {
                failpoint::panic_point("compact.write");
                sealed.extend(rolling.write(&batch, input, &lines)?);
            }
            sealed.extend(rolling.seal()?);
            Ok(())
        }))
        .unwrap_or_else(|payload| Err(Error::from_panic("compaction writer", payload)));
        match res {
            Ok(()) => Ok(sealed),
            Err(e) => {
                rolling.discard();
                for s in &sealed {
                    let _ = std::fs::remove_file(&s.temp_path);
                }
                Err(e)
            }
        }
    });
    let mut read_err = None;
    let mut batches = input_batches(store.clone(), &inputs, schema.clone());
    let mut done_file = 0usize;
    let mut pending: Vec<(RecordBatch, Vec<u64>)> = Vec::new();
    let mut pending_rows = 0usize;
    while let Some(b) = batches.next().await {
        let (i, row, batch) = match b.and_then(|x| check(lease).map(|()| x)) {
            Ok(x) => x,
            Err(e) => {
                read_err = Some(e);
                break;
            }
        };
        while done_file < i {
            progress.advance(inputs[done_file].0.size);
            done_file += 1;
        }
        let n = batch.num_rows() as u64;
        let base = file_starts[i] + row;
        let mut lines: Vec<u64> = (base + 1..=base + n).collect();
        let batch = match &keep {
            Some(k) => {
                let f = k.filter(i, row, n as usize);
                lines = lines.into_iter().zip(f.values().iter()).filter(|(_, k)| *k).map(|(l, _)| l).collect();
                match arrow::compute::filter_record_batch(&batch, &f) {
                    Ok(b) => b,
                    Err(e) => {
                        read_err = Some(Error::Config(e.to_string()));
                        break;
                    }
                }
            }
            None => batch,
        };
        if batch.num_rows() == 0 {
            continue;
        }
        // Small files give small batches: coalesce them so the encoders work on fewer, larger ones.
        pending_rows += batch.num_rows();
        pending.push((batch, lines));
        if pending_rows >= COALESCE_ROWS {
            let (b, l) = match coalesce(&schema, std::mem::take(&mut pending)) {
                Ok(x) => x,
                Err(e) => {
                    read_err = Some(e);
                    break;
                }
            };
            pending_rows = 0;
            if tx.send((b, 0, l)).await.is_err() {
                break;
            }
        }
        failpoint::hit("compact.mid_read");
    }
    if read_err.is_none() && !pending.is_empty() {
        match coalesce(&schema, std::mem::take(&mut pending)) {
            Ok((b, l)) => {
                let _ = tx.send((b, 0, l)).await;
            }
            Err(e) => read_err = Some(e),
        }
    }
    drop(batches);
    for (c, _) in &inputs[done_file.min(inputs.len())..] {
        progress.advance(c.size);
    }
    drop(tx);
    let sealed = match writer.await {
        Ok(r) => r,
        Err(e) if e.is_panic() => Err(Error::from_panic("compaction writer", e.into_panic())),
        Err(e) => Err(Error::Internal { worker: "compaction writer".into(), message: e.to_string() }),
    };
    if let Ok(s) = &sealed {
        scratch.files.extend(s.iter().map(|f| f.temp_path.clone()));
    }
    let sealed = match (read_err, sealed) {
        // A reader's failure comes first: a writer that stopped because the reader did has nothing to add.
        (Some(e), _) | (None, Err(e)) => return Err(e),
        (None, Ok(s)) => s,
    };
    progress.finish();

    report.files_processed = inputs.len();
    report.files_created = sealed.len();
    report.records_consolidated = sealed.iter().map(|s| s.rows).sum();
    report.duplicate_records_eliminated = rows_in.saturating_sub(report.records_consolidated);
    report.bytes_before = total;
    report.bytes_after = sealed.iter().map(|s| s.bytes).sum();
    report.outputs = sealed
        .iter()
        .map(|s| OutputFile { location: store.location().display_key(&s.key), key: s.key.clone(), rows: s.rows, bytes: s.bytes })
        .collect();
    if opts.plan {
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        return Ok(report);
    }

    // 5. Journal, publish, delete.
    let journal = CompactionJournal {
        id: run_tag.clone(),
        inputs: inputs.iter().map(|(c, _)| JournalEntry { key: c.key.clone(), size: c.size }).collect(),
        outputs: sealed.iter().map(|s| JournalEntry { key: s.key.clone(), size: s.bytes }).collect(),
        created_ms: chrono::Utc::now().timestamp_millis(),
    };
    let body = serde_json::to_vec_pretty(&journal).map_err(|e| Error::Config(e.to_string()))?;
    confirm(lease).await?;
    store.put_bytes(&journal_key, Bytes::from(body), false).await?;
    failpoint::hit("compact.after_journal");
    for (n, s) in sealed.iter().enumerate() {
        check(lease)?;
        match &local_root {
            Some(root) => {
                let dest = root.join(&s.key);
                std::fs::rename(&s.temp_path, &dest).map_err(|e| Error::io("rename", &dest, e))?;
                storage::local::fsync_dir(dest.parent().unwrap_or(root))?;
            }
            None => {
                let put = PutOptions::default();
                let out = store.put_file(&s.key, &s.temp_path, &put).await?;
                if out.size != s.bytes {
                    return Err(Error::Storage {
                        location: store.location().display_key(&s.key),
                        message: format!("uploaded {} bytes of {}", out.size, s.bytes),
                    });
                }
                let _ = std::fs::remove_file(&s.temp_path);
            }
        }
        if n == 0 {
            failpoint::hit("compact.after_first_output");
        }
    }
    failpoint::hit("compact.before_delete");
    let input_keys: Vec<String> = inputs.iter().map(|(c, _)| c.key.clone()).collect();
    let mut failures = Vec::new();
    confirm(lease).await?;
    if opts.keep_originals {
        for k in &input_keys {
            check(lease)?;
            store.put_bytes(&format!("{k}.processed"), Bytes::new(), false).await?;
        }
    } else {
        let half = input_keys.len().div_ceil(2);
        for (n, part) in input_keys.chunks(half.max(1)).enumerate() {
            if n == 1 {
                failpoint::hit("compact.mid_delete");
            }
            check(lease)?;
            if failpoint::injected_error("compact.delete") && n == 0 {
                // The first input of the first batch "fails"; the rest go through.
                failures.push((part[0].clone(), "injected failure".to_string()));
                failures.extend(store.delete(&part[1..]).await?);
                continue;
            }
            failures.extend(store.delete(part).await?);
        }
    }
    if failures.is_empty() {
        failpoint::hit("compact.before_journal_delete");
        confirm(lease).await?;
        store.delete(std::slice::from_ref(&journal_key)).await?;
    }
    report.deletion_failures = failures.into_iter().map(|(key, error)| DeletionFailure { key, error }).collect();
    report.status = "compacted".into();
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}
