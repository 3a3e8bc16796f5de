//! Writing rows into an Iceberg table's data files: the Arrow schema rows are decoded into (the table's
//! schema, carrying Iceberg field ids into Parquet), the partition fan-out (one open rolling writer per
//! partition value, at most `max_open` at once), and each finished file's `DataFile` with the metrics other
//! engines prune with — computed from the Parquet footer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema as ArrowSchema, SchemaRef};
use iceberg::arrow::{PartitionValueCalculator, arrow_struct_to_literal};
use iceberg::spec::{Literal, PartitionKey, StructType};
use iceberg::spec::{
    DataContentType, DataFile, DataFileBuilder, DataFileFormat, Datum, PartitionSpecRef, PrimitiveType, Schema,
    SchemaRef as IcebergSchemaRef, Struct, Type,
};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::statistics::Statistics;

use crate::engine::error::{Error, Result};
use crate::engine::sink::{Namer, ParquetSettings, Position, RollingWriter, RotationPolicy, SealedFile};

/// The Arrow schema NDJSON rows of a table are decoded into: the table's current schema with its field ids
/// (`PARQUET:field_id`), in the types prestige's decoder reads. Column types ingest cannot fill yet are refused
/// by name.
pub fn decode_schema(table: &str, schema: &Schema) -> Result<SchemaRef> {
    let arrow = iceberg::arrow::schema_to_arrow_schema(schema)
        .map_err(|e| Error::Iceberg { table: table.to_string(), message: format!("schema not representable: {e}") })?;
    let fields: Vec<Field> = arrow.fields().iter().map(|f| adapt(table, f, "")).collect::<Result<_>>()?;
    Ok(Arc::new(ArrowSchema::new(fields)))
}

fn adapt(table: &str, f: &Field, parent: &str) -> Result<Field> {
    let path = if parent.is_empty() { f.name().clone() } else { format!("{parent}.{}", f.name()) };
    let unsupported = |what: &str| Error::Iceberg {
        table: table.to_string(),
        message: format!(
            "column {path} has type {what}, which `prestige ingest` cannot fill yet (uuid, fixed, time, map and \
             nanosecond timestamps); the table can still be scanned"
        ),
    };
    let dt = match f.data_type() {
        DataType::LargeBinary => DataType::Binary,
        DataType::LargeUtf8 => DataType::Utf8,
        DataType::FixedSizeBinary(_) => return Err(unsupported("uuid/fixed")),
        DataType::Time64(_) | DataType::Time32(_) => return Err(unsupported("time")),
        DataType::Map(..) => return Err(unsupported("map")),
        DataType::Timestamp(arrow::datatypes::TimeUnit::Nanosecond, _) => return Err(unsupported("timestamp_ns")),
        DataType::List(inner) | DataType::LargeList(inner) => DataType::List(Arc::new(adapt(table, inner, &path)?)),
        DataType::Struct(children) => DataType::Struct(
            children.iter().map(|c| adapt(table, c, &path)).collect::<Result<Vec<_>>>()?.into(),
        ),
        other => other.clone(),
    };
    Ok(Field::new(f.name(), dt, f.is_nullable()).with_metadata(f.metadata().clone()))
}

/// A sealed data file of the table, not yet committed.
#[derive(Debug)]
pub struct TableFile {
    pub sealed: SealedFile,
    /// Path under the table's data location (`ts_day=2026-11-23/…parquet`).
    pub relative: String,
    pub partition: Struct,
}

struct PartitionWriter {
    path: String,
    partition: Struct,
    writer: RollingWriter,
    last_used: Instant,
}

/// Names data files `{partition path}/{uuid v7}.parquet`.
struct DataFileNamer {
    path: String,
}

impl Namer for DataFileNamer {
    fn name(&mut self, _end: Position) -> (String, i64) {
        let name = format!("{}.parquet", uuid::Uuid::now_v7());
        let key = if self.path.is_empty() { name } else { format!("{}/{name}", self.path) };
        (key, chrono::Utc::now().timestamp_millis())
    }
}

