//! Rows and files, nothing about lakes: NDJSON decoding and inference, schema files, Parquet encoding and
//! reading, schema unification, `--where` expressions, deduplication.

pub mod dedup;
pub mod encode;
pub mod expr;
pub mod ndjson;
pub mod schema;
pub mod sink;
pub mod source;
pub mod unify;
