//! Reading an Iceberg table as one stream of batches: which snapshot (current, by id, ref or time, or the rows
//! appended between two snapshots), a projection, and `--where` — translated to Iceberg predicates where that
//! is exact enough for pruning (partitions, manifest and file statistics, row groups), then always evaluated by
//! prestige's own expression engine on every batch, so results are the Parquet scan's semantics exactly.
//! iceberg-rust reads the files: columns resolve by field id, position and equality deletes are applied.
//! Tables with v3 deletion vectors are refused rather than read with deleted rows.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arrow::array::{Array, ArrayData, ArrayRef, AsArray, RecordBatch, RecordBatchOptions, make_array};
use arrow::datatypes::{DataType, Field, Fields, Schema as ArrowSchema, SchemaRef};
use futures::StreamExt;
use iceberg::arrow::{ArrowReaderBuilder, ScanMetrics, schema_to_arrow_schema};
use iceberg::expr::{Bind, Predicate, Reference};
use iceberg::scan::FileScanTask;
use iceberg::spec::{
    DataContentType, DataFileFormat, Datum, FormatVersion, ManifestContentType, ManifestStatus, NameMapping,
    Operation, Schema, SchemaRef as IcebergSchemaRef, SnapshotRef,
};
use serde::Serialize;
use tokio::sync::mpsc;

use super::catalog::{LoadedTable, iceberg_error};
use super::commit::{manifests_of, refs_of};
use super::inspect::{rfc3339_ms, snapshot_as_of, snapshot_by_id, snapshot_of_ref};
use crate::engine::error::{Error, Result};
use crate::engine::expr::{self, CmpOp, Expr};

/// Which rows of the table to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotChoice {
    /// The current snapshot (main), read with the table's current schema.
    Current,
    /// A snapshot by id, read with the schema it was written with.
    Id(i64),
    /// A branch (current schema) or a tag (the snapshot's schema).
    Ref(String),
    /// The snapshot current on main at this time (epoch ms), with its schema.
    AsOf(i64),
    /// Rows added by `append` snapshots after `since` up to `until` (default: the current snapshot), with
    /// the current schema (PyIceberg's `incremental_append_scan`).
    Incremental { since: i64, until: Option<i64> },
    /// Rows one `append` snapshot added (its ADDED entries), with the current schema: a snapshot's delivery in
    /// `watch --rows`, whether or not its parent still exists.
    AddedBy(i64),
}

#[derive(Debug, Clone)]
pub struct TableScanOptions {
    pub snapshot: SnapshotChoice,
    /// Output columns (`a`, `s.field`); all top-level columns when None.
    pub columns: Option<Vec<String>>,
    /// A SQL boolean expression (the Parquet scan's `--where`).
    pub filter: Option<String>,
    pub limit: Option<u64>,
    pub batch_size: usize,
    /// Data files read at once [default: two per core].
    pub concurrency: Option<usize>,
}

/// What a table scan planned, read and skipped.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TableScanStats {
    pub snapshot_id: Option<i64>,
    /// Data manifests of the snapshot (of the range's append snapshots for incremental scans).
    pub manifests: usize,
    /// Live data files of the snapshot (files added in the range for incremental scans).
    pub data_files: u64,
    /// Data files ruled out by partition values and column statistics before reading.
    pub data_files_pruned: u64,
    /// Data files read.
    pub data_files_read: u64,
    /// Distinct delete files applied to the files read.
    pub delete_files: u64,
    /// Rows in the data files read (before deletes and filters).
    pub rows_total: u64,
    pub rows_out: u64,
    /// Size of the data files read.
    pub bytes_total: u64,
    /// Bytes fetched (data and delete files).
    pub bytes_read: u64,
    /// `--count` answered from manifest record counts, without reading data.
    pub count_from_metadata: bool,
    /// The part of `--where` used to prune files and row groups, in Iceberg's notation.
    pub pruning_predicate: Option<String>,
    pub elapsed_ms: u64,
}

#[derive(Default)]
struct Counters {
    rows_out: AtomicU64,
    count_from_metadata: std::sync::atomic::AtomicBool,
    metrics: Mutex<Option<ScanMetrics>>,
}

/// An output column: a top-level column or a field inside a struct column.
#[derive(Debug, Clone)]
struct OutputColumn {
    root: String,
    path: Vec<String>,
}

/// Everything decided before reading.
pub struct TableScanPlan {
    pub table: String,
    pub snapshot_id: Option<i64>,
    /// The schema the rows are read with (all top-level columns), as Arrow.
    pub schema: SchemaRef,
    /// The schema of the batches the scan yields.
    pub output: SchemaRef,
    outputs: Vec<OutputColumn>,
    tasks: Vec<FileScanTask>,
    read_schema: IcebergSchemaRef,
    file_io: iceberg::io::FileIO,
    predicate: Option<Expr>,
    /// The Iceberg form of (a part of) the predicate, bound to `read_schema`.
    iceberg_predicate: Option<Predicate>,
    limit: Option<u64>,
    batch_size: usize,
    concurrency: usize,
    counters: Arc<Counters>,
    started: Instant,
    manifests: usize,
    data_files: u64,
}