/// Rows fanned out to one rolling writer per partition value. A commit point — `max_rows` rows or `max_age`
/// since the last one, or any file reaching the target size — seals every open file, so each commit holds
/// exactly the input between two positions; its files are taken with [`FanOut::take_files`].
pub struct FanOut {
    dir: PathBuf,
    settings: ParquetSettings,
    target_bytes: u64,
    commit: RotationPolicy,
    splitter: Option<Splitter>,
    writers: Vec<PartitionWriter>,
    max_open: usize,
    done: Vec<TableFile>,
    /// Files of commit points returned to the caller, oldest first.
    ready: std::collections::VecDeque<Vec<TableFile>>,
    rows: u64,
    opened: Option<Instant>,
    cursor: Position,
    end: Position,
    temp_tag: String,
    seq: u64,
}

impl FanOut {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        dir: PathBuf,
        settings: &ParquetSettings,
        target_bytes: u64,
        commit: RotationPolicy,
        schema: IcebergSchemaRef,
        spec: PartitionSpecRef,
        max_open: usize,
        start: Position,
        temp_tag: &str,
    ) -> Result<Self> {
        let splitter = if spec.is_unpartitioned() { None } else { Some(Splitter::new(schema, spec)?) };
        Ok(Self {
            dir,
            settings: settings.clone(),
            target_bytes,
            commit,
            splitter,
            writers: Vec::new(),
            max_open: max_open.max(1),
            done: Vec::new(),
            ready: Default::default(),
            rows: 0,
            opened: None,
            cursor: start,
            end: start,
            temp_tag: temp_tag.to_string(),
            seq: 0,
        })
    }

    /// When the open commit must be made by age.
    pub fn deadline(&self) -> Option<Instant> {
        Some(self.opened? + self.commit.max_age?)
    }

    pub fn advance(&mut self, end: Position) {
        self.end = end;
    }

    fn writer_for(&mut self, path: &str, partition: &Struct) -> Result<usize> {
        if let Some(i) = self.writers.iter().position(|w| w.path == path) {
            self.writers[i].last_used = Instant::now();
            return Ok(i);
        }
        if self.writers.len() >= self.max_open {
            // Seal the least recently used file properly; it joins the next commit.
            let (i, _) = self.writers.iter().enumerate().min_by_key(|(_, w)| w.last_used).expect("non-empty"); // ok: len >= max_open >= 1
            let mut w = self.writers.swap_remove(i);
            if let Some(s) = w.writer.seal()? {
                self.done.push(TableFile { relative: s.key.clone(), sealed: s, partition: w.partition.clone() });
            }
        }
        self.seq += 1;
        // An encoder pool serves one open file at a time: each partition's file gets its own (one thread when
        // there are many partitions; the whole pool for an unpartitioned table).
        let mut settings = self.settings.clone();
        if self.splitter.is_some() {
            settings.encode_threads = 1;
        }
        let writer = RollingWriter::new(
            self.dir.clone(),
            &settings,
            RotationPolicy { max_rows: None, max_bytes: Some(self.target_bytes), max_age: None },
            Box::new(DataFileNamer { path: path.to_string() }),
            self.cursor,
            &format!("{}-{}", self.temp_tag, self.seq),
        )?;
        self.writers.push(PartitionWriter {
            path: path.to_string(),
            partition: partition.clone(),
            writer,
            last_used: Instant::now(),
        });
        Ok(self.writers.len() - 1)
    }

    /// Writes `batch` (row `r` from line `lines[r]` of `input`); returns a marker per commit point reached,
    /// spanning the input the commit covers (its files: [`FanOut::take_files`]).
    pub fn write(&mut self, batch: &RecordBatch, input: u32, lines: &[u64]) -> Result<Vec<SealedFile>> {
        let mut points = Vec::new();
        let n = batch.num_rows();
        let mut off = 0;
        while off < n {
            let mut take = n - off;
            if let Some(m) = self.commit.max_rows {
                take = take.min((m.saturating_sub(self.rows)).max(1) as usize);
            }
            let part = batch.slice(off, take);
            let pieces: Vec<(String, Struct, RecordBatch)> = match &self.splitter {
                None => vec![(String::new(), Struct::empty(), part)],
                Some(s) => s.split(&part)?,
            };
            let mut rotated = false;
            for (path, partition, b) in pieces {
                let i = self.writer_for(&path, &partition)?;
                let zeros = vec![0u64; b.num_rows()];
                for s in self.writers[i].writer.write(&b, input, &zeros)? {
                    rotated = true;
                    self.done.push(TableFile { relative: s.key.clone(), sealed: s, partition: partition.clone() });
                }
            }
            self.opened.get_or_insert_with(Instant::now);
            self.rows += take as u64;
            off += take;
            self.end = (input, lines[off - 1] + 1);
            if rotated || self.commit.max_rows.is_some_and(|m| self.rows >= m) {
                points.extend(self.seal()?);
            }
        }
        Ok(points)
    }

    /// A commit point now: seals every open file; `None` when there is nothing to commit.
    pub fn seal(&mut self) -> Result<Option<SealedFile>> {
        for mut w in std::mem::take(&mut self.writers) {
            if let Some(s) = w.writer.seal()? {
                self.done.push(TableFile { relative: s.key.clone(), sealed: s, partition: w.partition.clone() });
            }
        }
        self.opened = None;
        let rows: u64 = self.done.iter().map(|f| f.sealed.rows).sum();
        if self.done.iter().all(|f| f.sealed.rows == 0) && self.rows == 0 {
            self.cursor = self.end;
            return Ok(None);
        }
        let bytes: u64 = self.done.iter().map(|f| f.sealed.bytes).sum();
        self.ready.push_back(std::mem::take(&mut self.done));
        let marker = SealedFile {
            temp_path: PathBuf::new(),
            key: String::new(),
            timestamp_ms: chrono::Utc::now().timestamp_millis(),
            rows,
            bytes,
            start: self.cursor,
            end: self.end,
        };
        self.cursor = self.end;
        self.rows = 0;
        Ok(Some(marker))
    }

    /// The files of the oldest commit point returned and not yet taken.
    pub fn take_files(&mut self) -> Vec<TableFile> {
        self.ready.pop_front().unwrap_or_default()
    }

    pub fn discard(&mut self) {
        for mut w in std::mem::take(&mut self.writers) {
            w.writer.discard();
        }
        for f in std::mem::take(&mut self.done).into_iter().chain(self.ready.drain(..).flatten()) {
            let _ = std::fs::remove_file(&f.sealed.temp_path);
        }
    }
}

