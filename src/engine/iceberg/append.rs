//! The Iceberg destination of the ingest pipeline: sealed files of a commit point are journaled with a commit
//! id, placed under the table's data location, described (`DataFile` with metrics) and committed as one
//! `append` snapshot; a rerun decides whether a journaled commit landed by looking for its id on the branch.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::catalog::{Catalog, LoadedTable};
use super::commit::{self, AppendRequest, find_commit};
use super::write::{TableFile, data_file, read_footer};
use crate::engine::error::{Error, Result};
use crate::engine::failpoint;
use crate::engine::storage::{BlobStore, Location, PutOptions};

/// Where `ingest --table` writes: the table, its catalog and branch, and how files are cut.
#[derive(Debug, Clone)]
pub struct TableTarget {
    pub catalog: Arc<dyn Catalog>,
    pub table: LoadedTable,
    pub branch: String,
    /// `wap.id` for every snapshot's summary (`--wap-id`): a write staged for audit, published by that id.
    pub wap_id: Option<String>,
    /// Target data file size (`--max-bytes`, else `write.target-file-size-bytes`, else 512 MiB).
    pub target_bytes: u64,
    /// Most partition files open at once (`--max-open-files`).
    pub max_open_files: usize,
}

impl TableTarget {
    /// The table's data location: `write.data.path`, else `{location}/data`.
    pub fn data_location(&self) -> String {
        let m = &self.table.metadata;
        m.properties()
            .get("write.data.path")
            .cloned()
            .unwrap_or_else(|| format!("{}/data", m.location().trim_end_matches('/')))
            .trim_end_matches('/')
            .to_string()
    }

    /// The data location as a prestige storage location (local path or s3://).
    pub fn data_store_location(&self) -> Result<Location> {
        let loc = self.data_location();
        match super::io::local_path(&loc) {
            Some(p) => Ok(Location::Local(p)),
            None => Location::parse(&loc.replacen("s3a://", "s3://", 1).replacen("s3n://", "s3://", 1)),
        }
    }
}

/// One commit of the run, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct CommitInfo {
    pub snapshot_id: i64,
    pub commit_id: String,
    pub files: usize,
    pub rows: u64,
    pub bytes: u64,
    pub timestamp_ms: i64,
    pub timestamp: String,
}