/// Arrow types without field metadata (field ids), so batches from any file compare equal.
fn plain_type(dt: &DataType) -> DataType {
    let plain_field = |f: &Field| Field::new(f.name(), plain_type(f.data_type()), f.is_nullable());
    match dt {
        DataType::Struct(fs) => DataType::Struct(fs.iter().map(|f| plain_field(f)).collect::<Fields>()),
        DataType::List(f) => DataType::List(Arc::new(plain_field(f))),
        DataType::LargeList(f) => DataType::LargeList(Arc::new(plain_field(f))),
        DataType::Map(f, sorted) => DataType::Map(Arc::new(plain_field(f)), *sorted),
        other => other.clone(),
    }
}

fn plain_schema(schema: &ArrowSchema) -> ArrowSchema {
    ArrowSchema::new(
        schema.fields().iter().map(|f| Field::new(f.name(), plain_type(f.data_type()), f.is_nullable())).collect::<Vec<_>>(),
    )
}

/// `a` relabelled as `dt` (the same layout, different nested field metadata).
fn retype(a: ArrayRef, dt: &DataType) -> Result<ArrayRef> {
    if a.data_type() == dt {
        return Ok(a);
    }
    let data = retype_data(a.to_data(), dt).map_err(|e| Error::Internal {
        worker: "table scan".into(),
        message: format!("cannot relabel {} as {dt}: {e}", a.data_type()),
    })?;
    Ok(make_array(data))
}

fn retype_data(data: ArrayData, dt: &DataType) -> std::result::Result<ArrayData, arrow::error::ArrowError> {
    let children: Vec<ArrayData> = match dt {
        DataType::Struct(fs) => {
            data.child_data().iter().zip(fs.iter()).map(|(c, f)| retype_data(c.clone(), f.data_type())).collect::<std::result::Result<_, _>>()?
        }
        DataType::List(f) | DataType::LargeList(f) | DataType::Map(f, _) => {
            data.child_data().iter().map(|c| retype_data(c.clone(), f.data_type())).collect::<std::result::Result<_, _>>()?
        }
        _ => data.child_data().to_vec(),
    };
    data.into_builder().data_type(dt.clone()).child_data(children).build()
}

fn scan_error(table: &LoadedTable, e: iceberg::Error) -> Error {
    iceberg_error(&table.ident, e)
}

/// The snapshot to read and the schema to read it with.
fn choose(table: &LoadedTable, choice: &SnapshotChoice) -> Result<(Option<SnapshotRef>, IcebergSchemaRef)> {
    let m = &table.metadata;
    let current_schema = m.current_schema().clone();
    let own_schema = |s: &SnapshotRef| s.schema(m).map_err(|e| scan_error(table, e));
    Ok(match choice {
        SnapshotChoice::Current => (m.current_snapshot().cloned(), current_schema),
        SnapshotChoice::Id(id) => {
            let s = snapshot_by_id(table, *id)?.clone();
            let schema = own_schema(&s)?;
            (Some(s), schema)
        }
        SnapshotChoice::Ref(name) => {
            let s = snapshot_of_ref(table, name)?.clone();
            let is_branch = refs_of(m).get(name).is_some_and(|r| r.is_branch());
            let schema = if is_branch { current_schema } else { own_schema(&s)? };
            (Some(s), schema)
        }
        SnapshotChoice::AsOf(ms) => {
            let s = snapshot_as_of(table, *ms)?.clone();
            let schema = own_schema(&s)?;
            (Some(s), schema)
        }
        SnapshotChoice::Incremental { .. } | SnapshotChoice::AddedBy(_) => {
            unreachable!("incremental scans are planned by plan_incremental")
        }
    })
}

/// v3 deletion vectors (Puffin delete files) are not applied by iceberg-rust: such tables are refused.
async fn refuse_deletion_vectors(table: &LoadedTable, snapshot: &SnapshotRef) -> Result<()> {
    if table.metadata.format_version() != FormatVersion::V3 {
        return Ok(());
    }
    for mf in manifests_of(table, snapshot).await?.iter().filter(|mf| mf.content == ManifestContentType::Deletes) {
        let manifest = mf.load_manifest(&table.file_io).await.map_err(|e| Error::Iceberg {
            table: table.name(),
            message: format!("cannot read manifest {}: {e}", mf.manifest_path),
        })?;
        for e in manifest.entries().iter().filter(|e| e.is_alive()) {
            let f = e.data_file();
            if f.file_format() == DataFileFormat::Puffin || f.content_offset().is_some() {
                return Err(Error::Iceberg {
                    table: table.name(),
                    message: format!(
                        "snapshot {} has deletion vectors (format-version 3 delete file {}); prestige cannot apply \
                         them yet and refuses to read rows that may have been deleted",
                        snapshot.snapshot_id(),
                        f.file_path()
                    ),
                });
            }
        }
    }
    Ok(())
}

fn name_mapping(table: &LoadedTable) -> Result<Option<Arc<NameMapping>>> {
    match table.metadata.properties().get(iceberg::spec::DEFAULT_SCHEMA_NAME_MAPPING) {
        None => Ok(None),
        Some(raw) => serde_json::from_str::<NameMapping>(raw).map(|m| Some(Arc::new(m))).map_err(|e| Error::Iceberg {
            table: table.name(),
            message: format!("table property schema.name-mapping.default is not a valid name mapping: {e}"),
        }),
    }
}

