//! Table compaction: bin-packing rewrites of small files in `replace` snapshots.
