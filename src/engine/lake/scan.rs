//! Reading Parquet data (local files or S3) as one stream of batches: file selection (paths, directories, globs,
//! a name prefix with a time window), schema unification by column name, projection, `--where` pruned on
//! row-group statistics and page indexes and then evaluated while decoding (only matching rows of the other
//! columns are decoded), a row limit, and counters of what was actually read.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use arrow::array::{Array, ArrayRef, RecordBatch, RecordBatchOptions, UInt64Array, new_null_array};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{Field, Schema, SchemaRef};
use futures::StreamExt;
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::arrow::arrow_reader::{
    ArrowPredicate, ArrowPredicateFn, ArrowReaderMetadata, ArrowReaderOptions, RowFilter, RowSelection, RowSelector,
};
use parquet::arrow::{ParquetRecordBatchStreamBuilder, ProjectionMask};
use parquet::file::metadata::ParquetMetaData;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::engine::error::{Error, Result};
use crate::engine::expr::{self, ColumnStats, Expr, StatsSource};
use crate::engine::failpoint;
use crate::engine::naming::{KeyKind, classify, split_prefix};
use crate::engine::source::{BlobReader, parquet_error};
use crate::engine::storage::{BlobStore, Location, ObjectMeta, S3Settings, local::LocalStore};
use crate::engine::unify::{conform, unify};

#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files, directories, glob patterns, `s3://bucket/key.parquet` or `s3://bucket/dir`.
    pub locations: Vec<String>,
    /// Only `NAME.{millis}[.*].parquet` files (the part before the last `/` is a folder under each location).
    pub prefix: Option<String>,
    /// With `prefix`: file timestamps after this …
    pub start_ms: Option<i64>,
    /// … and up to this.
    pub end_ms: Option<i64>,
    /// Output columns (`a`, `s.field`); all top-level columns when None.
    pub columns: Option<Vec<String>>,
    /// A SQL boolean expression.
    pub filter: Option<String>,
    pub limit: Option<u64>,
    pub batch_size: usize,
    /// Files read at once; default: two per core locally, 16 on S3.
    pub concurrency: Option<usize>,
    pub s3: S3Settings,
}

/// What a scan read and skipped; `bytes_read` counts every byte fetched (footers, page indexes, data).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanStats {
    pub files: usize,
    /// Files none of whose row groups can match the filter.
    pub files_pruned: usize,
    pub row_groups: usize,
    pub row_groups_pruned: usize,
    /// Rows in pages the page index ruled out, inside row groups that were read.
    pub rows_pruned_by_page_index: u64,
    /// Rows in the selected files.
    pub rows_total: u64,
    pub rows_out: u64,
    /// Size of the selected files.
    pub bytes_total: u64,
    pub bytes_read: u64,
    pub elapsed_ms: u64,
}

#[derive(Default)]
struct Counters {
    files_pruned: AtomicUsize,
    row_groups_pruned: AtomicUsize,
    rows_pruned_by_page_index: AtomicU64,
    rows_out: AtomicU64,
    bytes_read: Arc<AtomicU64>,
}

/// One selected file.
struct SourceFile {
    store: Arc<dyn BlobStore>,
    key: String,
    size: u64,
}

/// An output column: a top-level column or a field inside a struct column.
#[derive(Debug, Clone)]
struct OutputColumn {
    root: String,
    path: Vec<String>,
}

/// Everything decided before reading: the files with their footers, the unified schema, projection, filter.
pub struct ScanPlan {
    files: Vec<(SourceFile, ArrowReaderMetadata)>,
    /// The unified schema of all selected files.
    pub schema: SchemaRef,
    /// The schema of the batches the scan yields.
    pub output: SchemaRef,
    outputs: Vec<OutputColumn>,
    predicate: Option<Expr>,
    limit: Option<u64>,
    batch_size: usize,
    concurrency: usize,
    counters: Arc<Counters>,
    started: Instant,
    rows_total: u64,
    bytes_total: u64,
}

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Hidden and bookkeeping files (`.prestige-*.inprogress`, `_SUCCESS`, …) are never data.
fn is_hidden(rel: &str) -> bool {
    rel.split('/').any(|c| c.starts_with('.') || c.starts_with('_'))
}

