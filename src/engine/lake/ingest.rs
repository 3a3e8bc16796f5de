//! NDJSON → rolling Parquet files at a local directory or on S3: the threaded pipeline and its resume logic.
//!
//! read (decompress) → chunk at line boundaries → decode on N threads → reorder → encode/rotate → publish
//! (rename locally, or upload in the background). Every queue is bounded, so memory does not grow with input.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use serde::Serialize;

use crate::engine::error::{Error, Result};
use crate::engine::failpoint;
use crate::engine::iceberg::append::{CommitInfo, TableCommitter, TableTarget};
use crate::engine::iceberg::write::{FanOut, TableFile};
use crate::engine::journal::{Consumed, Covered, InputFingerprint, Journal, Record};
use crate::engine::ndjson::{LineDecoder, infer_schema_labelled};
use crate::engine::progress::Progress;
use crate::engine::sink::{FileNamer, ParquetSettings, Position, RollingWriter, RotationPolicy, SealedFile};
use crate::engine::storage::{self, BlobStore, Location, PutOptions, S3Settings};

/// Where NDJSON comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".into(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

/// Most bad lines a run may skip or dead-letter before it fails (`--max-bad-lines N|P%`).
#[derive(Debug, Clone, PartialEq)]
pub enum BadLineLimit {
    Count(u64),
    /// Percent of the lines this run read (checked at the end).
    Percent(f64),
}

/// What to do with a line that cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadLinePolicy {
    Fail,
    Skip,
    DeadLetter(PathBuf),
}

#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub inputs: Vec<Input>,
    pub destination: Location,
    pub prefix: String,
    pub schema: Option<SchemaRef>,
    pub infer_rows: usize,
    pub rotation: RotationPolicy,
    pub parquet: ParquetSettings,
    pub on_error: BadLinePolicy,
    pub max_bad_lines: Option<BadLineLimit>,
    pub max_line_bytes: usize,
    pub state_dir: PathBuf,
    pub restart: bool,
    /// With `restart`: start over even though files of the earlier run are still at the destination.
    pub force: bool,
    pub s3: S3Settings,
    pub upload_concurrency: usize,
    pub part_size: u64,
    pub decode_threads: usize,
    /// Set from outside (a signal) to finish the current file and stop.
    pub stop: Arc<AtomicBool>,
    /// Append to an Iceberg table instead of publishing files under `destination`/`prefix` (then
    /// `destination` is the table's data location).
    pub table: Option<TableTarget>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum IngestStatus {
    Complete,
    Interrupted,
    AlreadyIngested,
}

#[derive(Debug, Clone, Serialize)]
pub struct WrittenFile {
    pub location: String,
    pub key: String,
    pub rows: u64,
    pub bytes: u64,
    pub timestamp_ms: i64,
    pub timestamp: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    pub status: IngestStatus,
    pub destination: String,
    pub files: Vec<WrittenFile>,
    pub files_written: usize,
    pub rows: u64,
    pub bytes: u64,
    pub bad_lines_skipped: u64,
    pub bad_lines_dead_lettered: u64,
    pub resumed: bool,
    /// Lines skipped because an earlier, interrupted run already stored them.
    pub lines_already_ingested: u64,
    pub input_bytes: u64,
    pub elapsed_ms: u64,
    pub rows_per_sec: f64,
    pub schema: serde_json::Value,
    /// `ns.table` for an Iceberg destination.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// The Iceberg commits this run made, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits: Option<Vec<CommitInfo>>,
    /// The branch an Iceberg destination's commits went to (`main` unless `--branch`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The `wap.id` every snapshot of the run carries (`--wap-id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wap_id: Option<String>,
}

const CHUNK_BYTES: usize = 2 << 20;
const READ_BLOCK: usize = 1 << 20;

struct Block {
    input: u32,
    data: Vec<u8>,
}

enum ReadMsg {
    Block(Block),
    EndOfInput(u32),
    Failed(Error),
}

struct Chunk {
    seq: u64,
    input: u32,
    first_line: u64,
    /// Line after the last line of the chunk.
    end_line: u64,
    data: Vec<u8>,
    skip: Vec<(u64, u64)>,
    schema: SchemaRef,
}

struct Decoded {
    seq: u64,
    input: u32,
    /// The chunk's bytes and first line: the writer fingerprints consumed input with them.
    data: Vec<u8>,
    first_line: u64,
    /// The declared (or inferred) schema of the rows.
    schema: Option<SchemaRef>,
    batch: Option<RecordBatch>,
    lines: Vec<u64>,
    end_line: u64,
    skipped: u64,
    dead: Vec<u8>,
    dead_count: u64,
    already: u64,
    fatal: Option<Error>,
}

