//! End-to-end tests through the built `prestige` binary (one test target; a module per command).

mod assets;
mod common;
mod compact;
mod differential_ingest;
mod differential_scan;
mod iceberg_tables;
mod iceberg_watch;
mod iceberg_snapshots;
mod iceberg_wap;
mod iceberg_compact;
mod iceberg_concurrency;
mod iceberg_ingest;
mod iceberg_random;
mod ingest;
mod ingest_bad_input;
mod ingest_crash;
mod ingest_hardening;
mod polish;
mod scan;
mod upload;
mod watch;