/// Plans the scan: the snapshot, the files (pruned with the translated predicate), projection and filter.
pub async fn plan(table: &LoadedTable, opts: &TableScanOptions) -> Result<TableScanPlan> {
    let started = Instant::now();
    let (snapshot, read_schema, tasks, manifests, data_files, pruning) = match &opts.snapshot {
        SnapshotChoice::Incremental { since, until } => {
            let read_schema = table.metadata.current_schema().clone();
            let pruning = bind_filter(table, opts, &read_schema, &[])?;
            let inc = plan_incremental(table, *since, *until, &read_schema, pruning.as_ref()).await?;
            (Some(inc.until), read_schema, inc.tasks, inc.manifests, inc.data_files, pruning)
        }
        SnapshotChoice::AddedBy(id) => {
            let read_schema = table.metadata.current_schema().clone();
            let pruning = bind_filter(table, opts, &read_schema, &[])?;
            let until = snapshot_by_id(table, *id)?.clone();
            let inc = plan_appended(table, until.clone(), &[&until], *id, &read_schema, pruning.as_ref()).await?;
            (Some(inc.until), read_schema, inc.tasks, inc.manifests, inc.data_files, pruning)
        }
        choice => {
            let (snapshot, read_schema) = choose(table, choice)?;
            let Some(snapshot) = snapshot else {
                let pruning = bind_filter(table, opts, &read_schema, &[])?;
                return finish_plan(table, opts, None, read_schema, Vec::new(), 0, 0, pruning, started);
            };
            refuse_deletion_vectors(table, &snapshot).await?;
            let snap_schema = snapshot.schema(&table.metadata).map_err(|e| scan_error(table, e))?;
            let pruning = bind_filter(table, opts, &read_schema, std::slice::from_ref(&snap_schema))?;
            let manifest_files = manifests_of(table, &snapshot).await?;
            let data_manifests: Vec<_> = manifest_files.iter().filter(|m| m.content == ManifestContentType::Data).collect();
            let data_files: u64 = data_manifests
                .iter()
                .map(|m| u64::from(m.added_files_count.unwrap_or(0)) + u64::from(m.existing_files_count.unwrap_or(0)))
                .sum();
            let t = table.table()?;
            let mut b = t.scan().snapshot_id(snapshot.snapshot_id()).select_all();
            if let Some(p) = &pruning {
                b = b.with_filter(p.clone());
            }
            let scan = b.build().map_err(|e| scan_error(table, e))?;
            let mut stream = scan.plan_files().await.map_err(|e| scan_error(table, e))?;
            let mut tasks = Vec::new();
            while let Some(t) = stream.next().await {
                tasks.push(t.map_err(|e| scan_error(table, e))?);
            }
            (Some(snapshot), read_schema, tasks, data_manifests.len(), data_files, pruning)
        }
    };
    let data_files = data_files.max(tasks.len() as u64);
    finish_plan(table, opts, snapshot, read_schema, tasks, manifests, data_files, pruning, started)
}

