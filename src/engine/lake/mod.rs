//! The Parquet-prefix lake: object naming, the ingest journal and pipeline, uploads, compaction, scans and
//! the prefix poller behind `watch`.

pub mod compact;
pub mod ingest;
pub mod journal;
pub mod lock;
pub mod naming;
pub mod poll;
pub mod scan;
pub mod upload;