/// Runs an ingest to completion, interruption or the first error.
pub async fn ingest(opts: IngestOptions, progress: Arc<dyn Progress>) -> Result<IngestReport> {
    let started = Instant::now();
    if opts.inputs.is_empty() {
        return Err(Error::Config("no input".into()));
    }
    if opts.inputs.iter().filter(|i| **i == Input::Stdin).count() > 0 && opts.inputs.len() > 1 {
        return Err(Error::Config("stdin ('-') cannot be combined with file inputs".into()));
    }
    let store = storage::open(&opts.destination, &opts.s3).await?;
    store.check().await?;

    // Resume state, for file inputs only (stdin cannot be replayed).
    let resumable = !opts.inputs.contains(&Input::Stdin);
    let mut fingerprints = Vec::new();
    for i in &opts.inputs {
        if let Input::File(p) = i {
            fingerprints.push(InputFingerprint::of(p)?);
        }
    }
    let journal_path = resumable.then(|| journal_path(&opts, &fingerprints));
    // Tags this attempt's in-progress files and staging directory.
    let run_tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    let mut covered = Covered::default();
    let mut next_seq = 0;
    let mut resumed = false;
    let mut earlier_attempts = Vec::new();
    let mut journal = match &journal_path {
        Some(jp) => Some(Journal::open_locked(jp)?),
        None => None,
    };
    let mut schema = opts.schema.clone();
    if let Some(t) = &opts.table {
        let table_schema = crate::engine::iceberg::write::decode_schema(&t.table.name(), t.table.metadata.current_schema())?;
        if let Some(given) = &opts.schema {
            check_schema_matches_table(&t.table.name(), given, &table_schema)?;
        }
        schema = Some(table_schema);
    }
    let mut schema_recorded = false;
    if let (Some(jp), Some(j)) = (&journal_path, journal.as_mut()) {
        let mut rec = Journal::recover(jp)?;
        if opts.restart {
            let present = match &opts.table {
                Some(t) => committed_ids(t, rec.done_keys.iter().chain(rec.pending.iter().map(|p| &p.key))).await?,
                None => {
                    present_files(&*store, rec.done_keys.iter().chain(rec.pending.iter().map(|p| &p.key)), usize::MAX)
                        .await?
                }
            };
            if !present.is_empty() && !opts.force {
                return Err(Error::Config(format!(
                    "--restart would write the rows of these inputs a second time: {} file(s) of the earlier run are \
                     still at the destination ({}); delete them first, or add --force to ingest everything again anyway",
                    present.len(),
                    present.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
                        + if present.len() > 5 { ", …" } else { "" }
                )));
            }
            j.reset()?;
            rec = Default::default();
        }
        let mut spans = rec.done.clone();
        let mut consumed = rec.consumed.clone();
        for p in &rec.pending {
            let (key, s, e, c) = (&p.key, &p.start, &p.end, &p.consumed);
            if let (Some(t), Some(id)) = (&opts.table, key.strip_prefix("commit:")) {
                // An Iceberg commit landed iff its id is on the branch; else its files are garbage.
                if crate::engine::iceberg::append::landed(t, id).await? {
                    tracing::info!("commit {id} of an earlier attempt landed in {}", t.table.name());
                    spans.push((*s, *e));
                    consumed.extend(c);
                } else {
                    tracing::info!("commit {id} of an earlier attempt did not land; its rows are read again");
                    crate::engine::iceberg::append::delete_files(&*store, t, &p.files).await?;
                }
            } else if store.head(key).await?.is_some() {
                spans.push((*s, *e));
                consumed.extend(c);
            } else {
                // Its rows are read again; drop what a killed upload left behind.
                let n = store.abort_incomplete(key).await?;
                if n > 0 {
                    tracing::info!("aborted {n} unfinished upload(s) of {}", store.location().display_key(key));
                }
            }
        }
        // The part of each input that earlier attempts consumed must be unchanged; what follows may differ.
        let grown = rec.inputs.is_some() && verify_consumed(&opts.inputs, &consumed, jp)?;
        if opts.table.is_some() {
            // The table's current schema governs (checked against any --schema above).
            schema_recorded = true;
        } else if let Some(prev) = &rec.schema {
            let prev = crate::engine::schema::parse_schema(&prev.to_string())
                .map_err(|e| Error::Config(format!("journal {}: unreadable schema: {e}", jp.display())))?;
            match &opts.schema {
                Some(given) if !same_schema(given, &prev) => {
                    return Err(Error::Config(format!(
                        "the schema differs from the one the earlier run of these inputs wrote ({}); files of one \
                         prefix must share a schema — use another --prefix for the new schema",
                        schema_difference(&prev, given)
                    )));
                }
                Some(_) => {}
                None => {
                    tracing::info!("resuming with the schema the earlier run inferred");
                    schema = Some(prev);
                }
            }
            schema_recorded = true;
        }
        if rec.complete && !grown {
            if opts.table.is_none() && !rec.done_keys.is_empty() && present_files(&*store, rec.done_keys.iter(), 1).await?.is_empty() {
                tracing::warn!(
                    "the journal says these inputs were already ingested into {} file(s), but none of them is at {} any \
                     more (deleted, moved or compacted away); nothing was ingested again",
                    rec.done_keys.len(),
                    opts.destination
                );
            }
            return Ok(IngestReport::already_ingested(&opts, started));
        }
        resumed = rec.inputs.is_some();
        covered = Covered::new(spans);
        next_seq = rec.next_seq;
        earlier_attempts = rec.attempts;
        if !resumed {
            j.append(&Record::Run { destination: opts.destination.to_string(), inputs: fingerprints.clone() })?;
        }
        j.append(&Record::Attempt { tag: run_tag.clone() })?;
    }

    // Where in-progress files are written: next to their final place locally, in a staging dir for S3.
    let staging_root = opts.state_dir.join("staging");
    let (work_dir, final_dir) = match &opts.destination {
        _ if opts.table.is_some() => (staging_root.join(&run_tag), None),
        Location::Local(root) => {
            let folder = match opts.prefix.rfind('/') {
                Some(i) => root.join(&opts.prefix[..i]),
                None => root.clone(),
            };
            (folder, Some(root.clone()))
        }
        Location::S3 { .. } => (staging_root.join(&run_tag), None),
    };
    std::fs::create_dir_all(&work_dir).map_err(|e| Error::io("create directory", &work_dir, e))?;
    // Leftovers of earlier, killed attempts at this run: their rows are read again from the input.
    for tag in &earlier_attempts {
        let _ = std::fs::remove_dir_all(staging_root.join(tag));
        if let Some(dir) = final_dir.as_ref().map(|_| &work_dir)
            && let Ok(rd) = std::fs::read_dir(dir)
        {
            let stem = format!(".prestige-{tag}-");
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with(&stem) && name.ends_with(".inprogress") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }

    let total_input: u64 = fingerprints.iter().map(|f| f.size).sum();
    tracing::info!(
        "ingesting {} input(s) into {}{}",
        opts.inputs.len(),
        opts.destination,
        if resumed { format!(" (resuming; {} span(s) already stored)", covered.len()) } else { String::new() }
    );
    progress.start("ingest", (total_input > 0).then_some(total_input));

    // --- pipeline threads
    let abort = Arc::new(AtomicBool::new(false));
    let input_bytes = Arc::new(AtomicU64::new(0));
    let (raw_tx, raw_rx) = bounded::<ReadMsg>(4);
    let (chunk_tx, chunk_rx) = bounded::<Chunk>(4);
    let (dec_tx, dec_rx) = bounded::<Decoded>(4);

    let reader = {
        let inputs = opts.inputs.clone();
        let stop = opts.stop.clone();
        let abort = abort.clone();
        let progress = progress.clone();
        let input_bytes = input_bytes.clone();
        std::thread::Builder::new()
            .name("prestige-read".into())
            .spawn(move || read_inputs(&inputs, raw_tx, &stop, &abort, &*progress, &input_bytes))
            .map_err(|e| Error::io("spawn reader", "", e))?
    };
    let chunker = {
        let o = ChunkerSetup {
            names: opts.inputs.iter().map(Input::name).collect(),
            schema: schema.clone(),
            infer_rows: opts.infer_rows,
            max_line: opts.max_line_bytes,
            infer_wait: opts.rotation.max_age.map_or(Duration::from_secs(1), |a| (a / 4).min(Duration::from_secs(1))),
            covered: covered.clone(),
            stop: opts.stop.clone(),
            abort: abort.clone(),
        };
        std::thread::Builder::new()
            .name("prestige-chunk".into())
            .spawn(move || chunk_lines(o, raw_rx, chunk_tx))
            .map_err(|e| Error::io("spawn chunker", "", e))?
    };
    let names: Arc<Vec<String>> = Arc::new(opts.inputs.iter().map(Input::name).collect());
    let mut decoders = Vec::new();
    for n in 0..opts.decode_threads.max(1) {
        let rx = chunk_rx.clone();
        let tx = dec_tx.clone();
        let names = names.clone();
        let policy = opts.on_error.clone();
        let max_line = opts.max_line_bytes;
        decoders.push(
            std::thread::Builder::new()
                .name(format!("prestige-decode-{n}"))
                .spawn(move || decode_chunks(rx, tx, &names, &policy, max_line))
                .map_err(|e| Error::io("spawn decoder", "", e))?,
        );
    }
    drop(chunk_rx);
    drop(dec_tx);

    // --- publishing: local rename, or background uploads
    let shared = Arc::new(Shared { files: Mutex::new(Vec::new()), error: Mutex::new(None), commits: Default::default() });
    let journal_arc = Arc::new(Mutex::new(journal.take()));
    let (up_tx, uploader) = if final_dir.is_none() && opts.table.is_none() {
        let (tx, rx) = tokio::sync::mpsc::channel::<(u64, SealedFile)>(opts.upload_concurrency.max(1));
        let task = tokio::spawn(upload_sealed(
            rx,
            store.clone(),
            journal_arc.clone(),
            shared.clone(),
            opts.upload_concurrency.max(1),
            PutOptions { part_size: opts.part_size, metadata: vec![] },
            abort.clone(),
        ));
        (Some(tx), Some(task))
    } else {
        (None, None)
    };

    let writer_setup = WriterSetup {
        work_dir: work_dir.clone(),
        run_tag: run_tag.clone(),
        final_root: final_dir.clone(),
        location: opts.destination.clone(),
        parquet: opts.parquet.clone(),
        rotation: opts.rotation.clone(),
        prefix: opts.prefix.clone(),
        on_error: opts.on_error.clone(),
        journal: journal_arc.clone(),
        next_seq,
        shared: shared.clone(),
        up_tx,
        abort: abort.clone(),
        stop: opts.stop.clone(),
        schema_recorded,
        max_bad_lines: opts.max_bad_lines.clone(),
        names: names.clone(),
        committer: opts.table.as_ref().map(|t| TableCommitter {
            target: t.clone(),
            store: store.clone(),
            runtime: tokio::runtime::Handle::current(),
            schema_id: t.table.metadata.current_schema_id(),
            spec_id: t.table.metadata.default_partition_spec_id(),
            part_size: opts.part_size,
            commits: vec![],
        }),
        summary_names: opts.inputs.iter().map(Input::name).collect(),
    };
    let commits = shared.commits.clone();
    let writer = tokio::task::spawn_blocking(move || write_files(writer_setup, dec_rx));
    let outcome = match writer.await {
        Ok(r) => r,
        Err(e) if e.is_panic() => Err(Error::from_panic("Parquet writer", e.into_panic())),
        Err(e) => Err(Error::Internal { worker: "Parquet writer".into(), message: e.to_string() }),
    };
    if outcome.is_err() {
        abort.store(true, Ordering::SeqCst);
    }

    // Wait for every worker: a panic anywhere fails the run (and nothing is marked complete). The reader may
    // sit in a blocking stdin read after an interrupt: leave it then.
    let mut panicked: Option<Error> = None;
    for (n, d) in decoders.into_iter().enumerate() {
        if let Err(p) = d.join() {
            panicked.get_or_insert(Error::from_panic(format!("decoder thread {n}"), p));
        }
    }
    // The chunker's own error (e.g. a line over --max-line-bytes) is returned below, before anything is marked
    // complete; a panic joins the others.
    let chunk_result = match chunker.join() {
        Ok(r) => r,
        Err(p) => {
            panicked.get_or_insert(Error::from_panic("line chunker", p));
            Ok(None)
        }
    };
    if (opts.inputs != [Input::Stdin] || !opts.stop.load(Ordering::SeqCst))
        && let Err(p) = reader.join()
    {
        panicked.get_or_insert(Error::from_panic("input reader", p));
    }
    if let Some(u) = uploader
        && let Err(e) = u.await
    {
        let err = if e.is_panic() { Error::from_panic("uploader", e.into_panic()) } else { Error::Internal { worker: "uploader".into(), message: e.to_string() } };
        panicked.get_or_insert(err);
    }
    progress.finish();

    if let Some(e) = panicked {
        return Err(e);
    }
    // An upload failure is the root cause of anything the writer saw afterwards.
    if let Some(e) = shared.error.lock().map(|mut g| g.take()).unwrap_or(None) {
        return Err(e);
    }
    let schema = chunk_result?;
    let counts = outcome?;
    if final_dir.is_none() {
        // Every staged file was uploaded and removed.
        let _ = std::fs::remove_dir(&work_dir);
    }
    let interrupted = opts.stop.load(Ordering::SeqCst);
    let rows_now: u64 = shared.files.lock().map(|g| g.iter().map(|f| f.rows).sum()).unwrap_or(0);
    let bad = counts.skipped + counts.dead;
    if bad > 0 {
        tracing::warn!(
            "{} bad line{} {}",
            bad,
            if bad == 1 { "" } else { "s" },
            match &opts.on_error {
                BadLinePolicy::DeadLetter(p) => format!("written to the dead-letter file {}", p.display()),
                _ => "skipped".to_string(),
            }
        );
    }
    let input_name = opts.inputs.first().map(Input::name).unwrap_or_default();
    if bad > 0 && rows_now == 0 && counts.already == 0 && !interrupted {
        return Err(Error::BadInput {
            file: input_name,
            message: format!(
                "no line could be loaded: {} skipped, {} dead-lettered, 0 rows written; check the schema and the input",
                counts.skipped, counts.dead
            ),
        });
    }
    if let Some(BadLineLimit::Percent(p)) = &opts.max_bad_lines {
        let seen = rows_now + bad;
        if seen > 0 && bad as f64 * 100.0 / seen as f64 > *p {
            return Err(Error::BadInput {
                file: input_name,
                message: format!(
                    "{bad} of {seen} lines were bad ({:.1}%, more than --max-bad-lines {p}%); they were skipped \
                     and the {rows_now} good rows are written",
                    bad as f64 * 100.0 / seen as f64
                ),
            });
        }
    }
    if !interrupted
        && let Some(j) = journal_arc.lock().ok().as_mut().and_then(|g| g.as_mut()) {
            j.append(&Record::Complete)?;
        }
    let mut files = shared.files.lock().map(|g| g.clone()).unwrap_or_default();
    files.sort_by(|a, b| a.key.cmp(&b.key));
    let rows: u64 = files.iter().map(|f| f.rows).sum();
    let bytes: u64 = files.iter().map(|f| f.bytes).sum();
    let elapsed = started.elapsed();
    Ok(IngestReport {
        status: if interrupted { IngestStatus::Interrupted } else { IngestStatus::Complete },
        destination: opts.destination.to_string(),
        files_written: files.len(),
        files,
        rows,
        bytes,
        bad_lines_skipped: counts.skipped,
        bad_lines_dead_lettered: counts.dead,
        resumed,
        lines_already_ingested: counts.already,
        input_bytes: input_bytes.load(Ordering::Relaxed),
        elapsed_ms: elapsed.as_millis() as u64,
        rows_per_sec: if elapsed.as_secs_f64() > 0.0 { (rows as f64 / elapsed.as_secs_f64()).round() } else { 0.0 },
        schema: schema.map(|s| crate::engine::schema::schema_to_json(&s)).unwrap_or(serde_json::Value::Null),
        table: opts.table.as_ref().map(|t| t.table.name()),
        commits: opts.table.as_ref().map(|_| commits.lock().map(|g| g.clone()).unwrap_or_default()),
        branch: opts.table.as_ref().map(|t| t.branch.clone()),
        wap_id: opts.table.as_ref().and_then(|t| t.wap_id.clone()),
    })
}

impl IngestReport {
    fn already_ingested(opts: &IngestOptions, started: Instant) -> Self {
        IngestReport {
            status: IngestStatus::AlreadyIngested,
            destination: opts.destination.to_string(),
            files: vec![],
            files_written: 0,
            rows: 0,
            bytes: 0,
            bad_lines_skipped: 0,
            bad_lines_dead_lettered: 0,
            resumed: false,
            lines_already_ingested: 0,
            input_bytes: 0,
            elapsed_ms: started.elapsed().as_millis() as u64,
            rows_per_sec: 0.0,
            schema: serde_json::Value::Null,
            table: opts.table.as_ref().map(|t| t.table.name()),
            commits: opts.table.as_ref().map(|_| vec![]),
            branch: opts.table.as_ref().map(|t| t.branch.clone()),
            wap_id: opts.table.as_ref().and_then(|t| t.wap_id.clone()),
        }
    }
}

fn state_key(opts: &IngestOptions, inputs: &[InputFingerprint]) -> String {
    state_key_with(opts, inputs, true)
}

/// The journal's key. A table is named by its uuid too: the same name in another catalog, or a table dropped and
/// created again, is another table (keyed by catalog and table name alone, such an ingest was taken for done).
/// `with_uuid = false` gives the key journals had before, still honoured when one exists.
fn state_key_with(opts: &IngestOptions, inputs: &[InputFingerprint], with_uuid: bool) -> String {
    let mut id = match &opts.table {
        Some(t) if with_uuid => {
            format!("iceberg:{}:{}:{}\n{}\n", t.catalog.name(), t.table.name(), t.table.metadata.uuid(), t.branch)
        }
        Some(t) => format!("iceberg:{}:{}\n{}\n", t.catalog.name(), t.table.name(), t.branch),
        None => format!("{}\n{}\n", opts.destination, opts.prefix),
    };
    for i in inputs {
        id.push_str(&i.path);
        id.push('\n');
    }
    storage::md5_hex(id.as_bytes())[..16].to_string()
}

fn journal_path(opts: &IngestOptions, inputs: &[InputFingerprint]) -> PathBuf {
    let dir = opts.state_dir.join("ingest");
    let path = dir.join(format!("{}.journal", state_key(opts, inputs)));
    if opts.table.is_some() && !path.exists() {
        // A journal of an earlier version (keyed without the table's uuid) for a table of this name: its
        // commits are found by their ids on the table, so resuming with it is exact when it is this table.
        let legacy = dir.join(format!("{}.journal", state_key_with(opts, inputs, false)));
        if legacy.exists() {
            return legacy;
        }
    }
    path
}

/// The display names of the first `limit` of `keys` that exist at the destination.
async fn present_files<'a>(
    store: &dyn BlobStore,
    keys: impl Iterator<Item = &'a String>,
    limit: usize,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for k in keys {
        if out.len() >= limit {
            break;
        }
        if store.head(k).await?.is_some() {
            out.push(store.location().display_key(k));
        }
    }
    Ok(out)
}

