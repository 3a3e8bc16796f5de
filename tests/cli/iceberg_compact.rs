//! iceberg_compact