/// Makes sure `branch` exists before data is committed to it: a missing branch is created at main's head (a
/// metadata commit of its own). Concurrent creators do not fail: each retry re-reads the refs and finds the
/// branch made. A table without snapshots has nothing to cut from: the first commit creates the branch. A tag of
/// that name is refused.
pub async fn ensure_branch(catalog: &dyn Catalog, table: LoadedTable, branch: &str) -> Result<LoadedTable> {
    use iceberg::spec::{SnapshotReference, SnapshotRetention};
    use iceberg::{TableRequirement, TableUpdate};
    if branch == commit::MAIN {
        return Ok(table);
    }
    let done = commit::commit_change(catalog, table, |t| {
        if let Some(r) = commit::refs_of(&t.metadata).get(branch) {
            if r.is_branch() {
                return Ok((vec![], vec![]));
            }
            return Err(Error::Config(format!("{branch} is a tag of table {}, not a branch: commits go to branches", t.name())));
        }
        let Some(main) = t.metadata.snapshot_for_ref(commit::MAIN).map(|s| s.snapshot_id()) else {
            return Ok((vec![], vec![]));
        };
        let requirements = vec![
            TableRequirement::RefSnapshotIdMatch { r#ref: branch.to_string(), snapshot_id: None },
            TableRequirement::RefSnapshotIdMatch { r#ref: commit::MAIN.to_string(), snapshot_id: Some(main) },
        ];
        let retention = SnapshotRetention::Branch { min_snapshots_to_keep: None, max_snapshot_age_ms: None, max_ref_age_ms: None };
        let update = TableUpdate::SetSnapshotRef { ref_name: branch.to_string(), reference: SnapshotReference::new(main, retention) };
        Ok((requirements, vec![update]))
    })
    .await?;
    if done.changed {
        tracing::info!(
            "created branch {branch} of {} at main's head (snapshot {:?})",
            done.table.name(),
            done.table.metadata.snapshot_for_ref(branch).map(|s| s.snapshot_id())
        );
    }
    Ok(done.table)
}

/// Did the journaled commit `commit_id` land on the branch? Reloads the table to find out.
pub async fn landed(target: &TableTarget, commit_id: &str) -> Result<bool> {
    let t = target.catalog.load_table(&target.table.ident).await?;
    Ok(find_commit(&t.metadata, &target.branch, commit_id, None).is_some())
}

/// Deletes the data files of a commit that provably did not land.
pub async fn delete_files(store: &dyn BlobStore, target: &TableTarget, files: &[String]) -> Result<()> {
    let root = target.data_location();
    let keys: Vec<String> =
        files.iter().filter_map(|f| f.strip_prefix(&format!("{root}/")).map(str::to_string)).collect();
    if keys.is_empty() {
        return Ok(());
    }
    let failed = store.delete(&keys).await?;
    if let Some((k, m)) = failed.first() {
        tracing::warn!("could not delete {} of an unlanded commit: {m}", store.location().display_key(k));
    }
    Ok(())
}

/// The commit step, run on the pipeline's writer thread.
pub struct TableCommitter {
    pub target: TableTarget,
    pub store: Arc<dyn BlobStore>,
    pub runtime: tokio::runtime::Handle,
    pub schema_id: i32,
    pub spec_id: i32,
    pub part_size: u64,
    pub commits: Vec<CommitInfo>,
}

impl TableCommitter {
    /// The full paths a commit's files will have.
    pub fn paths(&self, files: &[TableFile]) -> Vec<String> {
        let root = self.target.data_location();
        files.iter().map(|f| format!("{root}/{}", f.relative)).collect()
    }

    /// Places the files, then commits them with `commit_id` (already journaled with their paths).
    pub fn commit(&mut self, commit_id: &str, files: Vec<TableFile>, mut summary: BTreeMap<String, String>) -> Result<&CommitInfo> {
        if let Some(w) = &self.target.wap_id {
            summary.insert(super::publish::WAP_ID.to_string(), w.clone());
        }
        let paths = self.paths(&files);
        let schema = self.target.table.metadata.current_schema().clone();
        let metrics = super::write::MetricsMode::for_table(self.target.table.metadata.properties(), &schema);
        let mut data_files = Vec::new();
        let (mut rows, mut bytes) = (0, 0);
        for (f, path) in files.iter().zip(&paths) {
            let footer = read_footer(&f.sealed.temp_path)?;
            self.place(f)?;
            rows += f.sealed.rows;
            bytes += f.sealed.bytes;
            data_files.push(data_file(path, f.sealed.bytes, &footer, &schema, f.partition.clone(), self.spec_id, &metrics)?);
        }
        failpoint::hit("iceberg.before_commit");
        let req = AppendRequest {
            branch: self.target.branch.clone(),
            commit_id: commit_id.to_string(),
            files: data_files,
            spec_id: self.spec_id,
            schema_id: self.schema_id,
            summary,
        };
        let catalog = self.target.catalog.clone();
        let table = self.target.table.clone();
        let r = self.runtime.block_on(async move { commit::append(&*catalog, table, &req).await })?;
        failpoint::hit("iceberg.after_commit");
        tracing::info!(snapshot = r.snapshot_id, rows, files = files.len(), "committed to {}", self.target.table.name());
        self.target.table = r.table;
        self.commits.push(CommitInfo {
            snapshot_id: r.snapshot_id,
            commit_id: commit_id.to_string(),
            files: files.len(),
            rows,
            bytes,
            timestamp_ms: r.timestamp_ms,
            timestamp: chrono::DateTime::from_timestamp_millis(r.timestamp_ms)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .unwrap_or_default(),
        });
        Ok(self.commits.last().expect("pushed above")) // ok: pushed just above
    }

    /// Moves (locally) or uploads (S3) a sealed file to its place under the data location.
    fn place(&self, f: &TableFile) -> Result<()> {
        match self.store.location() {
            Location::Local(root) => {
                let dest = root.join(&f.relative);
                if let Some(d) = dest.parent() {
                    std::fs::create_dir_all(d).map_err(|e| Error::io("create directory", d, e))?;
                }
                if std::fs::rename(&f.sealed.temp_path, &dest).is_err() {
                    // Another file system: copy, fsync, then drop the staged file.
                    std::fs::copy(&f.sealed.temp_path, &dest).map_err(|e| Error::io("copy", &dest, e))?;
                    std::fs::File::open(&dest).and_then(|f| f.sync_all()).map_err(|e| Error::io("fsync", &dest, e))?;
                    let _ = std::fs::remove_file(&f.sealed.temp_path);
                }
                crate::engine::storage::local::fsync_dir(dest.parent().unwrap_or(root))?;
                Ok(())
            }
            Location::S3 { .. } => {
                let store = self.store.clone();
                let (key, path) = (f.relative.clone(), f.sealed.temp_path.clone());
                let put = PutOptions { part_size: self.part_size, metadata: vec![] };
                self.runtime.block_on(async move { store.put_file(&key, &path, &put).await })?;
                let _ = std::fs::remove_file(&f.sealed.temp_path);
                Ok(())
            }
        }
    }
}
