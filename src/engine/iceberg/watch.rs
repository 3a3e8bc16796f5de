//! Following a table: new snapshots on a ref as events, or their appended rows.