/// Splits rows by partition value: the spec's transforms computed column-wise (iceberg-rust's calculator), rows
/// grouped by the row-format bytes of their values, and each group's value turned into an Iceberg struct once
/// (not once per row); a batch of one partition — the common case for time-ordered input — is not copied.
struct Splitter {
    calculator: PartitionValueCalculator,
    partition_type: StructType,
    spec: iceberg::spec::PartitionSpec,
    schema: IcebergSchemaRef,
}

impl Splitter {
    fn new(schema: IcebergSchemaRef, spec: PartitionSpecRef) -> Result<Self> {
        let err = |e: iceberg::Error| Error::Iceberg {
            table: String::new(),
            message: format!("cannot partition rows by the table's spec: {e}"),
        };
        let calculator = PartitionValueCalculator::try_new(&spec, &schema).map_err(err)?;
        let partition_type = spec.partition_type(&schema).map_err(err)?;
        Ok(Self { calculator, partition_type, spec: (*spec).clone(), schema })
    }

    fn split(&self, batch: &RecordBatch) -> Result<Vec<(String, Struct, RecordBatch)>> {
        use arrow::array::{Array, StructArray, UInt32Array};
        use arrow::row::{RowConverter, SortField};
        let err = |m: String| Error::Iceberg { table: String::new(), message: format!("cannot partition rows: {m}") };
        let values = self.calculator.calculate(batch).map_err(|e| err(e.to_string()))?;
        let st = values.as_any().downcast_ref::<StructArray>().ok_or_else(|| err("partition values are not a struct".into()))?;
        let fields: Vec<SortField> = st.columns().iter().map(|c| SortField::new(c.data_type().clone())).collect();
        let converter = RowConverter::new(fields).map_err(|e| err(e.to_string()))?;
        let rows = converter.convert_columns(st.columns()).map_err(|e| err(e.to_string()))?;
        let mut groups: Vec<(usize, Vec<u32>)> = Vec::new();
        let mut index: HashMap<&[u8], usize> = HashMap::new();
        for i in 0..rows.num_rows() {
            let key = rows.row(i).data();
            match index.get(key) {
                Some(&g) => groups[g].1.push(i as u32),
                None => {
                    index.insert(key, groups.len());
                    groups.push((i, vec![i as u32]));
                }
            }
        }
        let mut out = Vec::with_capacity(groups.len());
        let single = groups.len() == 1;
        for (first, idx) in groups {
            let value: arrow::array::ArrayRef = std::sync::Arc::new(st.slice(first, 1));
            let data = match arrow_struct_to_literal(&value, &self.partition_type).map_err(|e| err(e.to_string()))?.pop() {
                Some(Some(Literal::Struct(s))) => s,
                _ => return Err(err("a partition value is not a struct".into())),
            };
            let key = PartitionKey::new(self.spec.clone(), self.schema.clone(), data.clone());
            let rows = if single {
                batch.clone()
            } else {
                arrow::compute::take_record_batch(batch, &UInt32Array::from(idx)).map_err(|e| err(e.to_string()))?
            };
            out.push((key.to_path(), data, rows));
        }
        Ok(out)
    }
}