#[allow(clippy::too_many_arguments)]
fn finish_plan(
    table: &LoadedTable,
    opts: &TableScanOptions,
    snapshot: Option<SnapshotRef>,
    read_schema: IcebergSchemaRef,
    mut tasks: Vec<FileScanTask>,
    manifests: usize,
    data_files: u64,
    pruning: Option<Predicate>,
    started: Instant,
) -> Result<TableScanPlan> {
    let arrow = Arc::new(plain_schema(&schema_to_arrow_schema(&read_schema).map_err(|e| scan_error(table, e))?));
    let predicate = match &opts.filter {
        Some(text) => Some(expr::bind(text, &arrow).map_err(|e| Error::Config(format!("--where {text:?}: {e}")))?),
        None => None,
    };
    let wanted: Vec<String> = match &opts.columns {
        Some(c) => c.clone(),
        None => arrow.fields().iter().map(|f| f.name().clone()).collect(),
    };
    let mut outputs = Vec::new();
    let mut out_fields = Vec::new();
    for name in &wanted {
        let parts: Vec<String> = name.split('.').map(str::to_string).collect();
        let Expr::Column { name: root, path, data_type } =
            expr::column(&parts, &arrow).map_err(|e| Error::Config(format!("--columns: {e}")))?
        else {
            return Err(Error::Config(format!("--columns: {name} is not a column")));
        };
        out_fields.push(Field::new(name, data_type, true));
        outputs.push(OutputColumn { root, path });
    }
    let mapping = name_mapping(table)?;
    let iceberg_predicate = pruning;
    let bound = match &iceberg_predicate {
        Some(p) => Some(p.clone().bind(read_schema.clone(), true).map_err(|e| scan_error(table, e))?),
        None => None,
    };
    // Every task reads with the chosen schema (iceberg-rust plans with the snapshot's), the filter bound to it.
    for t in &mut tasks {
        t.schema = read_schema.clone();
        t.predicate = bound.clone();
        t.case_sensitive = true;
        if t.name_mapping.is_none() {
            t.name_mapping = mapping.clone();
        }
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Ok(TableScanPlan {
        table: table.name(),
        snapshot_id: snapshot.map(|s| s.snapshot_id()),
        schema: arrow,
        output: Arc::new(ArrowSchema::new(out_fields)),
        outputs,
        tasks,
        read_schema,
        file_io: table.file_io.clone(),
        predicate,
        iceberg_predicate,
        limit: opts.limit,
        batch_size: opts.batch_size.max(1),
        concurrency: opts.concurrency.unwrap_or(cores * 2).max(1),
        counters: Arc::new(Counters::default()),
        started,
        manifests,
        data_files,
    })
}

/// Binds `--where` to the read schema (errors name the expression) and translates what can be translated to
/// an Iceberg predicate that binds to the read schema and every schema in `also` with the same field ids.
fn bind_filter(
    table: &LoadedTable,
    opts: &TableScanOptions,
    read_schema: &IcebergSchemaRef,
    also: &[IcebergSchemaRef],
) -> Result<Option<Predicate>> {
    let Some(text) = &opts.filter else { return Ok(None) };
    let arrow = plain_schema(&schema_to_arrow_schema(read_schema).map_err(|e| scan_error(table, e))?);
    let e = expr::bind(text, &arrow).map_err(|e| Error::Config(format!("--where {text:?}: {e}")))?;
    let mut out: Option<Predicate> = None;
    for term in expr::conjuncts(&e) {
        let Some(p) = translate(term, false) else { continue };
        if !binds_alike(&p, read_schema, also) {
            tracing::debug!("--where term {p} not used for pruning (does not bind alike to every schema)");
            continue;
        }
        out = Some(match out {
            None => p,
            Some(prev) => prev.and(p),
        });
    }
    tracing::debug!("pruning predicate: {}", out.as_ref().map(|p| p.to_string()).unwrap_or_else(|| "none".into()));
    Ok(out)
}

/// Whether `p` binds to `schema` and to each of `also` with its columns resolving to the same field ids.
fn binds_alike(p: &Predicate, schema: &Schema, also: &[IcebergSchemaRef]) -> bool {
    let mut names = Vec::new();
    collect_refs(p, &mut names);
    let ids = |s: &Schema| -> Option<Vec<i32>> { names.iter().map(|n| s.field_id_by_name(n)).collect() };
    let Some(mine) = ids(schema) else { return false };
    if p.clone().bind(Arc::new(schema.clone()), true).is_err() {
        return false;
    }
    also.iter().all(|o| ids(o).as_ref() == Some(&mine) && p.clone().bind(o.clone(), true).is_ok())
}

fn collect_refs(p: &Predicate, out: &mut Vec<String>) {
    match p {
        Predicate::And(l) => l.inputs().iter().for_each(|x| collect_refs(x, out)),
        Predicate::Or(l) => l.inputs().iter().for_each(|x| collect_refs(x, out)),
        Predicate::Not(l) => l.inputs().iter().for_each(|x| collect_refs(x, out)),
        Predicate::Unary(u) => out.push(u.term().name().to_string()),
        Predicate::Binary(b) => out.push(b.term().name().to_string()),
        Predicate::Set(s) => out.push(s.term().name().to_string()),
        Predicate::AlwaysTrue | Predicate::AlwaysFalse => {}
    }
}

/// The column a comparison side names, when it is a plain top-level column reference (iceberg-rust's row
/// filter cannot evaluate nested fields).
fn column_ref(e: &Expr) -> Option<(String, &DataType)> {
    match e {
        Expr::Column { name, path, data_type } if path.is_empty() => Some((name.clone(), data_type)),
        _ => None,
    }
}

/// A one-element literal as an Iceberg datum of the column's type, for the types whose Iceberg comparison is
/// the same as prestige's (integers, strings, booleans, dates, microsecond timestamps). Floats (NaN, -0.0) and
/// decimals are not translated.
fn datum(a: &ArrayRef, column_type: &DataType) -> Option<Datum> {
    use arrow::datatypes::*;
    if a.data_type() != column_type || a.len() != 1 || a.is_null(0) {
        return None;
    }
    Some(match column_type {
        DataType::Int8 => Datum::int(a.as_primitive::<Int8Type>().value(0)),
        DataType::Int16 => Datum::int(a.as_primitive::<Int16Type>().value(0)),
        DataType::Int32 => Datum::int(a.as_primitive::<Int32Type>().value(0)),
        DataType::Int64 => Datum::long(a.as_primitive::<Int64Type>().value(0)),
        DataType::Boolean => Datum::bool(a.as_boolean().value(0)),
        DataType::Utf8 => Datum::string(a.as_string::<i32>().value(0)),
        DataType::Date32 => Datum::date(a.as_primitive::<Date32Type>().value(0)),
        DataType::Timestamp(TimeUnit::Microsecond, None) => {
            Datum::timestamp_micros(a.as_primitive::<TimestampMicrosecondType>().value(0))
        }
        DataType::Timestamp(TimeUnit::Microsecond, Some(_)) => {
            Datum::timestamptz_micros(a.as_primitive::<TimestampMicrosecondType>().value(0))
        }
        _ => return None,
    })
}

/// An Iceberg predicate that every row satisfying `e` (or `NOT e` when `negated`) also satisfies — weaker is
/// fine (prestige's filter runs afterwards), stronger never. None when nothing useful can be said.
fn translate(e: &Expr, negated: bool) -> Option<Predicate> {
    match e {
        Expr::And(a, b) if !negated => match (translate(a, false), translate(b, false)) {
            (Some(x), Some(y)) => Some(x.and(y)),
            (x, y) => x.or(y),
        },
        // NOT (a AND b) = NOT a OR NOT b: both sides are needed.
        Expr::And(a, b) => Some(translate(a, true)?.or(translate(b, true)?)),
        Expr::Or(a, b) if !negated => Some(translate(a, false)?.or(translate(b, false)?)),
        // NOT (a OR b) = NOT a AND NOT b: either side alone is weaker.
        Expr::Or(a, b) => match (translate(a, true), translate(b, true)) {
            (Some(x), Some(y)) => Some(x.and(y)),
            (x, y) => x.or(y),
        },
        Expr::Not(x) => translate(x, !negated),
        Expr::IsNull(x, not_null) => {
            let (name, _) = column_ref(x)?;
            // NOT (x IS NULL) = x IS NOT NULL.
            Some(if *not_null != negated { Reference::new(name).is_not_null() } else { Reference::new(name).is_null() })
        }
        Expr::Cmp(op, a, b) => {
            let (op, col, lit) = match (column_ref(a), column_ref(b), a.as_ref(), b.as_ref()) {
                (Some(c), None, _, Expr::Lit(l)) => (*op, c, l),
                (None, Some(c), Expr::Lit(l), _) => (flip(*op), c, l),
                _ => return None,
            };
            // For non-null operands NOT (x op v) is x op' v; null rows fail both.
            let op = if negated { negate(op) } else { op };
            let (name, t) = col;
            let d = datum(lit, t)?;
            if *t == DataType::Boolean && !matches!(op, CmpOp::Eq | CmpOp::NotEq) {
                return None;
            }
            let r = Reference::new(name);
            Some(match op {
                CmpOp::Eq => r.equal_to(d),
                CmpOp::NotEq => r.not_equal_to(d),
                CmpOp::Lt => r.less_than(d),
                CmpOp::LtEq => r.less_than_or_equal_to(d),
                CmpOp::Gt => r.greater_than(d),
                CmpOp::GtEq => r.greater_than_or_equal_to(d),
            })
        }
        Expr::Like { expr, pattern, negated: false, case_insensitive: false } if !negated => {
            let (name, t) = column_ref(expr)?;
            let prefix = pattern.strip_suffix('%')?;
            if *t != DataType::Utf8 || prefix.is_empty() || prefix.contains(['%', '_', '\\']) {
                return None;
            }
            Some(Reference::new(name).starts_with(Datum::string(prefix)))
        }
        _ => None,
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::LtEq => CmpOp::GtEq,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::GtEq => CmpOp::LtEq,
        o => o,
    }
}

fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::NotEq,
        CmpOp::NotEq => CmpOp::Eq,
        CmpOp::Lt => CmpOp::GtEq,
        CmpOp::LtEq => CmpOp::Gt,
        CmpOp::Gt => CmpOp::LtEq,
        CmpOp::GtEq => CmpOp::Lt,
    }
}