/// Keys of originals kept by `compact --keep-originals`: each has a `KEY.processed` marker beside it (its rows
/// live in a compaction output). Taken from the whole listing, before it is narrowed to `*.parquet`.
fn processed_keys(listing: &[ObjectMeta]) -> HashSet<String> {
    listing.iter().filter_map(|o| o.key.strip_suffix(".processed").map(str::to_string)).collect()
}

/// Drops the kept originals named by `markers` from `objs`.
fn drop_processed(objs: Vec<ObjectMeta>, markers: &HashSet<String>) -> Vec<ObjectMeta> {
    objs.into_iter().filter(|o| !markers.contains(&o.key)).collect()
}

/// The Parquet files one LOCATION argument names, in a stable order.
async fn resolve_one(store: Arc<dyn BlobStore>, path: &str, opts: &ScanOptions) -> Result<Vec<SourceFile>> {
    let shown = |k: &str| store.location().display_key(k);
    let file = |o: ObjectMeta| SourceFile { store: store.clone(), key: o.key, size: o.size };
    if has_glob(path) {
        let base = &path[..path.find(['*', '?', '[']).unwrap_or(path.len())];
        let list_prefix = &base[..base.rfind('/').map_or(0, |i| i + 1)];
        let pattern = glob::Pattern::new(path).map_err(|e| Error::Config(format!("invalid pattern {path:?}: {e}")))?;
        let opts = glob::MatchOptions { require_literal_separator: true, ..Default::default() };
        let objs = store.list(list_prefix, None).await?;
        let markers = processed_keys(&objs);
        let mut out: Vec<ObjectMeta> = objs
            .into_iter()
            .filter(|o| pattern.matches_with(&o.key, opts) && !is_hidden(&o.key[list_prefix.len()..]))
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        return Ok(drop_processed(out, &markers).into_iter().map(file).collect());
    }
    let dir = match path.trim_end_matches('/') {
        "" => String::new(),
        d => format!("{d}/"),
    };
    if let Some(prefix) = &opts.prefix {
        let (folder, name) = split_prefix(prefix);
        let listing = store.list(&format!("{dir}{folder}{name}."), None).await?;
        let mut picked: Vec<(i64, ObjectMeta)> = Vec::new();
        let markers = processed_keys(&listing);
        for o in drop_processed(listing, &markers) {
            let rel = &o.key[dir.len() + folder.len()..];
            match classify(rel, &name) {
                KeyKind::Data { timestamp_ms, .. } => {
                    let after_start = opts.start_ms.is_none_or(|s| timestamp_ms > s);
                    let before_end = opts.end_ms.is_none_or(|e| timestamp_ms <= e);
                    if after_start && before_end {
                        picked.push((timestamp_ms, o));
                    }
                }
                KeyKind::Stray(reason) if !rel.ends_with(".processed") => {
                    tracing::warn!("skipping {}: {reason}", shown(&o.key));
                }
                _ => {}
            }
        }
        picked.sort_by(|a, b| (a.0, &a.1.key).cmp(&(b.0, &b.1.key)));
        return Ok(picked.into_iter().map(|(_, o)| file(o)).collect());
    }
    if !path.is_empty()
        && !path.ends_with('/')
        && let Some(o) = store.head(path).await?
    {
        return Ok(vec![file(o)]);
    }
    let objs = store.list(&dir, None).await?;
    let markers = processed_keys(&objs);
    let mut out: Vec<ObjectMeta> = objs
        .into_iter()
        .filter(|o| o.key.ends_with(".parquet") && !is_hidden(&o.key[dir.len()..]))
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(drop_processed(out, &markers).into_iter().map(file).collect())
}