/// Reads a finished Parquet file's footer.
pub fn read_footer(path: &Path) -> Result<ParquetMetaData> {
    let file = std::fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
    parquet::file::metadata::ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .map_err(|e| Error::Parquet { path: path.display().to_string(), source: e })
}

/// What a manifest entry records of a column (`write.metadata.metrics.default`, `write.metadata.metrics.column.*`):
/// `none` (sizes only), `counts`, `truncate(N)` (bounds of strings and binaries cut to N, the default N = 16) or
/// `full`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsMode {
    None,
    Counts,
    Truncate(usize),
    Full,
}

impl MetricsMode {
    fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase();
        match t.as_str() {
            "none" => Some(MetricsMode::None),
            "counts" => Some(MetricsMode::Counts),
            "full" => Some(MetricsMode::Full),
            _ => {
                let n = t.strip_prefix("truncate(")?.strip_suffix(')')?.trim().parse::<usize>().ok()?;
                (n > 0).then_some(MetricsMode::Truncate(n))
            }
        }
    }

    /// The mode of each column of `schema` per the table's properties (unknown values fall back to the default).
    pub fn for_table(props: &HashMap<String, String>, schema: &Schema) -> impl Fn(i32) -> MetricsMode + use<> {
        let default = props
            .get("write.metadata.metrics.default")
            .and_then(|v| MetricsMode::parse(v))
            .unwrap_or(MetricsMode::Truncate(16));
        let mut by_id: HashMap<i32, MetricsMode> = HashMap::new();
        for (k, v) in props {
            if let Some(col) = k.strip_prefix("write.metadata.metrics.column.")
                && let (Some(f), Some(m)) = (schema.field_by_name(col), MetricsMode::parse(v))
            {
                by_id.insert(f.id, m);
            }
        }
        move |id| by_id.get(&id).copied().unwrap_or(default)
    }
}

