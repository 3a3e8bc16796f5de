//! Snapshot expiry: which snapshots go, and the files no remaining snapshot reaches.
