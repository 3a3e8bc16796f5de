//! `compact --table`: bin-packing rewrite of an Iceberg table's data files per partition (and partition spec).
//! Small, oversized or delete-laden files are read with every delete that applies to them (position and
//! equality, by sequence number), optionally deduplicated by key and sorted by the table's sort order, written
//! through the table's current spec and schema, and committed as `replace` snapshots by the commit layer, which
//! validates each file group against everything committed since the compaction's starting snapshot.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::datatypes::SchemaRef;
use futures::StreamExt;
use iceberg::arrow::{ArrowReaderBuilder, schema_to_arrow_schema};
use iceberg::scan::{FileScanTask, FileScanTaskDeleteFile};
use iceberg::spec::{DataContentType, DataFile, DataFileFormat, NameMapping, Operation};
use serde::Serialize;

use super::catalog::{Catalog, LoadedTable};
use super::commit::{self, LiveFile, ReplaceGroup, ReplaceRequest, SnapshotFiles, delete_applies};
use super::scan::{SnapshotChoice, TableScanOptions};
use super::write::{FanOut, MetricsMode, TableFile, data_file, read_footer};
use crate::engine::error::{Error, Result};
use crate::engine::failpoint;
use crate::engine::sink::{ParquetSettings, RotationPolicy};
use crate::engine::storage::{self, BlobStore, Location, PutOptions};

/// What to compact and how.
#[derive(Debug, Clone)]
pub struct TableCompactOptions {
    pub branch: String,
    /// `--target-file-size`, else the table's `write.target-file-size-bytes`, else 512 MiB.
    pub target_bytes: Option<u64>,
    /// Files smaller than this are candidates [default: 75% of the target].
    pub min_file_bytes: Option<u64>,
    /// Files larger than this are candidates [default: 180% of the target].
    pub max_file_bytes: Option<u64>,
    /// A partition group is rewritten when it has at least this many candidates.
    pub min_input_files: usize,
    /// Files with at least this many delete files applying to them are candidates (and force a rewrite).
    pub delete_file_threshold: Option<usize>,
    pub rewrite_all: bool,
    /// `--where`: only files that may hold matching rows (whole files are rewritten).
    pub filter: Option<String>,
    pub dedup: Option<DedupOptions>,
    /// Commit each partition group on its own.
    pub partial_progress: bool,
    pub plan: bool,
    pub parquet: ParquetSettings,
    /// Where output files are staged before they are placed under the table's data location.
    pub staging_dir: PathBuf,
}

/// `--deduplicate`: one row per key, the newest by data sequence number, ties by `order_by` (greatest wins).
#[derive(Debug, Clone)]
pub struct DedupOptions {
    /// Key columns; empty: the table's identifier fields.
    pub key: Vec<String>,
    pub order_by: Option<String>,
}

/// A partition group's fate.
#[derive(Debug, Clone, Serialize)]
pub struct PartitionReport {
    pub partition: String,
    pub spec_id: i32,
    pub rewritten_data_files_count: u64,
    pub rewritten_bytes_count: u64,
    pub added_data_files_count: u64,
    pub added_bytes_count: u64,
    pub removed_delete_files_count: u64,
    /// Rows in the rewritten files' manifest entries (before deletes).
    pub input_rows: u64,
    /// Rows written (None in a plan: deletes and duplicates are known only by reading).
    pub rows: Option<u64>,
    pub duplicates_removed: u64,
    /// planned | committed | failed
    pub status: String,
    pub snapshot_id: Option<i64>,
}

/// A group that was not committed.
#[derive(Debug, Clone, Serialize)]
pub struct FailedGroup {
    pub partition: String,
    pub files: u64,
    /// conflict (a commit since the start touched its files) | error (it could not be rewritten)
    pub kind: String,
    pub reason: String,
}

/// The report of `compact --table` (Spark's rewrite_data_files counts, plus ours).
#[derive(Debug, Clone, Serialize)]
pub struct TableCompactReport {
    pub table: String,
    pub branch: String,
    /// plan | nothing_to_do | committed | partial | failed
    pub status: String,
    pub previous_snapshot_id: Option<i64>,
    pub current_snapshot_id: Option<i64>,
    pub target_file_size_bytes: u64,
    pub rewritten_data_files_count: u64,
    pub added_data_files_count: u64,
    pub rewritten_bytes_count: u64,
    pub added_bytes_count: u64,
    pub failed_data_files_count: u64,
    pub removed_delete_files_count: u64,
    pub input_rows: u64,
    /// Rows written (None in a plan).
    pub rows: Option<u64>,
    pub duplicates_removed: u64,
    pub partitions: Vec<PartitionReport>,
    /// Snapshot ids of the `replace` commits made.
    pub commits: Vec<i64>,
    pub failed_groups: Vec<FailedGroup>,
    pub elapsed_ms: u64,
}

