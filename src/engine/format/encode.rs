//! Parquet encoding with columns encoded in parallel: a pool of encoder threads, each owning the column writers
//! of some top-level fields, fed the same batches; row groups are assembled in column order on flush.

use std::fs::File;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, FieldRef, SchemaRef};
use parquet::arrow::ArrowSchemaConverter;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::errors::{ParquetError, Result};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

/// The leaf writers of one top-level field: (field index, field, [(leaf index, writer)]).
type FieldWriters = (usize, FieldRef, Vec<(usize, ArrowColumnWriter)>);

enum Cmd {
    Start(Vec<FieldWriters>),
    Write(RecordBatch),
    Finish(SyncSender<Result<Vec<(usize, ArrowColumnChunk)>>>),
    /// Replies once every earlier command has been processed.
    Sync(SyncSender<()>),
}

struct Worker {
    tx: SyncSender<Cmd>,
    /// Estimated encoded bytes of this worker's open row group, updated after every batch.
    size: Arc<AtomicUsize>,
    /// Rows of the open row group this worker has encoded.
    rows: Arc<AtomicUsize>,
}

/// Long-lived encoder threads shared by every file a rolling writer produces.
pub struct EncoderPool {
    workers: Vec<Worker>,
    /// The message of the first encoder thread that panicked.
    panicked: Arc<std::sync::Mutex<Option<String>>>,
}

impl EncoderPool {
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let mut workers = Vec::new();
        let panicked = Arc::new(std::sync::Mutex::new(None));
        for n in 0..threads.max(1) {
            let (tx, rx) = sync_channel::<Cmd>(2);
            let size = Arc::new(AtomicUsize::new(0));
            let rows = Arc::new(AtomicUsize::new(0));
            let (s, r, p) = (size.clone(), rows.clone(), panicked.clone());
            std::thread::Builder::new().name(format!("prestige-encode-{n}")).spawn(move || {
                // `rx` outlives the unwinding so the writer sees the channel close only after the message is kept.
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| encode_loop(&rx, &s, &r)));
                if let Err(payload) = run {
                    let msg = payload
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    if let Ok(mut g) = p.lock() {
                        g.get_or_insert(msg);
                    }
                }
                drop(rx);
            })?;
            workers.push(Worker { tx, size, rows });
        }
        Ok(Self { workers, panicked })
    }

    /// The error for an encoder thread that is gone: a panic's message when it panicked.
    fn stopped(&self) -> ParquetError {
        match self.panicked.lock().ok().and_then(|g| g.clone()) {
            Some(m) => ParquetError::General(format!("an encoder thread panicked: {m}")),
            None => ParquetError::General("encoder thread stopped".into()),
        }
    }

    fn send(&self, w: usize, cmd: Cmd) -> Result<()> {
        self.workers[w].tx.send(cmd).map_err(|_| self.stopped())
    }
}

fn encode_loop(rx: &Receiver<Cmd>, size: &AtomicUsize, rows: &AtomicUsize) {
    let mut fields: Vec<FieldWriters> = Vec::new();
    let mut failed: Option<ParquetError> = None;
    for cmd in rx.iter() {
        match cmd {
            Cmd::Start(f) => {
                fields = f;
                failed = None;
                size.store(0, Ordering::Release);
                rows.store(0, Ordering::Release);
            }
            Cmd::Write(batch) => {
                crate::engine::failpoint::panic_point("ingest.encode");
                if failed.is_some() {
                    continue;
                }
                let mut total = 0;
                'fields: for (idx, field, writers) in &mut fields {
                    let leaves = match compute_leaves(field, batch.column(*idx)) {
                        Ok(l) => l,
                        Err(e) => {
                            failed = Some(e);
                            break 'fields;
                        }
                    };
                    for ((_, w), leaf) in writers.iter_mut().zip(leaves) {
                        if let Err(e) = w.write(&leaf) {
                            failed = Some(e);
                            break 'fields;
                        }
                        total += w.get_estimated_total_bytes();
                    }
                }
                size.store(total, Ordering::Release);
                rows.fetch_add(batch.num_rows(), Ordering::AcqRel);
            }
            Cmd::Sync(reply) => {
                let _ = reply.send(());
            }
            Cmd::Finish(reply) => {
                let result = match failed.take() {
                    Some(e) => Err(e),
                    None => std::mem::take(&mut fields)
                        .into_iter()
                        .flat_map(|(_, _, ws)| ws)
                        .map(|(leaf, w)| w.close().map(|c| (leaf, c)))
                        .collect(),
                };
                fields.clear();
                size.store(0, Ordering::Release);
                let _ = reply.send(result);
            }
        }
    }
}

fn leaf_count(dt: &DataType) -> usize {
    match dt {
        DataType::Struct(fs) => fs.iter().map(|f| leaf_count(f.data_type())).sum(),
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) | DataType::Map(f, _) => {
            leaf_count(f.data_type())
        }
        _ => 1,
    }
}