struct Incremental {
    until: SnapshotRef,
    tasks: Vec<FileScanTask>,
    manifests: usize,
    data_files: u64,
}

/// The snapshots after `since` up to and including `until`, newest first; `since` must be an ancestor of
/// `until` (or the parent of one of its ancestors, when it has been expired).
fn range<'a>(table: &'a LoadedTable, since: i64, until: &'a SnapshotRef) -> Result<Vec<&'a SnapshotRef>> {
    let m = &table.metadata;
    let mut out = Vec::new();
    let mut cur = Some(until);
    while let Some(s) = cur {
        if s.snapshot_id() == since {
            return Ok(out);
        }
        out.push(s);
        match s.parent_snapshot_id() {
            Some(p) if p == since => return Ok(out),
            Some(p) => cur = m.snapshot_by_id(p),
            None => cur = None,
        }
    }
    // Not on the lineage: a snapshot that does not exist is missing; one that does is not an ancestor.
    snapshot_by_id(table, since)?;
    Err(Error::Config(format!(
        "--since-snapshot {since} is not an ancestor of snapshot {} in table {}: an incremental scan reads one \
         lineage (see `prestige snapshot list {}`)",
        until.snapshot_id(),
        table.name(),
        table.name()
    )))
}

/// Plans the files `append` snapshots in (since, until] added, from their manifests' ADDED entries.
async fn plan_incremental(
    table: &LoadedTable,
    since: i64,
    until: Option<i64>,
    read_schema: &IcebergSchemaRef,
    pruning: Option<&Predicate>,
) -> Result<Incremental> {
    let m = &table.metadata;
    let until = match until {
        Some(id) => snapshot_by_id(table, id)?.clone(),
        None => m.current_snapshot().cloned().ok_or_else(|| {
            Error::Config(format!("--since-snapshot: table {} has no snapshots yet", table.name()))
        })?,
    };
    let snapshots = range(table, since, &until)?;
    plan_appended(table, until.clone(), &snapshots, since, read_schema, pruning).await
}

