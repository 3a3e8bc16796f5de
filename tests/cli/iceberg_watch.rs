//! iceberg_watch