/// All files the locations name, each store opened once.
async fn resolve(opts: &ScanOptions) -> Result<Vec<SourceFile>> {
    let mut out = Vec::new();
    let mut buckets: Vec<(String, Arc<dyn BlobStore>)> = Vec::new();
    let local: Arc<dyn BlobStore> = Arc::new(LocalStore::new(Default::default()));
    for loc in &opts.locations {
        let (store, path) = match loc.strip_prefix("s3://") {
            Some(rest) => {
                let (bucket, path) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(Error::Config(format!("{loc:?}: missing bucket name (expected s3://bucket/path)")));
                }
                let store = match buckets.iter().find(|(b, _)| b == bucket) {
                    Some((_, s)) => s.clone(),
                    None => {
                        let l = Location::S3 { bucket: bucket.to_string(), prefix: String::new() };
                        let s = crate::engine::storage::open(&l, &opts.s3).await?;
                        s.check().await?;
                        buckets.push((bucket.to_string(), s.clone()));
                        s
                    }
                };
                (store, path.to_string())
            }
            None => {
                let path = loc.strip_prefix("file://").unwrap_or(loc);
                if !has_glob(path) && !std::path::Path::new(path).exists() {
                    return Err(Error::NotFound { location: path.to_string(), message: "no such file or directory".into() });
                }
                (local.clone(), path.to_string())
            }
        };
        let files = resolve_one(store.clone(), &path, opts).await?;
        if files.is_empty() && opts.prefix.is_none() && loc.starts_with("s3://") && !has_glob(&path) {
            return Err(Error::NotFound { location: loc.clone(), message: "no such object, and no Parquet objects under it".into() });
        }
        if files.is_empty() {
            tracing::warn!("{loc}: no Parquet files selected");
        }
        out.extend(files);
    }
    Ok(out)
}

/// Resolves the files, reads their footers (several at once), unifies their schemas and binds the projection
/// and filter. Errors name the file, column or expression at fault.
pub async fn plan(opts: &ScanOptions) -> Result<ScanPlan> {
    let started = Instant::now();
    if opts.prefix.is_none() && (opts.start_ms.is_some() || opts.end_ms.is_some()) {
        return Err(Error::Config("--start/--end select files by the timestamp in their name: give --prefix".into()));
    }
    let files = resolve(opts).await?;
    let counters = Arc::new(Counters::default());
    // The page index is only worth its extra reads when there is a filter to prune with.
    let reader_opts = ArrowReaderOptions::new().with_page_index_policy(parquet::file::metadata::PageIndexPolicy::from(opts.filter.is_some()));
    let metas: Vec<Result<ArrowReaderMetadata>> = futures::stream::iter(files.iter())
        .map(|f| {
            let mut r = BlobReader::counted(f.store.clone(), &f.key, f.size, counters.bytes_read.clone());
            let ro = reader_opts.clone();
            let path = f.store.location().display_key(&f.key);
            async move { ArrowReaderMetadata::load_async(&mut r, ro).await.map_err(|e| parquet_error(path, e)) }
        })
        .buffered(16)
        .collect()
        .await;
    let mut fields: Vec<Field> = Vec::new();
    let mut planned = Vec::with_capacity(files.len());
    for (f, m) in files.into_iter().zip(metas) {
        let m = m?;
        unify(&mut fields, m.schema()).map_err(|why| Error::BadInput {
            file: f.store.location().display_key(&f.key),
            message: format!("schema cannot be unified with the files before it: {why}"),
        })?;
        planned.push((f, m));
    }
    let schema = Arc::new(Schema::new(fields));
    let predicate = match &opts.filter {
        Some(text) => Some(expr::bind(text, &schema).map_err(|e| Error::Config(format!("--where {text:?}: {e}")))?),
        None => None,
    };
    let wanted: Vec<String> = match &opts.columns {
        Some(c) => c.clone(),
        None => schema.fields().iter().map(|f| f.name().clone()).collect(),
    };
    let mut outputs = Vec::new();
    let mut out_fields = Vec::new();
    for name in &wanted {
        let parts: Vec<String> = name.split('.').map(str::to_string).collect();
        let Expr::Column { name: root, path, data_type } =
            expr::column(&parts, &schema).map_err(|e| Error::Config(format!("--columns: {e}")))?
        else {
            return Err(Error::Config(format!("--columns: {name} is not a column")));
        };
        out_fields.push(Field::new(name, data_type, true));
        outputs.push(OutputColumn { root, path });
    }
    let on_s3 = planned.iter().any(|(f, _)| matches!(f.store.location(), Location::S3 { .. }));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let rows_total = planned.iter().map(|(_, m)| m.metadata().file_metadata().num_rows().max(0) as u64).sum();
    let bytes_total = planned.iter().map(|(f, _)| f.size).sum();
    Ok(ScanPlan {
        files: planned,
        schema,
        output: Arc::new(Schema::new(out_fields)),
        outputs,
        predicate,
        limit: opts.limit,
        batch_size: opts.batch_size.max(1),
        concurrency: opts.concurrency.unwrap_or(if on_s3 { 16 } else { cores * 2 }).max(1),
        counters,
        started,
        rows_total,
        bytes_total,
    })
}