/// The manifest entry for a data file: record count, size, split offsets, the partition tuple, and per
/// column (by field id) sizes, value, null and NaN counts, lower and upper bounds in the spec's binary form
/// (strings and binaries truncated to 16, the upper bound rounded up; no bounds for values inside lists and maps).
pub fn data_file(
    location: &str,
    size: u64,
    footer: &ParquetMetaData,
    schema: &Schema,
    partition: Struct,
    spec_id: i32,
    metrics: &dyn Fn(i32) -> MetricsMode,
) -> Result<DataFile> {
    let descr = footer.file_metadata().schema_descr();
    let mut column_sizes: HashMap<i32, u64> = HashMap::new();
    let mut value_counts: HashMap<i32, u64> = HashMap::new();
    let mut null_counts: HashMap<i32, u64> = HashMap::new();
    let mut nan_counts: HashMap<i32, u64> = HashMap::new();
    let mut lower: HashMap<i32, Datum> = HashMap::new();
    let mut upper: HashMap<i32, Datum> = HashMap::new();
    let mut no_bounds: std::collections::HashSet<i32> = Default::default();
    for (c, col) in descr.columns().iter().enumerate() {
        let info = col.self_type().get_basic_info();
        if !info.has_id() {
            continue;
        }
        let id = info.id();
        let Some(field) = schema.field_by_id(id) else { continue };
        let Type::Primitive(prim) = field.field_type.as_ref() else { continue };
        let repeated = col.max_rep_level() > 0;
        let mode = metrics(id);
        if mode == MetricsMode::None {
            for rg in footer.row_groups() {
                *column_sizes.entry(id).or_default() += rg.column(c).compressed_size().max(0) as u64;
            }
            continue;
        }
        let trunc = match mode {
            MetricsMode::Truncate(n) => Some(n),
            _ => None,
        };
        if mode == MetricsMode::Counts {
            no_bounds.insert(id);
        }
        if matches!(prim, PrimitiveType::Float | PrimitiveType::Double) {
            // JSON has no NaN: a float column written by ingest never holds one.
            nan_counts.insert(id, 0);
        }
        for rg in footer.row_groups() {
            let cc = rg.column(c);
            *column_sizes.entry(id).or_default() += cc.compressed_size().max(0) as u64;
            *value_counts.entry(id).or_default() += cc.num_values().max(0) as u64;
            match cc.statistics() {
                Some(st) => {
                    *null_counts.entry(id).or_default() += st.null_count_opt().unwrap_or(0);
                    if repeated || no_bounds.contains(&id) {
                        continue;
                    }
                    let non_null = cc.num_values().max(0) as u64 - st.null_count_opt().unwrap_or(0);
                    match (st.min_bytes_opt(), st.max_bytes_opt()) {
                        (Some(lo), Some(hi)) => {
                            let (Some(lo), Some(hi)) = (bound(prim, st, lo, false, trunc), bound(prim, st, hi, true, trunc)) else {
                                no_bounds.insert(id);
                                continue;
                            };
                            if lower.get(&id).is_none_or(|cur| lo < *cur) {
                                lower.insert(id, lo);
                            }
                            if upper.get(&id).is_none_or(|cur| hi > *cur) {
                                upper.insert(id, hi);
                            }
                        }
                        _ if non_null == 0 => {}
                        _ => {
                            no_bounds.insert(id);
                        }
                    }
                }
                None => {
                    no_bounds.insert(id);
                }
            }
        }
    }
    for id in &no_bounds {
        lower.remove(id);
        upper.remove(id);
    }
    let mut offsets: Vec<i64> = footer.row_groups().iter().filter_map(|rg| rg.file_offset()).collect();
    if offsets.len() != footer.num_row_groups() {
        offsets = footer
            .row_groups()
            .iter()
            .map(|rg| {
                let c = rg.column(0);
                c.dictionary_page_offset().unwrap_or(c.data_page_offset())
            })
            .collect();
    }
    offsets.sort_unstable();
    DataFileBuilder::default()
        .content(DataContentType::Data)
        .file_path(location.to_string())
        .file_format(DataFileFormat::Parquet)
        .partition(partition)
        .partition_spec_id(spec_id)
        .record_count(footer.file_metadata().num_rows().max(0) as u64)
        .file_size_in_bytes(size)
        .column_sizes(column_sizes)
        .value_counts(value_counts)
        .null_value_counts(null_counts)
        .nan_value_counts(nan_counts)
        .lower_bounds(lower)
        .upper_bounds(upper)
        .split_offsets(Some(offsets))
        .build()
        .map_err(|e| Error::Iceberg { table: String::new(), message: format!("data file {location}: {e}") })
}

