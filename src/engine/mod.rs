//! The engine: all the work behind the commands. It never prints and knows nothing of clap or terminals.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod error;
pub mod failpoint;
pub mod format;
pub mod iceberg;
pub mod lake;
pub mod progress;
pub mod storage;
pub mod units;

// The flat names the commands grew up with.
pub use format::{dedup, encode, expr, ndjson, schema, sink, source, unify};
pub use lake::{compact, ingest, journal, lock, naming, poll, scan, upload};