/// Row-group or page statistics of the predicate's columns in one file, in unified types.
struct FileStats {
    columns: Vec<(String, ColumnStats)>,
    rows: UInt64Array,
}

impl StatsSource for FileStats {
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn row_counts(&self) -> Option<&UInt64Array> {
        Some(&self.rows)
    }
    fn column(&self, name: &str) -> Option<&ColumnStats> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }
}

fn to_unified(a: ArrayRef, field: &Field) -> ArrayRef {
    if a.data_type() == field.data_type() {
        return a;
    }
    cast_with_options(&a, field.data_type(), &CastOptions::default())
        .unwrap_or_else(|_| new_null_array(field.data_type(), a.len()))
}

/// Which statistics to read: whole row groups, or the data pages of the given row groups.
enum Level<'a> {
    RowGroups,
    Pages(&'a [usize]),
}

/// Statistics for `names` at `level`; unknown statistics are null (never pruned on).
fn file_stats(names: &[String], file_schema: &Schema, md: &ParquetMetaData, unified: &Schema, level: Level) -> Option<FileStats> {
    let descr = md.file_metadata().schema_descr();
    let rows = match &level {
        Level::RowGroups => UInt64Array::from_iter_values(md.row_groups().iter().map(|r| r.num_rows().max(0) as u64)),
        Level::Pages(rgs) => {
            // Page counts differ between columns: page statistics are only comparable within one column.
            let [name] = names else { return None };
            let conv = StatisticsConverter::try_new(name, file_schema, descr).ok()?;
            conv.data_page_row_counts(md.offset_index()?, md.row_groups(), rgs.iter()).ok()??
        }
    };
    let n = rows.len();
    let mut columns = Vec::new();
    for name in names {
        let Ok(field) = unified.field_with_name(name) else { continue };
        let unknown = || ColumnStats {
            mins: new_null_array(field.data_type(), n),
            maxes: new_null_array(field.data_type(), n),
            null_counts: None,
            absent: false,
        };
        if file_schema.field_with_name(name).is_err() {
            columns.push((name.clone(), ColumnStats { absent: true, ..unknown() }));
            continue;
        }
        let stats = StatisticsConverter::try_new(name, file_schema, descr).ok().and_then(|conv| {
            let (mins, maxes, nulls) = match &level {
                Level::RowGroups => (
                    conv.row_group_mins(md.row_groups().iter()).ok()?,
                    conv.row_group_maxes(md.row_groups().iter()).ok()?,
                    conv.row_group_null_counts(md.row_groups().iter()).ok(),
                ),
                Level::Pages(rgs) => {
                    let (ci, oi) = (md.column_index()?, md.offset_index()?);
                    (
                        conv.data_page_mins(ci, oi, rgs.iter()).ok()?,
                        conv.data_page_maxes(ci, oi, rgs.iter()).ok()?,
                        conv.data_page_null_counts(ci, oi, rgs.iter()).ok(),
                    )
                }
            };
            (mins.len() == n && maxes.len() == n).then(|| ColumnStats {
                mins: to_unified(mins, field),
                maxes: to_unified(maxes, field),
                null_counts: nulls.filter(|c| c.len() == n),
                absent: false,
            })
        });
        columns.push((name.clone(), stats.unwrap_or_else(unknown)));
    }
    Some(FileStats { columns, rows })
}

/// Rows of the kept row groups that the page index rules out: one selection per single-column `AND` term,
/// intersected. None when nothing can be skipped.
fn page_selection(pred: &Expr, file_schema: &Schema, md: &ParquetMetaData, unified: &Schema, rgs: &[usize]) -> Option<(RowSelection, u64)> {
    md.column_index()?;
    let mut result: Option<RowSelection> = None;
    for term in expr::conjuncts(pred) {
        let cols: Vec<String> = term.columns().into_iter().collect();
        if cols.len() != 1 || file_schema.field_with_name(&cols[0]).is_err() {
            continue;
        }
        let Some(stats) = file_stats(&cols, file_schema, md, unified, Level::Pages(rgs)) else { continue };
        let keep = term.may_match(&stats);
        if keep.iter().all(|k| *k) {
            continue;
        }
        let selectors: Vec<RowSelector> = keep
            .iter()
            .zip(stats.rows.values().iter())
            .map(|(k, n)| if *k { RowSelector::select(*n as usize) } else { RowSelector::skip(*n as usize) })
            .collect();
        let sel = RowSelection::from(selectors);
        result = Some(match result {
            None => sel,
            Some(r) => r.intersection(&sel),
        });
    }
    let sel = result?;
    let total: u64 = rgs.iter().map(|&i| md.row_group(i).num_rows().max(0) as u64).sum();
    let skipped = total - sel.row_count() as u64;
    Some((sel, skipped))
}