/// One bound from a Parquet statistic's plain bytes, in Iceberg's type; `None` when it cannot be expressed
/// (an upper bound that cannot be rounded up after truncation).
fn bound(prim: &PrimitiveType, st: &Statistics, bytes: &[u8], upper: bool, trunc: Option<usize>) -> Option<Datum> {
    let limit = trunc.unwrap_or(usize::MAX);
    match prim {
        PrimitiveType::String => {
            let s = std::str::from_utf8(bytes).ok()?;
            if s.chars().count() <= limit {
                return Some(Datum::string(s));
            }
            let head: String = s.chars().take(limit).collect();
            if !upper {
                return Some(Datum::string(head));
            }
            // Round up: increment the last character that can be incremented, dropping what follows.
            let mut chars: Vec<char> = head.chars().collect();
            while let Some(last) = chars.pop() {
                let mut next = last as u32 + 1;
                while next <= 0x10FFFF {
                    if let Some(c) = char::from_u32(next) {
                        chars.push(c);
                        return Some(Datum::string(chars.into_iter().collect::<String>()));
                    }
                    next += 1;
                }
            }
            None
        }
        PrimitiveType::Binary => {
            if bytes.len() <= limit {
                return Some(Datum::binary(bytes.to_vec()));
            }
            let mut head = bytes[..limit].to_vec();
            if !upper {
                return Some(Datum::binary(head));
            }
            while let Some(last) = head.pop() {
                if last < 0xFF {
                    head.push(last + 1);
                    return Some(Datum::binary(head));
                }
            }
            None
        }
        PrimitiveType::Decimal { .. } => {
            let unscaled: i128 = match st {
                Statistics::Int32(_) => i32::from_le_bytes(bytes.try_into().ok()?) as i128,
                Statistics::Int64(_) => i64::from_le_bytes(bytes.try_into().ok()?) as i128,
                Statistics::FixedLenByteArray(_) | Statistics::ByteArray(_) => {
                    if bytes.is_empty() || bytes.len() > 16 {
                        return None;
                    }
                    let fill = if bytes[0] & 0x80 != 0 { 0xFF } else { 0 };
                    let mut b = [fill; 16];
                    b[16 - bytes.len()..].copy_from_slice(bytes);
                    i128::from_be_bytes(b)
                }
                _ => return None,
            };
            Datum::try_from_bytes(&unscaled.to_be_bytes(), prim.clone()).ok()
        }
        PrimitiveType::Boolean
        | PrimitiveType::Int
        | PrimitiveType::Long
        | PrimitiveType::Float
        | PrimitiveType::Double
        | PrimitiveType::Date
        | PrimitiveType::Timestamp
        | PrimitiveType::Timestamptz => {
            let d = Datum::try_from_bytes(bytes, prim.clone()).ok()?;
            // A -0.0 / 0.0 bound is widened as Iceberg asks (Parquet may keep either sign).
            Some(d)
        }
        _ => None,
    }
}