/// Plans the files the `append` snapshots among `snapshots` added (a replace delivers nothing; any other
/// operation is refused); `since` names the range's start in messages.
async fn plan_appended(
    table: &LoadedTable,
    until: SnapshotRef,
    snapshots: &[&SnapshotRef],
    since: i64,
    read_schema: &IcebergSchemaRef,
    pruning: Option<&Predicate>,
) -> Result<Incremental> {
    let m = &table.metadata;
    let mut appends = HashSet::new();
    for s in snapshots {
        match s.summary().operation {
            Operation::Append => {
                appends.insert(s.snapshot_id());
            }
            Operation::Replace => {}
            ref op => {
                return Err(Error::Config(format!(
                    "snapshot {} ({} at {}) between {since} and {} changed or deleted rows: incremental scans read \
                     appended rows only; read single snapshots with --snapshot-id",
                    s.snapshot_id(),
                    op.as_str(),
                    rfc3339_ms(s.timestamp_ms()),
                    until.snapshot_id(),
                )));
            }
        }
    }
    let mapping = name_mapping(table)?;
    let field_ids: Vec<i32> = read_schema.as_struct().fields().iter().map(|f| f.id).collect();
    let bound = match pruning {
        Some(p) => Some(p.clone().bind(read_schema.clone(), true).map_err(|e| scan_error(table, e))?),
        None => None,
    };
    let mut seen = HashSet::new();
    let mut manifests = Vec::new();
    for s in snapshots.iter().filter(|s| appends.contains(&s.snapshot_id())) {
        for mf in manifests_of(table, s).await? {
            if !appends.contains(&mf.added_snapshot_id) || !seen.insert(mf.manifest_path.clone()) {
                continue;
            }
            if mf.content == ManifestContentType::Deletes {
                return Err(Error::Config(format!(
                    "snapshot {} added delete files (manifest {}): an incremental scan of appends cannot apply them",
                    mf.added_snapshot_id, mf.manifest_path
                )));
            }
            manifests.push(mf);
        }
    }
    let mut tasks = Vec::new();
    for mf in &manifests {
        if m.partition_spec_by_id(mf.partition_spec_id).is_none() {
            return Err(Error::Iceberg {
                table: table.name(),
                message: format!("manifest {} uses unknown partition spec {}", mf.manifest_path, mf.partition_spec_id),
            });
        }
        let manifest = mf.load_manifest(&table.file_io).await.map_err(|e| Error::Iceberg {
            table: table.name(),
            message: format!("cannot read manifest {}: {e}", mf.manifest_path),
        })?;
        for e in manifest.entries() {
            if e.status() != ManifestStatus::Added || !e.snapshot_id().is_some_and(|id| appends.contains(&id)) {
                continue;
            }
            let f = e.data_file();
            if f.content_type() != DataContentType::Data {
                continue;
            }
            tasks.push(FileScanTask {
                file_size_in_bytes: f.file_size_in_bytes(),
                start: 0,
                length: f.file_size_in_bytes(),
                record_count: Some(f.record_count()),
                data_file_path: f.file_path().to_string(),
                data_file_format: f.file_format(),
                schema: read_schema.clone(),
                project_field_ids: field_ids.clone(),
                predicate: bound.clone(),
                deletes: Vec::new(),
                partition: Some(f.partition().clone()),
                // As iceberg-rust's own planner: identity-partitioned columns are read from the file.
                partition_spec: None,
                name_mapping: mapping.clone(),
                case_sensitive: true,
            });
        }
    }
    let data_files = tasks.len() as u64;
    Ok(Incremental { until, tasks, manifests: manifests.len(), data_files })
}

/// Reads the counters of a running or finished scan.
#[derive(Clone)]
pub struct StatsHandle {
    counters: Arc<Counters>,
    base: TableScanStats,
    started: Instant,
}

impl StatsHandle {
    pub fn snapshot(&self) -> TableScanStats {
        let bytes_read = self.counters.metrics.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map_or(0, |m| m.bytes_read());
        TableScanStats {
            rows_out: self.counters.rows_out.load(Ordering::Relaxed),
            bytes_read,
            count_from_metadata: self.counters.count_from_metadata.load(Ordering::Relaxed),
            elapsed_ms: self.started.elapsed().as_millis() as u64,
            ..self.base.clone()
        }
    }
}

/// A running scan: batches (in no particular file order), then the statistics.
pub struct TableScanStream {
    pub schema: SchemaRef,
    pub batches: mpsc::Receiver<Result<RecordBatch>>,
    stats: StatsHandle,
}

impl TableScanStream {
    pub fn stats(&self) -> StatsHandle {
        self.stats.clone()
    }
}

impl TableScanPlan {
    /// Paths of the data files the plan reads (those pruning could not rule out).
    pub fn data_file_paths(&self) -> Vec<String> {
        self.tasks.iter().map(|t| t.data_file_path.clone()).collect()
    }

    pub fn stats(&self) -> StatsHandle {
        let deletes: HashSet<&str> = self.tasks.iter().flat_map(|t| t.deletes.iter().map(|d| d.file_path.as_str())).collect();
        StatsHandle {
            counters: self.counters.clone(),
            started: self.started,
            base: TableScanStats {
                snapshot_id: self.snapshot_id,
                manifests: self.manifests,
                data_files: self.data_files,
                data_files_pruned: self.data_files.saturating_sub(self.tasks.len() as u64),
                data_files_read: self.tasks.len() as u64,
                delete_files: deletes.len() as u64,
                rows_total: self.tasks.iter().map(|t| t.record_count.unwrap_or(0)).sum(),
                bytes_total: self.tasks.iter().map(|t| t.file_size_in_bytes).sum(),
                pruning_predicate: self.iceberg_predicate.as_ref().map(|p| p.to_string()),
                ..Default::default()
            },
        }
    }

    /// The number of matching rows: from the manifests' record counts when there is no filter and no delete
    /// file applies; otherwise by reading.
    pub async fn count(mut self) -> Result<u64> {
        let from_metadata = self.predicate.is_none()
            && self.tasks.iter().all(|t| t.deletes.is_empty() && t.record_count.is_some());
        if from_metadata {
            let total: u64 = self.tasks.iter().map(|t| t.record_count.unwrap_or(0)).sum();
            let n = self.limit.map_or(total, |l| l.min(total));
            self.counters.rows_out.store(n, Ordering::Relaxed);
            self.counters.count_from_metadata.store(true, Ordering::Relaxed);
            return Ok(n);
        }
        self.outputs.clear();
        self.output = Arc::new(ArrowSchema::empty());
        let mut s = self.execute();
        let mut n = 0;
        while let Some(b) = s.batches.recv().await {
            n += b?.num_rows() as u64;
        }
        Ok(n)
    }

