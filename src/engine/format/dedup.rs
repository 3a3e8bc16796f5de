//! Deduplication for compaction, in bounded memory: a first pass hashes every row (or its key), spilling
//! (hash, position) records into hash partitions when the window has more rows than the memory budget
//! allows; each partition is then reduced on its own to the rows to keep, recorded as one bit per input row.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use arrow::array::{ArrayRef, BooleanArray, RecordBatch};
use arrow::row::{RowConverter, SortField};

use crate::engine::error::{Error, Result};

/// Which rows count as duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dedup {
    /// Rows equal in every column: the first (oldest file, earliest row) is kept.
    Exact,
    /// Rows with equal key columns: the one with the greatest `order_by` value is kept (ties: the newest).
    Key { columns: Vec<String>, order_by: String },
}

/// Bytes of memory one in-memory record costs (hash map entry with its order value, roughly).
const RECORD_COST: u64 = 64;

/// One row seen in pass 1.
struct Record {
    hash: u128,
    order: Vec<u8>,
    file: u32,
    row: u32,
}

/// Pass 1: collects row hashes; `finish` returns which rows to keep, one bitmap per input file.
pub struct Deduper {
    mode: Dedup,
    converter_all: Option<RowConverter>,
    key_converter: Option<(RowConverter, Vec<usize>)>,
    order_converter: Option<(RowConverter, usize)>,
    partitions: usize,
    memory: Vec<Record>,
    spill: Vec<(PathBuf, BufWriter<std::fs::File>)>,
    rows_per_file: Vec<u64>,
}

impl Deduper {
    /// `total_rows` (known from the footers) and `budget` choose how many partitions are spilled to `spill_dir`.
    pub fn new(
        mode: Dedup,
        schema: &arrow::datatypes::Schema,
        rows_per_file: Vec<u64>,
        budget: u64,
        spill_dir: &Path,
    ) -> Result<Self> {
        let total: u64 = rows_per_file.iter().sum();
        let partitions = (total * RECORD_COST).div_ceil(budget.max(1 << 20)).max(1) as usize;
        let field = |name: &str| -> Result<usize> {
            schema.index_of(name).map_err(|_| Error::Config(format!("no column {name:?} in the files to compact")))
        };
        let sort = |i: usize| SortField::new(schema.field(i).data_type().clone());
        let conv = |fields: Vec<SortField>| RowConverter::new(fields).map_err(|e| Error::Config(e.to_string()));
        let (converter_all, key_converter, order_converter) = match &mode {
            Dedup::Exact => (Some(conv((0..schema.fields().len()).map(sort).collect())?), None, None),
            Dedup::Key { columns, order_by } => {
                let idx: Vec<usize> = columns.iter().map(|c| field(c)).collect::<Result<_>>()?;
                let o = field(order_by)?;
                (None, Some((conv(idx.iter().map(|&i| sort(i)).collect())?, idx)), Some((conv(vec![sort(o)])?, o)))
            }
        };
        let mut spill = Vec::new();
        if partitions > 1 {
            std::fs::create_dir_all(spill_dir).map_err(|e| Error::io("create directory", spill_dir, e))?;
            for p in 0..partitions {
                let path = spill_dir.join(format!("dedup-{p}.bin"));
                let f = std::fs::File::create(&path).map_err(|e| Error::io("create", &path, e))?;
                spill.push((path, BufWriter::new(f)));
            }
        }
        Ok(Self {
            mode,
            converter_all,
            key_converter,
            order_converter,
            partitions,
            memory: Vec::new(),
            spill,
            rows_per_file,
        })
    }

    pub fn partitions(&self) -> usize {
        self.partitions
    }