/// Checks that every input still starts with the bytes earlier attempts consumed (the furthest fingerprint per
/// input). Returns whether any input now has bytes after that part (it grew, or a failed run stopped early).
fn verify_consumed(inputs: &[Input], consumed: &[Consumed], journal: &Path) -> Result<bool> {
    let mut grown = false;
    for (idx, input) in inputs.iter().enumerate() {
        // A pipe or device cannot be read twice: nothing to compare with.
        if let Input::File(p) = input
            && !std::fs::metadata(p).is_ok_and(|m| m.is_file())
        {
            continue;
        }
        let best = consumed.iter().filter(|c| c.input == idx as u32).max_by_key(|c| c.bytes);
        let want = best.map_or(0, |c| c.bytes);
        let (mut r, _) = open_input(input)?;
        let mut hasher = xxhash_rust::xxh3::Xxh3Default::new();
        let mut buf = vec![0u8; READ_BLOCK];
        let mut read = 0u64;
        let mut last = b'\n';
        while read < want {
            let n = (want - read).min(buf.len() as u64) as usize;
            let got = match r.read(&mut buf[..n]) {
                Ok(0) => break,
                Ok(g) => g,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::BadInput { file: input.name(), message: format!("read failed: {e}") }),
            };
            hasher.update(&buf[..got]);
            last = buf[got - 1];
            read += got as u64;
        }
        let changed = |what: &str| {
            Error::Config(format!(
                "{} {what} the part an earlier run of this command already ingested (its first {want} bytes, recorded \
                 in {}); resuming would mix old and new rows. To load the new content, write it under another \
                 --prefix, or delete the files of the earlier run and rerun with --restart",
                input.name(),
                journal.display()
            ))
        };
        if read < want {
            return Err(changed("is now shorter than"));
        }
        if let Some(c) = best
            && hasher.digest() != c.hash
        {
            return Err(changed("changed within"));
        }
        let mut one = [0u8; 1];
        let more = loop {
            match r.read(&mut one) {
                Ok(n) => break n > 0,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::BadInput { file: input.name(), message: format!("read failed: {e}") }),
            }
        };
        if more && last != b'\n' {
            return Err(Error::Config(format!(
                "{} grew after it was ingested, but its last line then had no line end: the new bytes continue a line \
                 that was already loaded. Write the new lines to another file, or delete the files of the earlier \
                 run and rerun with --restart",
                input.name()
            )));
        }
        grown |= more;
    }
    Ok(grown)
}