/// One Parquet file being written through an `EncoderPool`.
pub struct ParallelFileWriter {
    writer: SerializedFileWriter<File>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    pool: Arc<EncoderPool>,
    rows_in_group: usize,
    group_open: bool,
    row_groups: usize,
}

impl ParallelFileWriter {
    pub fn try_new(file: File, schema: SchemaRef, props: &WriterProperties, pool: Arc<EncoderPool>) -> Result<Self> {
        let mut props = props.clone();
        parquet::arrow::add_encoded_arrow_schema_to_metadata(&schema, &mut props);
        let parquet_schema = ArrowSchemaConverter::new().with_coerce_types(props.coerce_types()).convert(&schema)?;
        let writer = SerializedFileWriter::new(file, parquet_schema.root_schema_ptr(), Arc::new(props))?;
        let factory = ArrowRowGroupWriterFactory::new(&writer, schema.clone());
        Ok(Self { writer, factory, schema, pool, rows_in_group: 0, group_open: false, row_groups: 0 })
    }

    fn start_group(&mut self) -> Result<()> {
        let mut writers = self.factory.create_column_writers(self.row_groups)?.into_iter().enumerate();
        let pool = &self.pool;
        let n = pool.workers.len();
        let mut per_worker: Vec<Vec<FieldWriters>> = (0..n).map(|_| Vec::new()).collect();
        for (i, field) in self.schema.fields().iter().enumerate() {
            let ws: Vec<(usize, ArrowColumnWriter)> = writers.by_ref().take(leaf_count(field.data_type())).collect();
            per_worker[i % n].push((i, field.clone(), ws));
        }
        for (w, fields) in per_worker.into_iter().enumerate() {
            pool.send(w, Cmd::Start(fields))?;
        }
        self.group_open = true;
        Ok(())
    }

    /// Hands the batch to every encoder thread; returns before it is encoded.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if !self.group_open {
            self.start_group()?;
        }
        for w in 0..self.pool.workers.len() {
            self.pool.send(w, Cmd::Write(batch.clone()))?;
        }
        self.rows_in_group += batch.num_rows();
        Ok(())
    }

    pub fn rows_in_group(&self) -> usize {
        self.rows_in_group
    }

    /// Estimated encoded size of the open row group; batches still queued for an encoder are counted at
    /// that encoder's bytes per row so far.
    pub fn in_progress_size(&self) -> usize {
        if !self.group_open {
            return 0;
        }
        let mut total = 0.0;
        for w in &self.pool.workers {
            let size = w.size.load(Ordering::Acquire) as f64;
            let done = w.rows.load(Ordering::Acquire);
            let queued = self.rows_in_group.saturating_sub(done) as f64;
            total += size + if done > 0 { queued * size / done as f64 } else { 0.0 };
        }
        total as usize
    }

    /// The open row group's estimated size once the encoders have caught up with every batch sent.
    pub fn settled_in_progress_size(&self) -> Result<usize> {
        let mut replies = Vec::new();
        for w in 0..self.pool.workers.len() {
            let (tx, rx) = sync_channel(1);
            self.pool.send(w, Cmd::Sync(tx))?;
            replies.push(rx);
        }
        for rx in replies {
            rx.recv().map_err(|_| self.pool.stopped())?;
        }
        Ok(self.in_progress_size())
    }

    /// Bytes already in the file (closed row groups).
    pub fn bytes_written(&self) -> usize {
        self.writer.bytes_written()
    }

    /// Closes the open row group: waits for the encoders and appends the column chunks in schema order.
    pub fn flush(&mut self) -> Result<()> {
        if !self.group_open {
            return Ok(());
        }
        self.group_open = false;
        let mut chunks = Vec::new();
        let mut first_err = None;
        {
            let pool = &self.pool;
            let mut replies = Vec::new();
            for w in 0..pool.workers.len() {
                let (tx, rx) = sync_channel(1);
                pool.send(w, Cmd::Finish(tx))?;
                replies.push(rx);
            }
            for rx in replies {
                match rx.recv() {
                    Ok(Ok(c)) => chunks.extend(c),
                    Ok(Err(e)) => first_err = first_err.or(Some(e)),
                    Err(_) => first_err = first_err.or(Some(pool.stopped())),
                }
            }
        }
        if let Some(e) = first_err {
            return Err(e);
        }
        if self.rows_in_group == 0 {
            return Ok(());
        }
        chunks.sort_by_key(|(leaf, _)| *leaf);
        let mut rg = self.writer.next_row_group()?;
        for (_, c) in chunks {
            c.append_to_row_group(&mut rg)?;
        }
        rg.close()?;
        self.row_groups += 1;
        self.rows_in_group = 0;
        Ok(())
    }

    /// Writes the last row group and the footer; returns the file.
    pub fn finish(mut self) -> Result<File> {
        self.flush()?;
        self.writer.into_inner()
    }

    /// Abandons the file, leaving the encoders ready for the next one.
    pub fn abandon(mut self) {
        if self.group_open {
            self.rows_in_group = 0;
            let _ = self.flush();
        }
    }
}