    /// Starts reading: iceberg-rust reads several files at once (deletes applied, columns by field id); each
    /// batch is filtered with prestige's expression, projected and cut to the limit.
    pub fn execute(self) -> TableScanStream {
        let stats = self.stats();
        let (tx, rx) = mpsc::channel(4);
        let schema = self.output.clone();
        // Columns to read: the outputs' roots and the filter's columns (at least one, for row counts).
        let mut roots: Vec<String> = Vec::new();
        for o in &self.outputs {
            if !roots.contains(&o.root) {
                roots.push(o.root.clone());
            }
        }
        if let Some(p) = &self.predicate {
            for c in p.columns() {
                if !roots.contains(&c) {
                    roots.push(c);
                }
            }
        }
        if roots.is_empty()
            && let Some(f) = self.read_schema.as_struct().fields().iter().find(|f| f.field_type.is_primitive())
                .or_else(|| self.read_schema.as_struct().fields().first())
        {
            roots.push(f.name.clone());
        }
        let ids: Vec<i32> = roots.iter().filter_map(|r| self.read_schema.as_struct().field_by_name(r).map(|f| f.id)).collect();
        let mut tasks = self.tasks;
        for t in &mut tasks {
            t.project_field_ids = ids.clone();
        }
        let reader = ArrowReaderBuilder::new(self.file_io.clone(), iceberg::Runtime::current())
            .with_data_file_concurrency_limit(self.concurrency)
            .with_batch_size(self.batch_size)
            .with_row_group_filtering_enabled(true)
            .with_row_selection_enabled(self.predicate.is_some())
            .build();
        let counters = self.counters.clone();
        let (predicate, outputs, output, limit, table) = (self.predicate, self.outputs, self.output, self.limit, self.table);
        tokio::spawn(async move {
            let result = reader.read(Box::pin(futures::stream::iter(tasks.into_iter().map(Ok))));
            let mut stream = match result {
                Ok(r) => {
                    *counters.metrics.lock().unwrap_or_else(|e| e.into_inner()) = Some(r.metrics().clone());
                    r.stream()
                }
                Err(e) => {
                    let _ = tx.send(Err(Error::Iceberg { table, message: e.to_string() })).await;
                    return;
                }
            };
            let mut left = limit;
            while let Some(batch) = stream.next().await {
                let item = batch
                    .map_err(|e| Error::Iceberg { table: table.clone(), message: read_error(&e) })
                    .and_then(|b| filter_and_project(&b, predicate.as_ref(), &outputs, &output));
                let item = item.map(|b| match left {
                    Some(l) if (b.num_rows() as u64) > l => b.slice(0, l as usize),
                    _ => b,
                });
                if let Ok(b) = &item {
                    if b.num_rows() == 0 {
                        continue;
                    }
                    counters.rows_out.fetch_add(b.num_rows() as u64, Ordering::Relaxed);
                    left = left.map(|l| l - b.num_rows() as u64);
                }
                let failed = item.is_err();
                if tx.send(item).await.is_err() || failed || left == Some(0) {
                    return;
                }
            }
        });
        TableScanStream { schema, batches: rx, stats }
    }
}

/// An iceberg-rust read error with its sources (it wraps the cause of a failed file).
fn read_error(e: &iceberg::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let t = s.to_string();
        if !msg.contains(&t) {
            msg.push_str(": ");
            msg.push_str(&t);
        }
        src = s.source();
    }
    msg
}

