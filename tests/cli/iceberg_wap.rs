//! iceberg_wap