/// One partition group to rewrite.
struct Group {
    label: String,
    spec_id: i32,
    files: Vec<LiveFile>,
    /// Per file, the delete files applying to it (indices into the snapshot's deletes).
    deletes: Vec<Vec<usize>>,
    /// Position delete files that reference only files of this group (dropped by its commit).
    removed_deletes: Vec<LiveFile>,
}

impl Group {
    fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.file.file_size_in_bytes()).sum()
    }
    fn rows(&self) -> u64 {
        self.files.iter().map(|f| f.file.record_count()).sum()
    }
}

/// A group rewritten and placed, not yet committed.
struct Rewritten {
    group: usize,
    added: Vec<DataFile>,
    rows: u64,
    duplicates: u64,
}

/// Runs `compact --table` on `table`.
pub async fn compact_table(
    catalog: Arc<dyn Catalog>,
    table: LoadedTable,
    opts: &TableCompactOptions,
    progress: Arc<dyn crate::engine::progress::Progress>,
) -> Result<TableCompactReport> {
    let started = Instant::now();
    let m = table.metadata.clone();
    let props = m.properties();
    let target = opts
        .target_bytes
        .or_else(|| props.get("write.target-file-size-bytes").and_then(|v| v.parse().ok()))
        .unwrap_or(512 << 20)
        .max(1);
    let min_bytes = opts.min_file_bytes.unwrap_or(target * 3 / 4);
    let max_bytes = opts.max_file_bytes.unwrap_or(target * 9 / 5);
    if min_bytes > target || max_bytes < target {
        return Err(Error::Config(format!(
            "--min-file-size ({min_bytes}) must be at most and --max-file-size ({max_bytes}) at least the target file \
             size ({target})"
        )));
    }
    let start = m.snapshot_for_ref(&opts.branch).cloned();
    let mut report = TableCompactReport {
        table: table.name(),
        branch: opts.branch.clone(),
        status: "nothing_to_do".into(),
        previous_snapshot_id: start.as_ref().map(|s| s.snapshot_id()),
        current_snapshot_id: start.as_ref().map(|s| s.snapshot_id()),
        target_file_size_bytes: target,
        rewritten_data_files_count: 0,
        added_data_files_count: 0,
        rewritten_bytes_count: 0,
        added_bytes_count: 0,
        failed_data_files_count: 0,
        removed_delete_files_count: 0,
        input_rows: 0,
        rows: None,
        duplicates_removed: 0,
        partitions: Vec::new(),
        commits: Vec::new(),
        failed_groups: Vec::new(),
        elapsed_ms: 0,
    };
    let Some(start) = start else {
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        return Ok(report);
    };
    let dedup = match &opts.dedup {
        Some(d) => Some(dedup_columns(&table, d)?),
        None => None,
    };
    let files = commit::live_files(&table, &start).await?;
    if files.deletes.iter().any(|d| d.file.file_format() == DataFileFormat::Puffin || d.file.content_offset().is_some()) {
        return Err(Error::Iceberg {
            table: table.name(),
            message: "the table has deletion vectors (format-version 3); prestige cannot apply them yet".into(),
        });
    }
    let selected = match &opts.filter {
        None => None,
        Some(f) => {
            let scan_opts = TableScanOptions {
                snapshot: SnapshotChoice::Id(start.snapshot_id()),
                columns: None,
                filter: Some(f.clone()),
                limit: None,
                batch_size: 1024,
                concurrency: None,
            };
            let plan = super::scan::plan(&table, &scan_opts).await?;
            Some(plan.data_file_paths().into_iter().collect::<HashSet<String>>())
        }
    };
    let rules = Rules {
        min_bytes,
        max_bytes,
        target,
        min_input_files: opts.min_input_files.max(1),
        delete_file_threshold: opts.delete_file_threshold,
        rewrite_all: opts.rewrite_all || dedup.is_some(),
    };
    let mut groups = plan_groups(&table, &files, selected.as_ref(), &rules);
    for g in &mut groups {
        g.removed_deletes = removable_deletes(&table, &files, g).await?;
    }
    for g in &groups {
        let est = (g.bytes().div_ceil(target)).max(1);
        report.partitions.push(PartitionReport {
            partition: g.label.clone(),
            spec_id: g.spec_id,
            rewritten_data_files_count: g.files.len() as u64,
            rewritten_bytes_count: g.bytes(),
            added_data_files_count: est,
            added_bytes_count: 0,
            removed_delete_files_count: g.removed_deletes.len() as u64,
            input_rows: g.rows(),
            rows: None,
            duplicates_removed: 0,
            status: "planned".into(),
            snapshot_id: None,
        });
    }
    if groups.is_empty() {
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        return Ok(report);
    }
    if opts.plan {
        report.status = "plan".into();
        totals(&mut report);
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        return Ok(report);
    }

    let target_loc = DataLocation::of(&table)?;
    let store = storage::open(&target_loc.store, &table.s3).await?;
    let run_tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    let staging = opts.staging_dir.join(format!("compact-{run_tag}"));
    std::fs::create_dir_all(&staging).map_err(|e| Error::io("create directory", &staging, e))?;
    let ctx = RewriteCtx { table: &table, files: &files, target, store: store.clone(), target_loc: &target_loc, staging: &staging, opts, dedup: dedup.as_ref() };
    let mut current = table.clone();
    let mut pending: Vec<Rewritten> = Vec::new();
    progress.start("rewriting", Some(groups.iter().map(Group::bytes).sum()));
    for (i, g) in groups.iter().enumerate() {
        let rewritten = rewrite_group(&ctx, g, i, &run_tag).await;
        progress.advance(g.bytes());
        match rewritten {
            Ok(r) => pending.push(r),
            Err(e) => {
                tracing::warn!("{}: partition {} not compacted: {e}", table.name(), g.label);
                fail(&mut report, i, g, "error", e.to_string());
            }
        }
        if opts.partial_progress && !pending.is_empty() {
            current = commit_groups(&catalog, current, &start, &groups, std::mem::take(&mut pending), &ctx, &mut report).await?;
        }
    }
    if !pending.is_empty() {
        current = commit_groups(&catalog, current, &start, &groups, pending, &ctx, &mut report).await?;
    }
    progress.finish();
    let _ = std::fs::remove_dir_all(&staging);
    report.current_snapshot_id = current.metadata.snapshot_for_ref(&opts.branch).map(|s| s.snapshot_id());
    totals(&mut report);
    report.status = match (report.commits.is_empty(), report.failed_groups.is_empty()) {
        (false, true) => "committed",
        (false, false) => "partial",
        (true, false) => "failed",
        (true, true) => "nothing_to_do",
    }
    .into();
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

fn fail(report: &mut TableCompactReport, i: usize, g: &Group, kind: &str, reason: String) {
    report.partitions[i].status = "failed".into();
    report.partitions[i].added_data_files_count = 0;
    report.failed_groups.push(FailedGroup { partition: g.label.clone(), files: g.files.len() as u64, kind: kind.into(), reason });
}

/// The run's totals from its partitions (committed ones, or planned ones in a plan).
fn totals(r: &mut TableCompactReport) {
    let counted: Vec<&PartitionReport> = r.partitions.iter().filter(|p| p.status != "failed").collect();
    r.rewritten_data_files_count = counted.iter().map(|p| p.rewritten_data_files_count).sum();
    r.rewritten_bytes_count = counted.iter().map(|p| p.rewritten_bytes_count).sum();
    r.added_data_files_count = counted.iter().map(|p| p.added_data_files_count).sum();
    r.added_bytes_count = counted.iter().map(|p| p.added_bytes_count).sum();
    r.removed_delete_files_count = counted.iter().map(|p| p.removed_delete_files_count).sum();
    r.input_rows = counted.iter().map(|p| p.input_rows).sum();
    r.duplicates_removed = counted.iter().map(|p| p.duplicates_removed).sum();
    r.rows = if r.status == "plan" { None } else { Some(counted.iter().filter_map(|p| p.rows).sum()) };
    r.failed_data_files_count = r.partitions.iter().filter(|p| p.status == "failed").map(|p| p.rewritten_data_files_count).sum();
}

/// A data file and the indices of the delete files applying to it.
type FileWithDeletes = (LiveFile, Vec<usize>);

struct Rules {
    min_bytes: u64,
    max_bytes: u64,
    target: u64,
    min_input_files: usize,
    delete_file_threshold: Option<usize>,
    rewrite_all: bool,
}

/// Groups the (selected) live data files by partition spec and partition, and keeps the groups worth
/// rewriting with their candidate files (Spark's bin-pack rules).
fn plan_groups(table: &LoadedTable, files: &SnapshotFiles, selected: Option<&HashSet<String>>, rules: &Rules) -> Vec<Group> {
    let m = &table.metadata;
    let schema = m.current_schema().clone();
    let mut by_partition: BTreeMap<(i32, String), Vec<FileWithDeletes>> = BTreeMap::new();
    for f in &files.data {
        if selected.is_some_and(|s| !s.contains(f.path())) {
            continue;
        }
        let applying: Vec<usize> = files.deletes.iter().enumerate().filter(|(_, d)| delete_applies(m, d, f)).map(|(i, _)| i).collect();
        let label = match m.partition_spec_by_id(f.spec_id) {
            Some(s) if !s.is_unpartitioned() => s.partition_to_path(f.file.partition(), schema.clone()),
            _ => String::new(),
        };
        by_partition.entry((f.spec_id, label)).or_default().push((f.clone(), applying));
    }
    let mut out = Vec::new();
    for ((spec_id, label), entries) in by_partition {
        let too_many_deletes = |d: &Vec<usize>| rules.delete_file_threshold.is_some_and(|t| d.len() >= t);
        let chosen: Vec<FileWithDeletes> = if rules.rewrite_all {
            entries
        } else {
            entries
                .into_iter()
                .filter(|(f, d)| {
                    let size = f.file.file_size_in_bytes();
                    size < rules.min_bytes || size > rules.max_bytes || too_many_deletes(d)
                })
                .collect()
        };
        if chosen.is_empty() {
            continue;
        }
        let bytes: u64 = chosen.iter().map(|(f, _)| f.file.file_size_in_bytes()).sum();
        let enough_files = chosen.len() > 1 && chosen.len() >= rules.min_input_files;
        let enough_content = chosen.len() > 1 && bytes > rules.target;
        let any_deletes = chosen.iter().any(|(_, d)| too_many_deletes(d));
        let any_too_big = chosen.iter().any(|(f, _)| f.file.file_size_in_bytes() > rules.max_bytes);
        if !(rules.rewrite_all || enough_files || enough_content || any_deletes || any_too_big) {
            continue;
        }
        let label = if label.is_empty() { "(unpartitioned)".to_string() } else { label };
        let (files, deletes) = chosen.into_iter().unzip();
        out.push(Group { label, spec_id, files, deletes, removed_deletes: Vec::new() });
    }
    out
}

/// Position delete files applying to the group whose every referenced data file is rewritten by the group (or
/// not live at all): dropped in the group's commit. Equality deletes stay (they may apply to other files).
async fn removable_deletes(table: &LoadedTable, files: &SnapshotFiles, g: &Group) -> Result<Vec<LiveFile>> {
    let rewritten: HashSet<&str> = g.files.iter().map(|f| f.path()).collect();
    let live: HashSet<&str> = files.data.iter().map(|f| f.path()).collect();
    let mut candidates: Vec<usize> = g.deletes.iter().flatten().copied().collect();
    candidates.sort_unstable();
    candidates.dedup();
    let mut out = Vec::new();
    for i in candidates {
        let d = &files.deletes[i];
        if d.file.content_type() != DataContentType::PositionDeletes {
            continue;
        }
        let paths = match d.file.referenced_data_file() {
            Some(p) => vec![p],
            None => position_delete_paths(table, d.path()).await?,
        };
        if paths.iter().all(|p| rewritten.contains(p.as_str()) || !live.contains(p.as_str())) {
            out.push(d.clone());
        }
    }
    Ok(out)
}

/// The distinct data file paths a position delete file references.
async fn position_delete_paths(table: &LoadedTable, path: &str) -> Result<Vec<String>> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let err = |m: String| Error::Iceberg { table: table.name(), message: format!("position delete file {path}: {m}") };
    let data = table
        .file_io
        .new_input(path)
        .map_err(|e| err(e.to_string()))?
        .read()
        .await
        .map_err(|e| err(e.to_string()))?;
    let b = ParquetRecordBatchReaderBuilder::try_new(data).map_err(|e| err(e.to_string()))?;
    let idx = b.schema().index_of("file_path").map_err(|e| err(e.to_string()))?;
    let mask = parquet::arrow::ProjectionMask::roots(b.parquet_schema(), [idx]);
    let reader = b.with_projection(mask).build().map_err(|e| err(e.to_string()))?;
    let mut out: HashSet<String> = HashSet::new();
    for batch in reader {
        let batch = batch.map_err(|e| err(e.to_string()))?;
        let col = arrow::compute::cast(batch.column(0), &arrow::datatypes::DataType::Utf8).map_err(|e| err(e.to_string()))?;
        let s = col.as_any().downcast_ref::<arrow::array::StringArray>().ok_or_else(|| err("file_path is not a string".into()))?;
        for v in s.iter().flatten() {
            if !out.contains(v) {
                out.insert(v.to_string());
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// The key and order columns of `--deduplicate`, checked against the table.
fn dedup_columns(table: &LoadedTable, d: &DedupOptions) -> Result<DedupOptions> {
    let schema = table.metadata.current_schema();
    let key: Vec<String> = if d.key.is_empty() {
        schema
            .identifier_field_ids()
            .filter_map(|id| schema.name_by_field_id(id).map(str::to_string))
            .collect()
    } else {
        d.key.clone()
    };
    if key.is_empty() {
        return Err(Error::Config(format!(
            "--deduplicate: table {} has no identifier fields; name the key with --dedup-key COLS",
            table.name()
        )));
    }
    for c in key.iter().chain(d.order_by.iter()) {
        if schema.as_struct().field_by_name(c).is_none() {
            return Err(Error::Config(format!("--deduplicate: table {} has no top-level column {c}", table.name())));
        }
    }
    Ok(DedupOptions { key, order_by: d.order_by.clone() })
}

struct RewriteCtx<'a> {
    table: &'a LoadedTable,
    files: &'a SnapshotFiles,
    target: u64,
    store: Arc<dyn BlobStore>,
    target_loc: &'a DataLocation,
    staging: &'a Path,
    opts: &'a TableCompactOptions,
    dedup: Option<&'a DedupOptions>,
}

fn name_mapping(table: &LoadedTable) -> Option<Arc<NameMapping>> {
    table
        .metadata
        .properties()
        .get(iceberg::spec::DEFAULT_SCHEMA_NAME_MAPPING)
        .and_then(|raw| serde_json::from_str::<NameMapping>(raw).ok())
        .map(Arc::new)
}

/// The scan task reading one data file with its deletes applied.
fn task(table: &LoadedTable, files: &SnapshotFiles, f: &LiveFile, deletes: &[usize]) -> FileScanTask {
    let schema = table.metadata.current_schema().clone();
    let ids: Vec<i32> = schema.as_struct().fields().iter().map(|f| f.id).collect();
    FileScanTask {
        file_size_in_bytes: f.file.file_size_in_bytes(),
        start: 0,
        length: f.file.file_size_in_bytes(),
        record_count: Some(f.file.record_count()),
        data_file_path: f.path().to_string(),
        data_file_format: f.file.file_format(),
        schema,
        project_field_ids: ids,
        predicate: None,
        deletes: deletes
            .iter()
            .map(|i| {
                let d = &files.deletes[*i];
                FileScanTaskDeleteFile {
                    file_path: d.path().to_string(),
                    file_size_in_bytes: d.file.file_size_in_bytes(),
                    file_type: d.file.content_type(),
                    partition_spec_id: d.spec_id,
                    equality_ids: d.file.equality_ids(),
                }
            })
            .collect(),
        partition: Some(f.file.partition().clone()),
        partition_spec: None,
        name_mapping: name_mapping(table),
        case_sensitive: true,
    }
}

/// Rows in the arrow schema the table is written with (same columns; types cast when the reader's differ).
fn conform(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let internal = |m: String| Error::Internal { worker: "compact".into(), message: m };
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for f in schema.fields() {
        let c = batch.column_by_name(f.name()).ok_or_else(|| internal(format!("column {} missing from a batch", f.name())))?;
        let c = if c.data_type() == f.data_type() {
            c.clone()
        } else {
            arrow::compute::cast(c, f.data_type()).map_err(|e| internal(format!("column {}: {e}", f.name())))?
        };
        cols.push(c);
    }
    let opts = arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(schema.clone(), cols, &opts).map_err(|e| internal(e.to_string()))
}

enum Mode {
    Stream,
    /// Buffer the group: deduplicate and/or sort before writing.
    Buffer { dedup: Option<(Vec<usize>, Option<usize>)>, sort: Vec<(usize, arrow::compute::SortOptions)> },
}

/// Reads a group (deletes applied), writes it through the table's spec into staged files, places them under
/// the table's data location and describes them.
async fn rewrite_group(ctx: &RewriteCtx<'_>, g: &Group, index: usize, run_tag: &str) -> Result<Rewritten> {
    let table = ctx.table;
    let m = &table.metadata;
    let schema = m.current_schema().clone();
    let arrow_schema: SchemaRef = Arc::new(
        schema_to_arrow_schema(&schema).map_err(|e| Error::Iceberg { table: table.name(), message: format!("schema: {e}") })?,
    );
    let col = |name: &str| arrow_schema.index_of(name).map_err(|e| Error::Config(format!("column {name}: {e}")));
    let dedup = match ctx.dedup {
        Some(d) => Some((d.key.iter().map(|k| col(k)).collect::<Result<Vec<_>>>()?, d.order_by.as_deref().map(col).transpose()?)),
        None => None,
    };
    let mut sort = Vec::new();
    let order = m.default_sort_order();
    for sf in &order.fields {
        let usable = sf.transform == iceberg::spec::Transform::Identity;
        match schema.as_struct().fields().iter().find(|f| f.id == sf.source_id) {
            Some(f) if usable => sort.push((
                col(&f.name)?,
                arrow::compute::SortOptions {
                    descending: sf.direction == iceberg::spec::SortDirection::Descending,
                    nulls_first: sf.null_order == iceberg::spec::NullOrder::First,
                },
            )),
            _ => {
                tracing::warn!("{}: sort field {sf} is not an identity transform of a top-level column; not sorted by it", table.name());
            }
        }
    }
    let mode = if dedup.is_none() && sort.is_empty() { Mode::Stream } else { Mode::Buffer { dedup, sort } };

    // The writer: a blocking thread owning the fan-out; batches arrive through a bounded channel.
    let fan = FanOut::new(
        ctx.staging.to_path_buf(),
        &ctx.opts.parquet,
        ctx.target,
        RotationPolicy { max_rows: None, max_bytes: None, max_age: None },
        schema.clone(),
        m.default_partition_spec().clone(),
        16,
        (0, 0),
        &format!("{run_tag}-{index}"),
    )?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<(RecordBatch, i64)>(4);
    let writer = tokio::task::spawn_blocking(move || write_group(rx, fan, mode));

    let sequential = ctx.dedup.is_some();
    let read = async {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let mut units: Vec<Vec<usize>> = if sequential { (0..g.files.len()).map(|i| vec![i]).collect() } else { vec![(0..g.files.len()).collect()] };
        for unit in units.drain(..) {
            let tasks: Vec<FileScanTask> = unit.iter().map(|i| task(table, ctx.files, &g.files[*i], &g.deletes[*i])).collect();
            let seq = if unit.len() == 1 { g.files[unit[0]].sequence_number } else { 0 };
            let reader = ArrowReaderBuilder::new(table.file_io.clone(), iceberg::Runtime::current())
                .with_data_file_concurrency_limit(if sequential { 1 } else { cores.clamp(1, 8) })
                .with_batch_size(8192)
                .build();
            let result = reader
                .read(Box::pin(futures::stream::iter(tasks.into_iter().map(Ok))))
                .map_err(|e| Error::Iceberg { table: table.name(), message: format!("reading partition {}: {e}", g.label) })?;
            let mut stream = result.stream();
            while let Some(b) = stream.next().await {
                let b = b.map_err(|e| Error::Iceberg { table: table.name(), message: format!("reading partition {}: {e}", g.label) })?;
                if b.num_rows() == 0 {
                    continue;
                }
                let b = conform(&b, &arrow_schema)?;
                let tx = tx.clone();
                let sent = tokio::task::spawn_blocking(move || tx.send((b, seq)).is_ok()).await.unwrap_or(false);
                if !sent {
                    return Ok(()); // the writer stopped: its error is reported below
                }
            }
        }
        Ok::<(), Error>(())
    };
    let read_result = read.await;
    drop(tx);
    let written = writer.await.map_err(|e| Error::Internal { worker: "compact writer".into(), message: e.to_string() })?;
    read_result?;
    let (files, rows, duplicates) = written?;

    // Place every file, then describe it.
    let metrics = MetricsMode::for_table(m.properties(), &schema);
    let root = ctx.target_loc.root.clone();
    let spec_id = m.default_partition_spec_id();
    let mut added = Vec::new();
    let mut placed: Vec<String> = Vec::new();
    let result: Result<()> = async {
        for f in &files {
            let footer = read_footer(&f.sealed.temp_path)?;
            place(&*ctx.store, f).await?;
            placed.push(f.relative.clone());
            let path = format!("{root}/{}", f.relative);
            added.push(data_file(&path, f.sealed.bytes, &footer, &schema, f.partition.clone(), spec_id, &metrics)?);
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        for f in &files {
            let _ = std::fs::remove_file(&f.sealed.temp_path);
        }
        let _ = ctx.store.delete(&placed).await;
        return Err(e);
    }
    Ok(Rewritten { group: index, added, rows, duplicates })
}

/// The writer thread: streams batches into the fan-out, or buffers the group to deduplicate and sort it first.
fn write_group(rx: std::sync::mpsc::Receiver<(RecordBatch, i64)>, mut fan: FanOut, mode: Mode) -> Result<(Vec<TableFile>, u64, u64)> {
    let mut points = 0usize;
    let mut rows = 0u64;
    let mut duplicates = 0u64;
    let write = |fan: &mut FanOut, b: &RecordBatch, points: &mut usize, rows: &mut u64| -> Result<()> {
        let zeros = vec![0u64; b.num_rows()];
        *points += fan.write(b, 0, &zeros)?.len();
        *rows += b.num_rows() as u64;
        Ok(())
    };
    let result: Result<()> = (|| {
        match &mode {
            Mode::Stream => {
                for (b, _) in rx.iter() {
                    write(&mut fan, &b, &mut points, &mut rows)?;
                }
            }
            Mode::Buffer { dedup, sort } => {
                let mut batches = Vec::new();
                let mut seqs: Vec<i64> = Vec::new();
                let mut schema = None;
                for (b, s) in rx.iter() {
                    schema.get_or_insert_with(|| b.schema());
                    seqs.extend(std::iter::repeat_n(s, b.num_rows()));
                    batches.push(b);
                }
                let Some(schema) = schema else { return Ok(()) };
                let internal = |e: arrow::error::ArrowError| Error::Internal { worker: "compact".into(), message: e.to_string() };
                let mut all = arrow::compute::concat_batches(&schema, &batches).map_err(internal)?;
                drop(batches);
                if let Some((key, order)) = dedup {
                    let before = all.num_rows();
                    let keep = deduplicate(&all, &seqs, key, *order)?;
                    all = arrow::compute::take_record_batch(&all, &keep).map_err(internal)?;
                    duplicates = (before - all.num_rows()) as u64;
                }
                if !sort.is_empty() {
                    let cols: Vec<arrow::compute::SortColumn> = sort
                        .iter()
                        .map(|(i, o)| arrow::compute::SortColumn { values: all.column(*i).clone(), options: Some(*o) })
                        .collect();
                    let idx = arrow::compute::lexsort_to_indices(&cols, None).map_err(internal)?;
                    all = arrow::compute::take_record_batch(&all, &idx).map_err(internal)?;
                }
                let mut off = 0;
                while off < all.num_rows() {
                    let n = (all.num_rows() - off).min(65_536);
                    write(&mut fan, &all.slice(off, n), &mut points, &mut rows)?;
                    off += n;
                }
            }
        }
        points += usize::from(fan.seal()?.is_some());
        Ok(())
    })();
    if let Err(e) = result {
        fan.discard();
        return Err(e);
    }
    let mut files = Vec::new();
    for _ in 0..points {
        files.extend(fan.take_files());
    }
    Ok((files, rows, duplicates))
}

/// Indices of the rows to keep: per key, the row with the greatest data sequence number, ties by the order
/// column (greatest wins). Rows still tied that are not identical make the key ambiguous: an error.
fn deduplicate(batch: &RecordBatch, seqs: &[i64], key: &[usize], order: Option<usize>) -> Result<arrow::array::UInt32Array> {
    use arrow::row::{RowConverter, SortField};
    let internal = |e: arrow::error::ArrowError| Error::Internal { worker: "compact dedup".into(), message: e.to_string() };
    let rows_of = |cols: Vec<ArrayRef>| -> Result<arrow::row::Rows> {
        let conv = RowConverter::new(cols.iter().map(|c| SortField::new(c.data_type().clone())).collect()).map_err(internal)?;
        conv.convert_columns(&cols).map_err(internal)
    };
    let keys = rows_of(key.iter().map(|i| batch.column(*i).clone()).collect())?;
    let ord = match order {
        Some(i) => Some(rows_of(vec![batch.column(i).clone()])?),
        None => None,
    };
    let full = rows_of(batch.columns().to_vec()).ok();
    let mut best: HashMap<arrow::row::OwnedRow, (usize, bool)> = HashMap::new();
    for i in 0..batch.num_rows() {
        let k = keys.row(i).owned();
        match best.get_mut(&k) {
            None => {
                best.insert(k, (i, false));
            }
            Some((j, ambiguous)) => {
                let mut c = seqs[i].cmp(&seqs[*j]);
                if c.is_eq()
                    && let Some(o) = &ord
                {
                    c = o.row(i).cmp(&o.row(*j));
                }
                match c {
                    std::cmp::Ordering::Greater => {
                        *j = i;
                        *ambiguous = false;
                    }
                    std::cmp::Ordering::Equal => {
                        let same = full.as_ref().is_some_and(|f| f.row(i) == f.row(*j));
                        if !same {
                            *ambiguous = true;
                        }
                    }
                    std::cmp::Ordering::Less => {}
                }
            }
        }
    }
    let ambiguous = best.values().filter(|(_, a)| *a).count();
    if ambiguous > 0 {
        return Err(Error::Config(format!(
            "--deduplicate: {ambiguous} key(s) have different rows with the same data sequence number{}; name a column \
             that decides which is newest with --order-by",
            if order.is_some() { " and the same --order-by value" } else { "" }
        )));
    }
    let mut keep: Vec<u32> = best.into_values().map(|(i, _)| i as u32).collect();
    keep.sort_unstable();
    Ok(arrow::array::UInt32Array::from(keep))
}

/// The table's data location (`write.data.path`, else `{location}/data`) as a path prefix and as a store.
struct DataLocation {
    root: String,
    store: Location,
}

impl DataLocation {
    fn of(table: &LoadedTable) -> Result<Self> {
        let m = &table.metadata;
        let root = m
            .properties()
            .get("write.data.path")
            .cloned()
            .unwrap_or_else(|| format!("{}/data", m.location().trim_end_matches('/')))
            .trim_end_matches('/')
            .to_string();
        let store = match super::io::local_path(&root) {
            Some(p) => Location::Local(p),
            None => Location::parse(&root.replacen("s3a://", "s3://", 1).replacen("s3n://", "s3://", 1))?,
        };
        Ok(Self { root, store })
    }
}

/// Moves (local) or uploads (S3) a staged file to its place under the table's data location.
async fn place(store: &dyn BlobStore, f: &TableFile) -> Result<()> {
    match store.location() {
        Location::Local(root) => {
            let dest = root.join(&f.relative);
            if let Some(d) = dest.parent() {
                std::fs::create_dir_all(d).map_err(|e| Error::io("create directory", d, e))?;
            }
            if std::fs::rename(&f.sealed.temp_path, &dest).is_err() {
                std::fs::copy(&f.sealed.temp_path, &dest).map_err(|e| Error::io("copy", &dest, e))?;
                std::fs::File::open(&dest).and_then(|f| f.sync_all()).map_err(|e| Error::io("fsync", &dest, e))?;
                let _ = std::fs::remove_file(&f.sealed.temp_path);
            }
            crate::engine::storage::local::fsync_dir(dest.parent().unwrap_or(root))?;
            Ok(())
        }
        Location::S3 { .. } => {
            let put = PutOptions { part_size: 16 << 20, metadata: vec![] };
            store.put_file(&f.relative, &f.sealed.temp_path, &put).await?;
            let _ = std::fs::remove_file(&f.sealed.temp_path);
            Ok(())
        }
    }
}

/// Commits rewritten groups as one `replace` snapshot; groups the commit layer finds in conflict are reported
/// failed and their placed files deleted.
async fn commit_groups(
    catalog: &Arc<dyn Catalog>,
    table: LoadedTable,
    start: &iceberg::spec::SnapshotRef,
    groups: &[Group],
    done: Vec<Rewritten>,
    ctx: &RewriteCtx<'_>,
    report: &mut TableCompactReport,
) -> Result<LoadedTable> {
    let m = &table.metadata;
    let commit_id = uuid::Uuid::new_v4().to_string();
    let duplicates: u64 = done.iter().map(|r| r.duplicates).sum();
    let mut summary = BTreeMap::new();
    summary.insert("prestige.operation".to_string(), "compact".to_string());
    if ctx.dedup.is_some() {
        summary.insert("prestige.duplicates-removed".to_string(), duplicates.to_string());
    }
    let req = ReplaceRequest {
        branch: ctx.opts.branch.clone(),
        commit_id,
        operation: Operation::Replace,
        start_snapshot_id: start.snapshot_id(),
        spec_id: m.default_partition_spec_id(),
        schema_id: m.current_schema_id(),
        data_sequence_number: Some(start.sequence_number()),
        summary,
        groups: done
            .iter()
            .map(|r| {
                let g = &groups[r.group];
                ReplaceGroup {
                    label: g.label.clone(),
                    removed_data: g.files.clone(),
                    removed_deletes: g.removed_deletes.clone(),
                    added: r.added.clone(),
                }
            })
            .collect(),
    };
    failpoint::hit("iceberg.compact_after_write");
    crate::engine::failpoint::pause("iceberg.compact_after_write");
    failpoint::hit("iceberg.before_commit");
    let outcome = match commit::replace(&**catalog, table.clone(), &req).await {
        Ok(o) => o,
        Err(e @ Error::CommitConflict { .. }) => {
            // Surely not committed (gave up retrying): every group failed; its files are garbage.
            for r in &done {
                delete_added(ctx, &r.added).await;
                fail(report, r.group, &groups[r.group], "conflict", e.to_string());
            }
            return Ok(table);
        }
        Err(e) => return Err(e),
    };
    failpoint::hit("iceberg.after_commit");
    let failed: HashMap<usize, String> = outcome.failed.into_iter().collect();
    for (k, r) in done.iter().enumerate() {
        if let Some(why) = failed.get(&k) {
            delete_added(ctx, &r.added).await;
            fail(report, r.group, &groups[r.group], "conflict", why.clone());
            continue;
        }
        let p = &mut report.partitions[r.group];
        p.status = "committed".into();
        p.added_data_files_count = r.added.len() as u64;
        p.added_bytes_count = r.added.iter().map(|f| f.file_size_in_bytes()).sum();
        p.rows = Some(r.rows);
        p.duplicates_removed = r.duplicates;
        p.snapshot_id = outcome.commit.as_ref().map(|c| c.snapshot_id);
    }
    match outcome.commit {
        Some(c) => {
            tracing::info!(snapshot = c.snapshot_id, "committed a replace snapshot to {}", c.table.name());
            report.commits.push(c.snapshot_id);
            Ok(c.table)
        }
        None => Ok(outcome.table),
    }
}

/// Deletes the placed files of a group that surely did not commit.
async fn delete_added(ctx: &RewriteCtx<'_>, added: &[DataFile]) {
    let root = format!("{}/", ctx.target_loc.root.clone());
    let keys: Vec<String> = added.iter().filter_map(|f| f.file_path().strip_prefix(&root).map(str::to_string)).collect();
    if keys.is_empty() {
        return;
    }
    if let Ok(failed) = ctx.store.delete(&keys).await
        && let Some((k, e)) = failed.first()
    {
        tracing::warn!("could not delete {k} of an uncommitted compaction: {e}");
    }
}