/// The unified fields of `names`, for conforming a file's batches.
fn sub_schema(unified: &Schema, names: &[String]) -> SchemaRef {
    Arc::new(Schema::new(
        names.iter().filter_map(|n| unified.field_with_name(n).ok().cloned()).collect::<Vec<_>>(),
    ))
}

/// Indices (= Parquet root columns) of `names` in a file's schema.
fn roots_in(file_schema: &Schema, names: &[String]) -> Vec<usize> {
    let mut idx: Vec<usize> = names.iter().filter_map(|n| file_schema.index_of(n).ok()).collect();
    idx.sort_unstable();
    idx.dedup();
    idx
}

/// Shared by the file readers.
struct ReadContext {
    unified: SchemaRef,
    output: SchemaRef,
    outputs: Vec<OutputColumn>,
    /// Unified fields of the output columns' roots.
    out_roots: SchemaRef,
    predicate: Option<Expr>,
    /// Unified fields of the predicate's columns.
    filter_schema: SchemaRef,
    limit: Option<u64>,
    batch_size: usize,
    counters: Arc<Counters>,
}

impl ReadContext {
    fn project(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let conformed = conform(batch, &self.out_roots)?;
        let cols: Vec<ArrayRef> = self
            .outputs
            .iter()
            .map(|o| {
                let c = conformed.column_by_name(&o.root).cloned().unwrap_or_else(|| new_null_array(&arrow::datatypes::DataType::Null, batch.num_rows()));
                expr::extract_path(c, &o.path)
            })
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::Config(e.to_string()))?;
        let opts = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        RecordBatch::try_new_with_options(self.output.clone(), cols, &opts).map_err(|e| Error::Config(e.to_string()))
    }
}

/// Evaluates an expression whose columns are all absent (null) in a file: true if it holds for such rows.
fn constant_true(e: &Expr, schema: &SchemaRef) -> Result<bool> {
    let nulls = RecordBatch::try_new_with_options(
        schema.clone(),
        schema.fields().iter().map(|f| new_null_array(f.data_type(), 1)).collect(),
        &RecordBatchOptions::new().with_row_count(Some(1)),
    )
    .map_err(|e| Error::Config(e.to_string()))?;
    let v = e.evaluate(&nulls).map_err(|e| Error::Config(e.to_string()))?;
    Ok(v.is_valid(0) && v.value(0))
}

