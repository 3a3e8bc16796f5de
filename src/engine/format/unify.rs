//! Schema unification across Parquet files by column name: compatible types widen, missing columns become
//! nullable, and batches are conformed to the unified schema (widening casts, nulls for absent columns).

use arrow::array::{ArrayRef, RecordBatch, new_null_array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::engine::error::{Error, Result};

/// Widens `a` and `b` to one type, if they are compatible.
pub fn unify_type(a: &DataType, b: &DataType) -> Option<DataType> {
    use DataType::*;
    if a == b {
        return Some(a.clone());
    }
    match (a, b) {
        (Int8 | Int16 | Int32, Int64) | (Int64, Int8 | Int16 | Int32) => Some(Int64),
        (Int8 | Int16, Int32) | (Int32, Int8 | Int16) => Some(Int32),
        (Float32, Float64) | (Float64, Float32) => Some(Float64),
        (Utf8, LargeUtf8) | (LargeUtf8, Utf8) => Some(LargeUtf8),
        _ => None,
    }
}

/// Merges `schema` into `unified`; on a conflict returns the reason and leaves `unified` unchanged.
pub fn unify(unified: &mut Vec<Field>, schema: &Schema) -> std::result::Result<(), String> {
    let mut next = unified.clone();
    for f in schema.fields() {
        match next.iter_mut().find(|u| u.name() == f.name()) {
            Some(u) => match unify_type(u.data_type(), f.data_type()) {
                Some(t) => {
                    let nullable = u.is_nullable() || f.is_nullable();
                    *u = Field::new(u.name(), t, nullable);
                }
                None => {
                    return Err(format!(
                        "column {:?} is {} here but {} in the files before it",
                        f.name(),
                        f.data_type(),
                        u.data_type()
                    ));
                }
            },
            None => next.push(Field::new(f.name(), f.data_type().clone(), true)),
        }
    }
    // Columns this file lacks become nullable.
    for u in next.iter_mut() {
        if schema.field_with_name(u.name()).is_err() && !u.is_nullable() {
            *u = Field::new(u.name(), u.data_type().clone(), true);
        }
    }
    *unified = next;
    Ok(())
}

/// Casts a batch to the unified schema: widening casts, nulls for missing columns.
pub fn conform(batch: &RecordBatch, target: &SchemaRef) -> Result<RecordBatch> {
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(target.fields().len());
    for f in target.fields() {
        let col = match batch.schema().index_of(f.name()) {
            Ok(i) => {
                let c = batch.column(i);
                if c.data_type() == f.data_type() {
                    c.clone()
                } else {
                    arrow::compute::cast(c, f.data_type()).map_err(|e| Error::Config(e.to_string()))?
                }
            }
            Err(_) => new_null_array(f.data_type(), batch.num_rows()),
        };
        cols.push(col);
    }
    let opts = arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(target.clone(), cols, &opts).map_err(|e| Error::Config(e.to_string()))
}