/// Keeps the rows the predicate holds for, then the output columns.
fn filter_and_project(batch: &RecordBatch, predicate: Option<&Expr>, outputs: &[OutputColumn], output: &SchemaRef) -> Result<RecordBatch> {
    let internal = |e: arrow::error::ArrowError| Error::Internal { worker: "table scan filter".into(), message: e.to_string() };
    let batch = match predicate {
        Some(p) => {
            let keep = p.evaluate(batch).map_err(internal)?;
            arrow::compute::filter_record_batch(batch, &keep).map_err(internal)?
        }
        None => batch.clone(),
    };
    let mut cols = Vec::with_capacity(outputs.len());
    for (o, f) in outputs.iter().zip(output.fields()) {
        let c = batch
            .column_by_name(&o.root)
            .cloned()
            .ok_or_else(|| Error::Internal { worker: "table scan".into(), message: format!("column {} missing from a batch", o.root) })?;
        let c = expr::extract_path(c, &o.path).map_err(internal)?;
        cols.push(retype(c, f.data_type())?);
    }
    let opts = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(output.clone(), cols, &opts).map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::TimeUnit;

    fn schema() -> ArrowSchema {
        ArrowSchema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
            Field::new("x", DataType::Float64, true),
            Field::new("ts", DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())), true),
        ])
    }

    fn tr(text: &str) -> Option<String> {
        let e = expr::bind(text, &schema()).unwrap();
        let parts: Vec<String> = expr::conjuncts(&e).iter().filter_map(|t| translate(t, false)).map(|p| p.to_string()).collect();
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }

    /// A format-version 3 table whose snapshot has a deletion vector (a Puffin position-delete entry).
    async fn table_with_deletion_vector(dir: &std::path::Path) -> LoadedTable {
        use iceberg::spec::{
            DataFileBuilder, ManifestListWriter, ManifestWriterBuilder, NestedField, PrimitiveType, SnapshotReference,
            SnapshotRetention, SortOrder, Summary, TableMetadataBuilder, Type, UnboundPartitionSpec,
        };
        let location = format!("file://{}", dir.display());
        let schema = Schema::builder()
            .with_fields(vec![Arc::new(NestedField::required(1, "id", Type::Primitive(PrimitiveType::Long)))])
            .build()
            .unwrap();
        let metadata = TableMetadataBuilder::new(
            schema,
            UnboundPartitionSpec::builder().build(),
            SortOrder::unsorted_order(),
            location.clone(),
            FormatVersion::V3,
            Default::default(),
        )
        .unwrap()
        .build()
        .unwrap()
        .metadata;
        let io = crate::engine::iceberg::io::file_io(&Default::default());
        let snapshot_id = 7;
        let out = io.new_output(format!("{location}/metadata/deletes-m0.avro")).unwrap();
        let mut w = ManifestWriterBuilder::new(
            out,
            Some(snapshot_id),
            metadata.current_schema().clone(),
            (**metadata.default_partition_spec()).clone(),
        )
        .build_v3_deletes();
        let dv = DataFileBuilder::default()
            .content(DataContentType::PositionDeletes)
            .file_path(format!("{location}/data/dv.puffin"))
            .file_format(DataFileFormat::Puffin)
            .record_count(1)
            .file_size_in_bytes(100)
            .referenced_data_file(Some(format!("{location}/data/d.parquet")))
            .content_offset(Some(4))
            .content_size_in_bytes(Some(40))
            .build()
            .unwrap();
        w.add_file(dv, 1).unwrap();
        let manifest = w.write_manifest_file().await.unwrap();
        let list = format!("{location}/metadata/snap-7.avro");
        let writer = io.new_output(&list).unwrap().writer().await.unwrap();
        let mut lw = ManifestListWriter::v3(writer, snapshot_id, None, 1, None);
        lw.add_manifests(vec![manifest].into_iter()).unwrap();
        lw.close().await.unwrap();
        let snapshot = iceberg::spec::Snapshot::builder()
            .with_snapshot_id(snapshot_id)
            .with_sequence_number(1)
            .with_timestamp_ms(metadata.last_updated_ms() + 1)
            .with_manifest_list(list)
            .with_summary(Summary { operation: Operation::Delete, additional_properties: Default::default() })
            .with_schema_id(0)
            .with_row_range(0, 0)
            .build();
        let metadata = metadata
            .into_builder(None)
            .add_snapshot(snapshot)
            .unwrap()
            .set_ref("main", SnapshotReference::new(snapshot_id, SnapshotRetention::branch(None, None, None)))
            .unwrap()
            .build()
            .unwrap()
            .metadata;
        LoadedTable {
            ident: iceberg::TableIdent::from_strs(["ns", "dv"]).unwrap(),
            metadata_location: None,
            metadata: Arc::new(metadata),
            file_io: io,
            s3: Default::default(),
        }
    }

    #[tokio::test]
    async fn deletion_vectors_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let table = table_with_deletion_vector(dir.path()).await;
        let opts = TableScanOptions {
            snapshot: SnapshotChoice::Current,
            columns: None,
            filter: None,
            limit: None,
            batch_size: 1024,
            concurrency: None,
        };
        for choice in [SnapshotChoice::Current, SnapshotChoice::Id(7), SnapshotChoice::Ref("main".into())] {
            match plan(&table, &TableScanOptions { snapshot: choice, ..opts.clone() }).await {
                Err(Error::Iceberg { table, message }) => {
                    assert_eq!(table, "ns.dv");
                    assert!(message.contains("deletion vectors") && message.contains("dv.puffin"), "{message}");
                }
                Err(other) => panic!("{other}"),
                Ok(_) => panic!("a table with deletion vectors was planned"),
            }
        }
    }

    #[test]
    fn translation_is_never_stronger() {
        assert!(tr("id = 5").unwrap().contains("id = 5"));
        assert!(tr("5 < id").unwrap().contains("id > 5"));
        assert!(tr("NOT (id < 5)").unwrap().contains("id >= 5"));
        // Float comparisons are left to prestige.
        assert_eq!(tr("x > 1.5"), None);
        // An OR with an untranslatable side says nothing.
        assert_eq!(tr("id = 1 OR x > 2"), None);
        // An AND keeps the translatable side.
        assert!(tr("id = 1 AND x > 2").unwrap().contains("id = 1"));
        // NOT (a AND b) needs both.
        assert_eq!(tr("NOT (id = 1 AND x > 2)"), None);
        assert!(tr("name LIKE 'ab%'").unwrap().contains("STARTS WITH"));
        assert_eq!(tr("name LIKE 'a_b%'"), None);
        assert_eq!(tr("name ILIKE 'ab%'"), None);
        assert!(tr("id IS NOT NULL").unwrap().contains("NOT NULL"));
        assert!(tr("ts >= '2026-01-01T00:00:00Z'").is_some());
        // i > 2.5 is i >= 3.
        assert!(tr("id > 2.5").unwrap().contains("id >= 3"));
    }
}