fn same_schema(a: &arrow::datatypes::Schema, b: &arrow::datatypes::Schema) -> bool {
    a.fields() == b.fields()
}

fn schema_difference(before: &arrow::datatypes::Schema, now: &arrow::datatypes::Schema) -> String {
    use crate::engine::schema::field_type_name;
    for f in before.fields() {
        match now.field_with_name(f.name()) {
            Err(_) => return format!("column {:?} is missing now", f.name()),
            Ok(g) if g != f.as_ref() => {
                return format!(
                    "column {:?} was {}{} and is {}{} now",
                    f.name(),
                    field_type_name(f),
                    if f.is_nullable() { "" } else { " not null" },
                    field_type_name(g),
                    if g.is_nullable() { "" } else { " not null" }
                );
            }
            Ok(_) => {}
        }
    }
    match now.fields().iter().find(|g| before.field_with_name(g.name()).is_err()) {
        Some(g) => format!("column {:?} is new", g.name()),
        None => "the column order differs".into(),
    }
}

// ------------------------------------------------------------------------------------------------------------
// reading

/// How an input's bytes are encoded, recognised by their first bytes (not the file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Plain,
    Gzip,
    Zstd,
}

/// Opens an input: gzip and zstd are recognised by their magic bytes (files and stdin alike, whatever the
/// name), and a UTF-8 byte order mark at the start is skipped. Returns the decoded stream and its encoding.
fn open_input(input: &Input) -> Result<(Box<dyn Read + Send>, Encoding)> {
    let raw: Box<dyn Read + Send> = match input {
        Input::Stdin => Box::new(std::io::stdin()),
        Input::File(p) => Box::new(std::fs::File::open(p).map_err(|e| Error::io("open input", p, e))?),
    };
    let bad = |e: std::io::Error| Error::BadInput { file: input.name(), message: format!("read failed: {e}") };
    let (head, raw) = peek_head(raw).map_err(bad)?;
    let raw: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(head.clone()).chain(raw));
    let encoding = if head.starts_with(&[0x1f, 0x8b]) {
        Encoding::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Encoding::Zstd
    } else {
        Encoding::Plain
    };
    let decoded: Box<dyn Read + Send> = match encoding {
        Encoding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(1 << 20, raw))),
        Encoding::Zstd => Box::new(
            zstd::Decoder::new(raw).map_err(|e| Error::BadInput { file: input.name(), message: e.to_string() })?,
        ),
        Encoding::Plain => raw,
    };
    let (head, decoded) = peek_head(decoded).map_err(|e| Error::BadInput {
        file: input.name(),
        message: format!("cannot decompress: {e}"),
    })?;
    let rest: Box<dyn Read + Send> = match head.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        Some(after) => Box::new(std::io::Cursor::new(after.to_vec()).chain(decoded)),
        None => Box::new(std::io::Cursor::new(head).chain(decoded)),
    };
    Ok((rest, encoding))
}