/// Reads one file into `tx`: prune row groups and pages, then decode with the filter applied during decoding.
async fn read_file(
    file: &SourceFile,
    meta: ArrowReaderMetadata,
    ctx: &ReadContext,
    tx: &mpsc::Sender<Result<RecordBatch>>,
) -> Result<()> {
    let path = file.store.location().display_key(&file.key);
    let md = meta.metadata().clone();
    let file_schema = meta.schema().clone();
    let descr = md.file_metadata().schema_descr_ptr();
    let mut row_groups: Vec<usize> = (0..md.num_row_groups()).collect();
    let mut selection = None;
    let mut row_filter = None;
    let filter_names: Vec<String> = ctx.filter_schema.fields().iter().map(|f| f.name().clone()).collect();
    let filter_roots = roots_in(&file_schema, &filter_names);
    if let Some(pred) = &ctx.predicate {
        let names = &filter_names;
        if let Some(stats) = file_stats(names, &file_schema, &md, &ctx.unified, Level::RowGroups) {
            let keep = pred.may_match(&stats);
            row_groups.retain(|&i| keep[i]);
        }
        ctx.counters.row_groups_pruned.fetch_add(md.num_row_groups() - row_groups.len(), Ordering::Relaxed);
        if row_groups.is_empty() {
            ctx.counters.files_pruned.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        if let Some((sel, skipped)) = page_selection(pred, &file_schema, &md, &ctx.unified, &row_groups) {
            ctx.counters.rows_pruned_by_page_index.fetch_add(skipped, Ordering::Relaxed);
            if sel.row_count() == 0 {
                return Ok(());
            }
            selection = Some(sel);
        }
        // One predicate per top-level AND term, applied in order: a later term decodes its columns only for
        // the rows earlier terms kept. A term over columns this file lacks is the same for every row.
        let mut predicates: Vec<Box<dyn ArrowPredicate>> = Vec::new();
        for term in expr::conjuncts(pred) {
            let names: Vec<String> = term.columns().into_iter().collect();
            let schema = sub_schema(&ctx.unified, &names);
            let roots = roots_in(&file_schema, &names);
            if roots.is_empty() {
                if !constant_true(term, &schema)? {
                    ctx.counters.files_pruned.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                continue;
            }
            let term = term.clone();
            let f = ArrowPredicateFn::new(ProjectionMask::roots(&descr, roots), move |batch: RecordBatch| {
                let b = conform(&batch, &schema).map_err(|e| arrow::error::ArrowError::ComputeError(e.to_string()))?;
                term.evaluate(&b)
            });
            predicates.push(Box::new(f));
        }
        if !predicates.is_empty() {
            row_filter = Some(RowFilter::new(predicates));
        }
    }
    let root_names: Vec<String> = ctx.out_roots.fields().iter().map(|f| f.name().clone()).collect();
    let mut roots = roots_in(&file_schema, &root_names);
    if roots.is_empty() {
        // Row counts still need a column to come from: the filter's (already decoded), else the first.
        roots = if filter_roots.is_empty() { vec![0] } else { filter_roots };
    }
    let reader = BlobReader::counted(file.store.clone(), &file.key, file.size, ctx.counters.bytes_read.clone());
    let mut b = ParquetRecordBatchStreamBuilder::new_with_metadata(reader, meta)
        .with_batch_size(ctx.batch_size)
        .with_row_groups(row_groups)
        .with_projection(ProjectionMask::roots(&descr, roots));
    if let Some(sel) = selection {
        b = b.with_row_selection(sel);
    }
    if let Some(f) = row_filter {
        b = b.with_row_filter(f);
    }
    if let Some(l) = ctx.limit {
        b = b.with_limit(l as usize);
    }
    let mut stream = b.build().map_err(|e| parquet_error(path.clone(), e))?;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| parquet_error(path.clone(), e))?;
        if batch.num_rows() == 0 {
            continue;
        }
        if tx.send(Ok(ctx.project(&batch)?)).await.is_err() {
            return Ok(()); // the consumer stopped (limit reached, output closed)
        }
    }
    Ok(())
}

/// The error for a task that panicked or was cancelled.
fn join_error(worker: &str, e: tokio::task::JoinError) -> Error {
    if e.is_panic() {
        Error::from_panic(worker, e.into_panic())
    } else {
        Error::Internal { worker: worker.to_string(), message: e.to_string() }
    }
}

/// A running scan: batches in file order, then the statistics.
pub struct ScanStream {
    pub schema: SchemaRef,
    pub batches: mpsc::Receiver<Result<RecordBatch>>,
    stats: StatsHandle,
}

/// Reads the counters of a running or finished scan.
#[derive(Clone)]
pub struct StatsHandle {
    counters: Arc<Counters>,
    started: Instant,
    files: usize,
    row_groups: usize,
    rows_total: u64,
    bytes_total: u64,
}

impl StatsHandle {
    pub fn snapshot(&self) -> ScanStats {
        let c = &self.counters;
        ScanStats {
            files: self.files,
            files_pruned: c.files_pruned.load(Ordering::Relaxed),
            row_groups: self.row_groups,
            row_groups_pruned: c.row_groups_pruned.load(Ordering::Relaxed),
            rows_pruned_by_page_index: c.rows_pruned_by_page_index.load(Ordering::Relaxed),
            rows_total: self.rows_total,
            rows_out: c.rows_out.load(Ordering::Relaxed),
            bytes_total: self.bytes_total,
            bytes_read: c.bytes_read.load(Ordering::Relaxed),
            elapsed_ms: self.started.elapsed().as_millis() as u64,
        }
    }
}

impl ScanStream {
    pub fn stats(&self) -> StatsHandle {
        self.stats.clone()
    }
}