    /// Records the rows of `batch` (already in the unified schema), which start at row `first_row` of `file`.
    pub fn add(&mut self, batch: &RecordBatch, file: u32, first_row: u64) -> Result<()> {
        let err = |e: arrow::error::ArrowError| Error::Config(format!("deduplication: {e}"));
        let hashes: Vec<u128> = match (&self.converter_all, &self.key_converter) {
            (Some(c), _) => {
                let rows = c.convert_columns(batch.columns()).map_err(err)?;
                rows.iter().map(|r| xxhash_rust::xxh3::xxh3_128(r.as_ref())).collect()
            }
            (None, Some((c, idx))) => {
                let cols: Vec<ArrayRef> = idx.iter().map(|&i| batch.column(i).clone()).collect();
                let rows = c.convert_columns(&cols).map_err(err)?;
                rows.iter().map(|r| xxhash_rust::xxh3::xxh3_128(r.as_ref())).collect()
            }
            _ => unreachable!("one converter is always set"),
        };
        let orders: Option<arrow::row::Rows> = match &self.order_converter {
            Some((c, o)) => Some(c.convert_columns(&[batch.column(*o).clone()]).map_err(err)?),
            None => None,
        };
        for (i, hash) in hashes.into_iter().enumerate() {
            let order = orders.as_ref().map(|o| o.row(i).as_ref().to_vec()).unwrap_or_default();
            let rec = Record { hash, order, file, row: (first_row + i as u64) as u32 };
            if self.partitions == 1 {
                self.memory.push(rec);
            } else {
                let p = (hash >> 64) as usize % self.partitions;
                let (path, w) = &mut self.spill[p];
                let mut buf = Vec::with_capacity(28 + rec.order.len());
                buf.extend_from_slice(&rec.hash.to_le_bytes());
                buf.extend_from_slice(&rec.file.to_le_bytes());
                buf.extend_from_slice(&rec.row.to_le_bytes());
                buf.extend_from_slice(&(rec.order.len() as u32).to_le_bytes());
                buf.extend_from_slice(&rec.order);
                w.write_all(&buf).map_err(|e| Error::io("write", path.as_path(), e))?;
            }
        }
        Ok(())
    }

    /// Reduces every partition to the rows to keep.
    pub fn finish(mut self) -> Result<KeepSet> {
        let mut keep: Vec<Vec<bool>> = self.rows_per_file.iter().map(|&n| vec![false; n as usize]).collect();
        if self.partitions == 1 {
            let records = std::mem::take(&mut self.memory);
            reduce(&self.mode, records, &mut keep);
        } else {
            for (path, w) in std::mem::take(&mut self.spill) {
                let f = w.into_inner().map_err(|e| Error::io("flush", path.as_path(), e.into_error()))?;
                drop(f);
                let records = read_spill(&path)?;
                reduce(&self.mode, records, &mut keep);
                let _ = std::fs::remove_file(&path);
            }
        }
        Ok(KeepSet { keep })
    }
}

fn read_spill(path: &Path) -> Result<Vec<Record>> {
    let mut r = BufReader::new(std::fs::File::open(path).map_err(|e| Error::io("open", path, e))?);
    let mut out = Vec::new();
    let mut head = [0u8; 28];
    loop {
        match r.read_exact(&mut head) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(Error::io("read", path, e)),
        }
        let hash = u128::from_le_bytes(head[0..16].try_into().unwrap_or_default());
        let file = u32::from_le_bytes(head[16..20].try_into().unwrap_or_default());
        let row = u32::from_le_bytes(head[20..24].try_into().unwrap_or_default());
        let len = u32::from_le_bytes(head[24..28].try_into().unwrap_or_default()) as usize;
        let mut order = vec![0u8; len];
        r.read_exact(&mut order).map_err(|e| Error::io("read", path, e))?;
        out.push(Record { hash, order, file, row });
    }
    Ok(out)
}

/// Marks the rows to keep among `records` (all rows sharing a hash are in the same partition).
fn reduce(mode: &Dedup, records: Vec<Record>, keep: &mut [Vec<bool>]) {
    match mode {
        Dedup::Exact => {
            // Records arrive in scan order, so the first one seen is the oldest.
            let mut seen = std::collections::HashSet::with_capacity(records.len());
            for r in records {
                if seen.insert(r.hash) {
                    keep[r.file as usize][r.row as usize] = true;
                }
            }
        }
        Dedup::Key { .. } => {
            let mut best: HashMap<u128, Record> = HashMap::with_capacity(records.len());
            for r in records {
                match best.entry(r.hash) {
                    Entry::Vacant(v) => {
                        v.insert(r);
                    }
                    // Later records are newer: on a tie in the order value, the newer one wins.
                    Entry::Occupied(mut o) => {
                        if r.order >= o.get().order {
                            o.insert(r);
                        }
                    }
                }
            }
            for r in best.into_values() {
                keep[r.file as usize][r.row as usize] = true;
            }
        }
    }
}

/// The rows to keep, per input file.
pub struct KeepSet {
    keep: Vec<Vec<bool>>,
}

impl KeepSet {
    /// The filter for `len` rows of `file` starting at `first_row`.
    pub fn filter(&self, file: usize, first_row: u64, len: usize) -> BooleanArray {
        let s = first_row as usize;
        BooleanArray::from(self.keep[file][s..s + len].to_vec())
    }
}