/// Reads the first few bytes of a stream (fewer at its end, or once they cannot start a magic number or BOM)
/// and returns them with the stream they came from.
fn peek_head(mut r: Box<dyn Read + Send>) -> std::io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut head = Vec::with_capacity(4);
    let mut byte = [0u8; 1];
    while head.len() < 4 {
        // Stop as soon as no magic number or BOM can follow, so a slow producer's first line is not held up.
        if let Some(&b) = head.first()
            && !matches!(b, 0x1f | 0x28 | 0xef)
        {
            break;
        }
        match r.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => head.push(byte[0]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok((head, r))
}

fn read_inputs(
    inputs: &[Input],
    tx: Sender<ReadMsg>,
    stop: &AtomicBool,
    abort: &AtomicBool,
    progress: &dyn Progress,
    counter: &AtomicU64,
) {
    for (idx, input) in inputs.iter().enumerate() {
        let idx = idx as u32;
        let (mut r, encoding) = match open_input(input) {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(ReadMsg::Failed(e));
                return;
            }
        };
        let compressed = encoding != Encoding::Plain;
        loop {
            if stop.load(Ordering::SeqCst) || abort.load(Ordering::SeqCst) {
                return;
            }
            failpoint::panic_point("ingest.read");
            let mut buf = vec![0u8; READ_BLOCK];
            let mut filled = 0;
            // Fill the block for files; for pipes hand over whatever arrived so slow producers are not held back.
            let n = loop {
                match r.read(&mut buf[filled..]) {
                    Ok(0) => break filled,
                    Ok(n) => {
                        filled += n;
                        if filled == buf.len() || *input == Input::Stdin {
                            break filled;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let message = if compressed {
                            format!("cannot decompress after {} bytes: {e}", counter.load(Ordering::Relaxed))
                        } else {
                            format!("read failed: {e}")
                        };
                        let _ = tx.send(ReadMsg::Failed(Error::BadInput { file: input.name(), message }));
                        return;
                    }
                }
            };
            if n == 0 {
                break;
            }
            buf.truncate(n);
            counter.fetch_add(n as u64, Ordering::Relaxed);
            if !compressed {
                progress.advance(n as u64);
            }
            if tx.send(ReadMsg::Block(Block { input: idx, data: buf })).is_err() {
                return;
            }
        }
        if compressed
            && let Input::File(p) = input {
                progress.advance(std::fs::metadata(p).map(|m| m.len()).unwrap_or(0));
            }
        failpoint::hit("ingest.between_inputs");
        if tx.send(ReadMsg::EndOfInput(idx)).is_err() {
            return;
        }
    }
}

struct ChunkerSetup {
    names: Vec<String>,
    schema: Option<SchemaRef>,
    infer_rows: usize,
    max_line: usize,
    /// Longest time lines wait for the schema sample to fill up.
    infer_wait: Duration,
    covered: Covered,
    stop: Arc<AtomicBool>,
    abort: Arc<AtomicBool>,
}

/// Cuts blocks into chunks of whole lines; infers the schema first when none was given.
/// Returns the schema used (None when the input was empty).
fn chunk_lines(o: ChunkerSetup, rx: Receiver<ReadMsg>, tx: Sender<Chunk>) -> Result<Option<SchemaRef>> {
    let mut schema = o.schema.clone();
    // Lines buffered before the schema is known: (input, first line, bytes, end line).
    let mut held: Vec<(u32, u64, Vec<u8>, u64)> = Vec::new();
    let mut held_lines = 0usize;
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK_BYTES + READ_BLOCK);
    let mut cur_input = 0u32;
    let mut next_line = 1u64;
    let mut seq = 0u64;
    let mut last_emit = Instant::now();
    let mut held_since: Option<Instant> = None;

    let emit = |input: u32, first: u64, data: Vec<u8>, end: u64, schema: &SchemaRef, seq: &mut u64| -> bool {
        failpoint::panic_point("ingest.chunk");
        let skip = if o.covered.is_empty() { Vec::new() } else { o.covered.lines_in(input, first, end) };
        let c = Chunk { seq: *seq, input, first_line: first, end_line: end, data, skip, schema: schema.clone() };
        *seq += 1;
        tx.send(c).is_ok()
    };

    loop {
        let msg = match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(m) => Some(m),
            Err(RecvTimeoutError::Timeout) => None,
            // The reader is gone: all inputs ended (each with EndOfInput) or it stopped early.
            Err(RecvTimeoutError::Disconnected) => Some(ReadMsg::EndOfInput(u32::MAX)),
        };
        let reader_gone = matches!(msg, Some(ReadMsg::EndOfInput(u32::MAX)));
        if o.abort.load(Ordering::SeqCst) {
            return Ok(schema);
        }
        let (flush_partial, finished_input) = match msg {
            Some(ReadMsg::Block(b)) => {
                cur_input = b.input;
                buf.extend_from_slice(&b.data);
                if buf.len() > o.max_line && memchr::memrchr(b'\n', &buf).is_none() {
                    let snippet = String::from_utf8_lossy(&buf[..buf.len().min(80)]).into_owned();
                    return Err(Error::BadLine {
                        file: o.names[cur_input as usize].clone(),
                        line: next_line,
                        message: format!("line longer than the {} byte limit (--max-line-bytes)", o.max_line),
                        snippet,
                    });
                }
                (false, None)
            }
            Some(ReadMsg::EndOfInput(i)) => (true, Some(i)),
            Some(ReadMsg::Failed(e)) => return Err(e),
            None => (o.stop.load(Ordering::SeqCst) || last_emit.elapsed() > Duration::from_millis(20), None),
        };
        let enough = buf.len() >= CHUNK_BYTES;
        if enough || flush_partial || (!buf.is_empty() && last_emit.elapsed() > Duration::from_millis(50)) {
            // Cut at the last newline; at the end of an input, the unterminated last line counts too.
            let cut = if finished_input.is_some() && !reader_gone { buf.len() } else { memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1) };
            if cut > 0 {
                let rest = buf.split_off(cut);
                let data = std::mem::replace(&mut buf, rest);
                let lines = memchr::memchr_iter(b'\n', &data).count() as u64
                    + u64::from(data.last().is_some_and(|&b| b != b'\n'));
                let first = next_line;
                next_line += lines;
                last_emit = Instant::now();
                match &schema {
                    Some(s) => {
                        if !emit(cur_input, first, data, next_line, s, &mut seq) {
                            return Ok(schema);
                        }
                    }
                    None => {
                        held_lines += lines as usize;
                        held.push((cur_input, first, data, next_line));
                        held_since.get_or_insert_with(Instant::now);
                    }
                }
            }
        }
        // Infer once the sample is full, or when a slow producer has kept lines waiting long enough.
        if schema.is_none()
            && !held.is_empty()
            && (held_lines >= o.infer_rows || held_since.is_some_and(|t| t.elapsed() >= o.infer_wait))
            && let Some(s) = infer_from(&held, o.infer_rows, &o.names)? {
                for (i, f, d, e) in held.drain(..) {
                    if !emit(i, f, d, e, &s, &mut seq) {
                        return Ok(Some(s));
                    }
                }
                schema = Some(s);
            }
        if let Some(i) = finished_input {
            if i == u32::MAX {
                break;
            }
            next_line = 1;
            buf.clear();
        }
        if o.stop.load(Ordering::SeqCst) && buf.iter().all(|&b| b != b'\n') && rx.is_empty() {
            break;
        }
    }
    if schema.is_none() && !held.is_empty()
        && let Some(s) = infer_from(&held, o.infer_rows, &o.names)? {
            for (i, f, d, e) in held.drain(..) {
                if !emit(i, f, d, e, &s, &mut seq) {
                    break;
                }
            }
            schema = Some(s);
        }
    Ok(schema)
}

/// Infers the schema from held lines; `None` when they are all blank.
fn infer_from(held: &[(u32, u64, Vec<u8>, u64)], max: usize, names: &[String]) -> Result<Option<SchemaRef>> {
    let mut sample: Vec<(String, &[u8])> = Vec::new();
    'outer: for (input, first, data, _) in held {
        for (n, line) in data.split(|&b| b == b'\n').enumerate() {
            let t = line.trim_ascii();
            // Lines that are not JSON objects are left out of the sample; the decoder reports them.
            if t.first() == Some(&b'{') && serde_json::from_slice::<serde::de::IgnoredAny>(t).is_ok() {
                sample.push((format!("{}:{}", names[*input as usize], first + n as u64), t));
                if sample.len() >= max {
                    break 'outer;
                }
            }
        }
    }
    if sample.is_empty() {
        if held.iter().all(|h| h.2.iter().all(u8::is_ascii_whitespace)) {
            return Ok(None);
        }
        let file = held.first().map(|h| names[h.0 as usize].clone()).unwrap_or_default();
        return Err(Error::BadInput {
            file,
            message: "no JSON object among the first lines to infer a schema from; fix the input or pass --schema".into(),
        });
    }
    let labelled: Vec<(&str, &[u8])> = sample.iter().map(|(l, t)| (l.as_str(), *t)).collect();
    let inferred = infer_schema_labelled(&labelled);
    if let Ok(s) = &inferred {
        tracing::info!("inferred the schema from {} line(s): {}", labelled.len(), crate::engine::schema::schema_to_json(s));
    }
    inferred
        .map(Some)
        .map_err(|message| Error::BadInput { file: names[held[0].0 as usize].clone(), message })
}

// ------------------------------------------------------------------------------------------------------------
// decoding

fn decode_chunks(rx: Receiver<Chunk>, tx: Sender<Decoded>, names: &[String], policy: &BadLinePolicy, max_line: usize) {
    let mut decoder: Option<LineDecoder> = None;
    for chunk in rx {
        let mut d = decode_one(&chunk, &mut decoder, names, policy, max_line);
        d.first_line = chunk.first_line;
        d.schema = Some(chunk.schema);
        d.data = chunk.data;
        if tx.send(d).is_err() {
            return;
        }
    }
}

