//! Orphan files: files under a table location that no metadata references.
