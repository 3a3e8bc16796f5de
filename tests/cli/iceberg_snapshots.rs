//! iceberg_snapshots
