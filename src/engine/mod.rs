//! The engine: all the work behind the commands. It never prints and knows nothing of clap or terminals.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod compact;
pub mod dedup;
pub mod encode;
pub mod error;
pub mod expr;
pub mod failpoint;
pub mod ingest;
pub mod journal;
pub mod lock;
pub mod naming;
pub mod ndjson;
pub mod poll;
pub mod progress;
pub mod scan;
pub mod schema;
pub mod sink;
pub mod source;
pub mod storage;
pub mod units;
pub mod unify;
pub mod upload;