impl ScanPlan {
    pub fn stats(&self) -> StatsHandle {
        StatsHandle {
            counters: self.counters.clone(),
            started: self.started,
            files: self.files.len(),
            row_groups: self.files.iter().map(|(_, m)| m.metadata().num_row_groups()).sum(),
            rows_total: self.rows_total,
            bytes_total: self.bytes_total,
        }
    }

    /// The number of matching rows. Without a filter it comes from the footers alone.
    pub async fn count(mut self) -> Result<u64> {
        if self.predicate.is_none() {
            let n = self.limit.map_or(self.rows_total, |l| l.min(self.rows_total));
            self.counters.rows_out.store(n, Ordering::Relaxed);
            return Ok(n);
        }
        self.outputs.clear();
        self.output = Arc::new(Schema::empty());
        let mut s = self.execute();
        let mut n = 0;
        while let Some(b) = s.batches.recv().await {
            n += b?.num_rows() as u64;
        }
        Ok(n)
    }

    /// Starts reading: several files at once, each decoded on a blocking thread, batches delivered in file order
    /// through a bounded channel (memory stays bounded whatever the input size).
    pub fn execute(self) -> ScanStream {
        let stats = self.stats();
        let mut root_names: Vec<String> = Vec::new();
        for o in &self.outputs {
            if !root_names.contains(&o.root) {
                root_names.push(o.root.clone());
            }
        }
        let filter_names: Vec<String> = self.predicate.as_ref().map(|p| p.columns().into_iter().collect()).unwrap_or_default();
        let ctx = Arc::new(ReadContext {
            out_roots: sub_schema(&self.schema, &root_names),
            filter_schema: sub_schema(&self.schema, &filter_names),
            unified: self.schema.clone(),
            output: self.output.clone(),
            outputs: self.outputs,
            predicate: self.predicate,
            limit: self.limit,
            batch_size: self.batch_size,
            counters: self.counters.clone(),
        });
        let (tx, rx) = mpsc::channel(4);
        let schema = self.output.clone();
        let (files, concurrency, limit) = (self.files, self.concurrency, self.limit);
        let supervisor_tx = tx.clone();
        let merger = tokio::spawn(async move {
            let handle = tokio::runtime::Handle::current();
            let mut readers = futures::stream::iter(files)
                .map(|(file, meta)| {
                    let (ftx, frx) = mpsc::channel::<Result<RecordBatch>>(2);
                    let (ctx, handle) = (ctx.clone(), handle.clone());
                    let worker = format!("scan reader of {}", file.store.location().display_key(&file.key));
                    let task = tokio::task::spawn_blocking(move || {
                        failpoint::panic_point("scan.read");
                        let r = handle.block_on(read_file(&file, meta, &ctx, &ftx));
                        if let Err(e) = r {
                            let _ = handle.block_on(ftx.send(Err(e)));
                        }
                    });
                    futures::future::ready((frx, task, worker))
                })
                .buffered(concurrency);
            let mut left = limit;
            while let Some((mut frx, task, worker)) = readers.next().await {
                // The reader's channel closes when it finishes, fails or panics: only its task's result tells.
                let mut task = Some(task);
                loop {
                    let item = match (frx.recv().await, task.take()) {
                        (Some(item), t) => {
                            task = t;
                            item
                        }
                        (None, Some(t)) => match t.await {
                            Ok(()) => break,
                            Err(e) => Err(join_error(&worker, e)),
                        },
                        (None, None) => break,
                    };
                    let item = item.map(|b| match left {
                        Some(l) if (b.num_rows() as u64) > l => b.slice(0, l as usize),
                        _ => b,
                    });
                    if let Ok(b) = &item {
                        ctx.counters.rows_out.fetch_add(b.num_rows() as u64, Ordering::Relaxed);
                        left = left.map(|l| l - b.num_rows() as u64);
                    }
                    let failed = item.is_err();
                    if tx.send(item).await.is_err() || failed || left == Some(0) {
                        return;
                    }
                }
            }
        });
        // A panic in the merging task itself drops its sender: report it instead of a clean end of the stream.
        tokio::spawn(async move {
            if let Err(e) = merger.await {
                let _ = supervisor_tx.send(Err(join_error("scan merger", e))).await;
            }
        });
        ScanStream { schema, batches: rx, stats }
    }
}