fn decode_one(
    chunk: &Chunk,
    decoder: &mut Option<LineDecoder>,
    names: &[String],
    policy: &BadLinePolicy,
    max_line: usize,
) -> Decoded {
    failpoint::panic_point("ingest.decode");
    let mut out = Decoded {
        seq: chunk.seq,
        input: chunk.input,
        data: Vec::new(),
        first_line: chunk.first_line,
        schema: None,
        batch: None,
        lines: Vec::new(),
        end_line: chunk.end_line,
        skipped: 0,
        dead: Vec::new(),
        dead_count: 0,
        already: 0,
        fatal: None,
    };
    if decoder.as_ref().is_none_or(|d| !Arc::ptr_eq(d.schema(), &chunk.schema)) {
        match LineDecoder::new(chunk.schema.clone()) {
            Ok(d) => *decoder = Some(d),
            Err(message) => {
                out.fatal = Some(Error::Config(message));
                return out;
            }
        }
    }
    let dec = decoder.as_mut().expect("set above"); // ok: assigned just above
    let file = &names[chunk.input as usize];
    let mut line_no = chunk.first_line;
    let mut skip = chunk.skip.iter().peekable();
    let mut rest: &[u8] = &chunk.data;
    while !rest.is_empty() {
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        let this = line_no;
        line_no += 1;
        while skip.peek().is_some_and(|r| r.1 <= this) {
            skip.next();
        }
        if skip.peek().is_some_and(|r| r.0 <= this && this < r.1) {
            out.already += 1;
            continue;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let decoded = if line.len() > max_line {
            Err(format!("line of {} bytes is longer than the {max_line} byte limit (--max-line-bytes)", line.len()))
        } else {
            dec.decode_line(line)
        };
        if let Err(message) = decoded {
            match policy {
                BadLinePolicy::Fail => {
                    out.fatal = Some(Error::BadLine {
                        file: file.clone(),
                        line: this,
                        message,
                        snippet: String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned(),
                    });
                    out.end_line = this;
                    break;
                }
                BadLinePolicy::Skip => out.skipped += 1,
                BadLinePolicy::DeadLetter(_) => {
                    let rec = serde_json::json!({
                        "file": file, "line": this, "error": message, "raw": String::from_utf8_lossy(line),
                    });
                    let _ = serde_json::to_writer(&mut out.dead, &rec);
                    out.dead.push(b'\n');
                    out.dead_count += 1;
                }
            }
            continue;
        }
        out.lines.push(this);
    }
    if !dec.is_empty() {
        out.batch = Some(dec.finish());
    }
    out
}

// ------------------------------------------------------------------------------------------------------------
// writing and publishing

struct Shared {
    files: Mutex<Vec<WrittenFile>>,
    error: Mutex<Option<Error>>,
    commits: Arc<Mutex<Vec<CommitInfo>>>,
}

struct WriterSetup {
    work_dir: PathBuf,
    run_tag: String,
    final_root: Option<PathBuf>,
    location: Location,
    parquet: ParquetSettings,
    rotation: RotationPolicy,
    prefix: String,
    on_error: BadLinePolicy,
    journal: Arc<Mutex<Option<Journal>>>,
    next_seq: u64,
    shared: Arc<Shared>,
    up_tx: Option<tokio::sync::mpsc::Sender<(u64, SealedFile)>>,
    abort: Arc<AtomicBool>,
    /// Set on an interrupt: the last input was not read to its end.
    stop: Arc<AtomicBool>,
    /// The journal already holds the schema (a resumed run).
    schema_recorded: bool,
    max_bad_lines: Option<BadLineLimit>,
    names: Arc<Vec<String>>,
    /// The Iceberg commit step, for a table destination.
    committer: Option<TableCommitter>,
    summary_names: Vec<String>,
}

/// Fingerprints the bytes of the current input in order, as the writer consumes chunks.
struct InputHash {
    input: u32,
    bytes: u64,
    hasher: xxhash_rust::xxh3::Xxh3Default,
}

impl InputHash {
    fn new(input: u32) -> Self {
        InputHash { input, bytes: 0, hasher: xxhash_rust::xxh3::Xxh3Default::new() }
    }
    fn now(&self) -> Consumed {
        Consumed { input: self.input, bytes: self.bytes, hash: self.hasher.digest() }
    }
    /// The fingerprint at `end`, a position inside chunk `d` (whose bytes are not yet added).
    fn at(&self, end: Position, d: &Decoded) -> Consumed {
        if end.0 != d.input || end.1 <= d.first_line {
            return self.now();
        }
        let nth = (end.1 - d.first_line - 1) as usize;
        let off = memchr::memchr_iter(b'\n', &d.data).nth(nth).map_or(d.data.len(), |i| i + 1);
        let mut h = self.hasher.clone();
        h.update(&d.data[..off]);
        Consumed { input: self.input, bytes: self.bytes + off as u64, hash: h.digest() }
    }
    fn add(&mut self, data: &[u8]) {
        self.hasher.update(data);
        self.bytes += data.len() as u64;
    }
}

#[derive(Default)]
struct Counts {
    skipped: u64,
    dead: u64,
    already: u64,
}

fn journal_append(j: &Mutex<Option<Journal>>, rec: &Record) -> Result<()> {
    match j.lock() {
        Ok(mut g) => match g.as_mut() {
            Some(j) => j.append(rec),
            None => Ok(()),
        },
        Err(_) => Err(Error::Config("journal lock poisoned".into())),
    }
}

fn written(location: &Location, s: &SealedFile) -> WrittenFile {
    WrittenFile {
        location: location.display_key(&s.key),
        key: s.key.clone(),
        rows: s.rows,
        bytes: s.bytes,
        timestamp_ms: s.timestamp_ms,
        timestamp: chrono::DateTime::from_timestamp_millis(s.timestamp_ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_default(),
    }
}

impl WriterSetup {
    /// Makes a sealed file visible: journal `pending`, rename (local) or hand to the uploader, journal `done`.
    fn publish(&mut self, s: SealedFile, consumed: Consumed, sink: &mut Sink) -> Result<()> {
        if let Sink::Table(fan) = sink {
            let files = fan.take_files();
            return self.commit_table(s, consumed, files);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        failpoint::hit("ingest.after_seal");
        journal_append(
            &self.journal,
            &Record::Pending {
                seq,
                key: s.key.clone(),
                start: s.start,
                end: s.end,
                rows: s.rows,
                bytes: s.bytes,
                consumed: Some(consumed),
                files: vec![],
            },
        )?;
        failpoint::hit("ingest.after_pending");
        match (&self.final_root, &self.up_tx) {
            (Some(root), _) => {
                let dest = root.join(&s.key);
                std::fs::rename(&s.temp_path, &dest).map_err(|e| Error::io("rename", &dest, e))?;
                storage::local::fsync_dir(dest.parent().unwrap_or(root))?;
                failpoint::hit("ingest.after_publish");
                journal_append(&self.journal, &Record::Done { seq })?;
                tracing::info!(rows = s.rows, bytes = s.bytes, "wrote {}", self.location.display_key(&s.key));
                if let Ok(mut f) = self.shared.files.lock() {
                    f.push(written(&self.location, &s));
                }
                Ok(())
            }
            (None, Some(tx)) => tx.blocking_send((seq, s)).map_err(|_| {
                self.shared.error.lock().ok().and_then(|mut g| g.take()).unwrap_or(Error::Storage {
                    location: self.location.to_string(),
                    message: "uploader stopped".into(),
                })
            }),
            (None, None) => Ok(()),
        }
    }
}

fn write_files(mut w: WriterSetup, rx: Receiver<Decoded>) -> Result<Counts> {
    let mut rolling = match &w.committer {
        Some(c) => {
            let m = &c.target.table.metadata;
            Sink::Table(Box::new(FanOut::new(
                w.work_dir.clone(),
                &w.parquet,
                c.target.target_bytes,
                RotationPolicy { max_rows: w.rotation.max_rows, max_bytes: None, max_age: w.rotation.max_age },
                m.current_schema().clone(),
                m.default_partition_spec().clone(),
                c.target.max_open_files,
                (0, 1),
                &w.run_tag,
            )?))
        }
        None => Sink::Files(Box::new(RollingWriter::new(
            w.work_dir.clone(),
            &w.parquet,
            w.rotation.clone(),
            Box::new(FileNamer::new(&w.prefix)),
            (0, 1),
            &w.run_tag,
        )?)),
    };
    let mut dead_file = match &w.on_error {
        BadLinePolicy::DeadLetter(p) => {
            if let Some(d) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(d).map_err(|e| Error::io("create directory", d, e))?;
            }
            Some((
                std::fs::OpenOptions::new().create(true).append(true).open(p).map_err(|e| Error::io("open dead-letter file", p, e))?,
                p.clone(),
            ))
        }
        _ => None,
    };
    let mut counts = Counts::default();
    let mut pending: BTreeMap<u64, Decoded> = BTreeMap::new();
    let mut next = 0u64;
    let mut hash = InputHash::new(0);
    let mut started_input = false;
    let result: Result<()> = (|| {
        loop {
            let msg = match rolling.deadline() {
                Some(deadline) => {
                    let wait = deadline.saturating_duration_since(Instant::now());
                    match rx.recv_timeout(wait) {
                        Ok(m) => Some(m),
                        Err(RecvTimeoutError::Timeout) => {
                            if let Some(s) = rolling.seal()? {
                                w.publish(s, hash.now(), &mut rolling)?;
                            }
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => None,
                    }
                }
                None => rx.recv().ok(),
            };
            let Some(m) = msg else { break };
            if w.abort.load(Ordering::SeqCst) {
                return Err(Error::Interrupted);
            }
            failpoint::panic_point("ingest.write");
            pending.insert(m.seq, m);
            while let Some(mut d) = pending.remove(&next) {
                next += 1;
                if !w.schema_recorded && let Some(schema) = &d.schema {
                    journal_append(&w.journal, &Record::Schema { schema: crate::engine::schema::schema_to_json(schema) })?;
                    w.schema_recorded = true;
                }
                if hash.input != d.input || !started_input {
                    if started_input {
                        // Every chunk of the previous input has been consumed.
                        journal_append(&w.journal, &Record::InputEnd(hash.now()))?;
                    }
                    hash = InputHash::new(d.input);
                    started_input = true;
                }
                counts.skipped += d.skipped;
                counts.dead += d.dead_count;
                counts.already += d.already;
                if let Some(limit) = &w.max_bad_lines
                    && let BadLineLimit::Count(n) = limit
                    && counts.skipped + counts.dead > *n
                {
                    return Err(Error::BadInput {
                        file: w.names[d.input as usize].clone(),
                        message: format!(
                            "more than {n} bad lines (--max-bad-lines): stopped after {} skipped and {} dead-lettered; \
                             the rows before the last of them are written and a rerun of the same command continues \
                             after it (the bad lines are not read again)",
                            counts.skipped, counts.dead
                        ),
                    });
                }
                if let Some((f, p)) = &mut dead_file {
                    use std::io::Write;
                    if !d.dead.is_empty() {
                        f.write_all(&d.dead).map_err(|e| Error::io("write dead letters", p.as_path(), e))?;
                    }
                }
                if let Some(b) = &d.batch {
                    for s in rolling.write(b, d.input, &d.lines)? {
                        let c = hash.at(s.end, &d);
                        w.publish(s, c, &mut rolling)?;
                    }
                    failpoint::hit("ingest.mid_file");
                }
                if let Some(e) = d.fatal.take() {
                    // Rows before the bad line are kept: seal them, then stop.
                    rolling.advance((d.input, d.end_line));
                    if let Some(s) = rolling.seal()? {
                        let c = hash.at(s.end, &d);
                        w.publish(s, c, &mut rolling)?;
                    }
                    return Err(e);
                }
                hash.add(&d.data);
                rolling.advance((d.input, d.end_line));
            }
        }
        if let Some(first) = pending.keys().next() {
            // A decoder stopped without delivering chunk `next`: the rows after it are not written.
            return Err(Error::Internal {
                worker: "decoder".into(),
                message: format!("chunk {next} of the input never arrived (chunk {first} did); a decoder thread died"),
            });
        }
        if let Some(s) = rolling.seal()? {
            w.publish(s, hash.now(), &mut rolling)?;
        }
        if started_input && !w.stop.load(Ordering::SeqCst) {
            journal_append(&w.journal, &Record::InputEnd(hash.now()))?;
        }
        Ok(())
    })();
    if let Some((f, p)) = &dead_file {
        f.sync_all().map_err(|e| Error::io("fsync", p.as_path(), e))?;
    }
    if let Err(e) = result {
        w.abort.store(true, Ordering::SeqCst);
        rolling.discard();
        // Drain so the decoders and chunker see the channel close and exit.
        drop(rx);
        return Err(e);
    }
    Ok(counts)
}

/// The writer's output: rolling files under a prefix, or a partition fan-out feeding Iceberg commits.
enum Sink {
    Files(Box<RollingWriter>),
    Table(Box<FanOut>),
}

impl Sink {
    fn deadline(&self) -> Option<Instant> {
        match self {
            Sink::Files(r) => r.deadline(),
            Sink::Table(f) => f.deadline(),
        }
    }
    fn write(&mut self, b: &RecordBatch, input: u32, lines: &[u64]) -> Result<Vec<SealedFile>> {
        match self {
            Sink::Files(r) => r.write(b, input, lines),
            Sink::Table(f) => f.write(b, input, lines),
        }
    }
    fn seal(&mut self) -> Result<Option<SealedFile>> {
        match self {
            Sink::Files(r) => r.seal(),
            Sink::Table(f) => f.seal(),
        }
    }
    fn advance(&mut self, end: Position) {
        match self {
            Sink::Files(r) => r.advance(end),
            Sink::Table(f) => f.advance(end),
        }
    }
    fn discard(&mut self) {
        match self {
            Sink::Files(r) => r.discard(),
            Sink::Table(f) => f.discard(),
        }
    }
}

impl WriterSetup {
    /// An Iceberg commit point: journal `pending` (commit id, span, data file paths), place the files, commit
    /// one `append` snapshot, journal `done`.
    fn commit_table(&mut self, s: SealedFile, consumed: Consumed, files: Vec<TableFile>) -> Result<()> {
        let Some(committer) = self.committer.as_mut() else {
            return Err(Error::Internal { worker: "writer".into(), message: "table commit without a table".into() });
        };
        if files.is_empty() {
            return Ok(());
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let commit_id = uuid::Uuid::new_v4().to_string();
        journal_append(
            &self.journal,
            &Record::Pending {
                seq,
                key: format!("commit:{commit_id}"),
                start: s.start,
                end: s.end,
                rows: s.rows,
                bytes: s.bytes,
                consumed: Some(consumed),
                files: committer.paths(&files),
            },
        )?;
        failpoint::hit("iceberg.after_pending");
        let names = &self.summary_names;
        let name = |p: Position| format!("{}:{}", names.get(p.0 as usize).cloned().unwrap_or_default(), p.1);
        let mut summary = BTreeMap::new();
        summary.insert("prestige.input-start".to_string(), name(s.start));
        summary.insert("prestige.input-end".to_string(), name(s.end));
        let root = committer.target.data_location();
        let written: Vec<WrittenFile> = files
            .iter()
            .map(|f| WrittenFile {
                location: format!("{root}/{}", f.relative),
                key: f.relative.clone(),
                rows: f.sealed.rows,
                bytes: f.sealed.bytes,
                timestamp_ms: f.sealed.timestamp_ms,
                timestamp: chrono::DateTime::from_timestamp_millis(f.sealed.timestamp_ms)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                    .unwrap_or_default(),
            })
            .collect();
        let info = committer.commit(&commit_id, files, summary)?.clone();
        journal_append(&self.journal, &Record::Done { seq })?;
        if let Ok(mut f) = self.shared.files.lock() {
            f.extend(written);
        }
        if let Ok(mut c) = self.shared.commits.lock() {
            c.push(info);
        }
        Ok(())
    }
}

/// Refuses a `--schema` that contradicts the table's: each of its columns must be a table column of the same
/// type (it may name fewer columns).
fn check_schema_matches_table(table: &str, given: &SchemaRef, table_schema: &SchemaRef) -> Result<()> {
    for f in given.fields() {
        match table_schema.field_with_name(f.name()) {
            Err(_) => {
                return Err(Error::Config(format!(
                    "--schema contradicts table {table}: it has no column {:?} (drop --schema: an existing table's \
                     schema is used)",
                    f.name()
                )));
            }
            Ok(t) if !same_type(f.data_type(), t.data_type()) => {
                return Err(Error::Config(format!(
                    "--schema contradicts table {table}: column {:?} is {} there, {} in the schema file",
                    f.name(),
                    t.data_type(),
                    f.data_type()
                )));
            }
            Ok(_) => {}
        }
    }
    Ok(())
}

/// Types equal up to field metadata (field ids) and the nullability of children.
fn same_type(a: &arrow::datatypes::DataType, b: &arrow::datatypes::DataType) -> bool {
    use arrow::datatypes::DataType as D;
    match (a, b) {
        (D::List(x), D::List(y)) => same_type(x.data_type(), y.data_type()),
        (D::Struct(x), D::Struct(y)) => {
            x.len() == y.len()
                && x.iter().zip(y.iter()).all(|(p, q)| p.name() == q.name() && same_type(p.data_type(), q.data_type()))
        }
        // Iceberg keeps microseconds; values of any unit are read into them exactly (or refused per line).
        (D::Timestamp(_, z1), D::Timestamp(_, z2)) => z1.is_some() == z2.is_some(),
        // The schema file's narrower and unsigned integers map onto Iceberg's int, long and decimal(20, 0).
        (D::Int8 | D::Int16 | D::UInt8 | D::UInt16, D::Int32) | (D::UInt32, D::Int64) => true,
        (D::UInt64, D::Decimal128(20, 0)) => true,
        _ => a == b,
    }
}

/// The commit ids among `keys` (`commit:{id}`) that are on the table's branch.
async fn committed_ids<'a>(t: &TableTarget, keys: impl Iterator<Item = &'a String>) -> Result<Vec<String>> {
    let table = t.catalog.load_table(&t.table.ident).await?;
    Ok(keys
        .filter_map(|k| k.strip_prefix("commit:"))
        .filter(|id| crate::engine::iceberg::commit::find_commit(&table.metadata, &t.branch, id, None).is_some())
        .map(|id| format!("commit {id}"))
        .collect())
}

async fn upload_sealed(
    mut rx: tokio::sync::mpsc::Receiver<(u64, SealedFile)>,
    store: Arc<dyn BlobStore>,
    journal: Arc<Mutex<Option<Journal>>>,
    shared: Arc<Shared>,
    concurrency: usize,
    put: PutOptions,
    abort: Arc<AtomicBool>,
) {
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    let failed = |e: tokio::task::JoinError, abort: &AtomicBool, shared: &Shared| {
        abort.store(true, Ordering::SeqCst);
        let err = if e.is_panic() {
            Error::from_panic("upload task", e.into_panic())
        } else {
            Error::Internal { worker: "upload task".into(), message: e.to_string() }
        };
        if let Ok(mut g) = shared.error.lock() {
            g.get_or_insert(err);
        }
    };
    while let Some((seq, s)) = rx.recv().await {
        // Stop handing out files as soon as an upload task has died.
        while let Some(joined) = tasks.try_join_next() {
            if let Err(e) = joined {
                failed(e, &abort, &shared);
            }
        }
        if abort.load(Ordering::SeqCst) {
            let _ = std::fs::remove_file(&s.temp_path);
            continue;
        }
        let Ok(permit) = sem.clone().acquire_owned().await else { break };
        if abort.load(Ordering::SeqCst) {
            let _ = std::fs::remove_file(&s.temp_path);
            continue;
        }
        let (store, journal, shared, put, abort) =
            (store.clone(), journal.clone(), shared.clone(), put.clone(), abort.clone());
        tasks.spawn(async move {
            // The permit is released only after a panic has been recorded, so no later file starts uploading
            // once one upload has died.
            let _permit = permit;
            let attempt = std::panic::AssertUnwindSafe(async {
                failpoint::panic_point("ingest.upload");
                upload_one(&*store, &s, &put).await.and_then(|_| {
                    failpoint::hit("ingest.after_publish");
                    journal_append(&journal, &Record::Done { seq })
                })
            });
            let res = match futures::FutureExt::catch_unwind(attempt).await {
                Ok(r) => r,
                Err(payload) => Err(Error::from_panic(format!("upload of {}", s.key), payload)),
            };
            match res {
                Ok(()) => {
                    tracing::info!(rows = s.rows, bytes = s.bytes, "uploaded {}", store.location().display_key(&s.key));
                    let _ = std::fs::remove_file(&s.temp_path);
                    if let Ok(mut f) = shared.files.lock() {
                        f.push(written(store.location(), &s));
                    }
                }
                Err(e) => {
                    abort.store(true, Ordering::SeqCst);
                    if let Ok(mut g) = shared.error.lock() {
                        g.get_or_insert(e);
                    }
                }
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Err(e) = joined {
            failed(e, &abort, &shared);
        }
    }
}

/// Uploads a sealed file and checks the stored size matches.
async fn upload_one(store: &dyn BlobStore, s: &SealedFile, put: &PutOptions) -> Result<()> {
    let out = store.put_file(&s.key, &s.temp_path, put).await?;
    match store.head(&s.key).await? {
        Some(m) if m.size == out.size && out.size == s.bytes => Ok(()),
        Some(m) => Err(Error::Storage {
            location: store.location().display_key(&s.key),
            message: format!("uploaded {} bytes but the store reports {}", s.bytes, m.size),
        }),
        None => Err(Error::Storage {
            location: store.location().display_key(&s.key),
            message: "upload reported success but the object is missing".into(),
        }),
    }
}

/// Default state directory: `$PRESTIGE_STATE_DIR`, else `$XDG_STATE_HOME/prestige`, else `~/.local/state/prestige`.
pub fn default_state_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("PRESTIGE_STATE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_STATE_HOME") {
        return Path::new(&d).join("prestige");
    }
    match std::env::var_os("HOME") {
        Some(h) => Path::new(&h).join(".local/state/prestige"),
        None => std::env::temp_dir().join("prestige-state"),
    }
}

/// Infers a schema from the first `rows` JSON-object lines of a file input (decompressed as ingest would),
/// for creating a table before the pipeline starts.
pub fn infer_file_schema(path: &Path, rows: usize) -> Result<SchemaRef> {
    let input = Input::File(path.to_path_buf());
    let (reader, _) = open_input(&input)?;
    let mut held = Vec::new();
    let mut buf = std::io::BufReader::new(reader);
    let mut data = Vec::new();
    let mut line = Vec::new();
    let mut n = 0;
    while n < rows {
        line.clear();
        let got = std::io::BufRead::read_until(&mut buf, b'\n', &mut line).map_err(|e| Error::io("read", path, e))?;
        if got == 0 {
            break;
        }
        data.extend_from_slice(&line);
        n += 1;
    }
    held.push((0u32, 1u64, data, 0u64));
    infer_from(&held, rows, &[input.name()])?.ok_or_else(|| Error::BadInput {
        file: input.name(),
        message: "empty input: no line to infer a schema from; pass --schema to create the table".into(),
    })
}
