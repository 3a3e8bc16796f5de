//! Concurrent, retried, verified uploads of local files and directories to a store.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use serde::Serialize;

use crate::engine::error::{Error, Result};
use crate::engine::progress::Progress;
use crate::engine::sink::has_parquet_footer;
use crate::engine::storage::{self, BlobStore, Location, PutOptions, S3Settings};

#[derive(Debug, Clone)]
pub struct UploadOptions {
    pub paths: Vec<PathBuf>,
    pub destination: Location,
    pub part_size: u64,
    pub concurrency: usize,
    pub skip_existing: bool,
    pub remove_source: bool,
    pub plan: bool,
    pub s3: S3Settings,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UploadAction {
    Uploaded,
    Skipped,
    WouldUpload,
    WouldSkip,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct UploadedFile {
    pub source: String,
    pub location: String,
    pub key: String,
    pub bytes: u64,
    pub action: UploadAction,
    pub source_removed: bool,
    /// The stored object's ETag (null when nothing was stored or checked).
    pub etag: Option<String>,
    /// Why the file failed (null unless `action` is `failed`).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UploadReport {
    /// `ok`, `partial` (some files failed) or `plan`.
    pub status: String,
    pub destination: String,
    pub files: Vec<UploadedFile>,
    pub uploaded: usize,
    pub skipped: usize,
    pub failed: usize,
    pub bytes_uploaded: u64,
    pub elapsed_ms: u64,
    /// Upload throughput, rounded to one decimal.
    pub mib_per_sec: f64,
}

#[derive(Clone)]
struct Job {
    source: PathBuf,
    key: String,
    size: u64,
}

fn collect(paths: &[PathBuf], prefix_key: &str) -> Result<Vec<Job>> {
    let mut jobs = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Error::io("read", p, e))?;
        if meta.is_file() {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            jobs.push(Job { source: p.clone(), key: format!("{prefix_key}{name}"), size: meta.len() });
        } else if meta.is_dir() {
            walk(p, p, prefix_key, &mut jobs)?;
        }
    }
    jobs.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(jobs)
}

fn walk(root: &Path, dir: &Path, prefix_key: &str, out: &mut Vec<Job>) -> Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io("list", dir, e))?;
    for entry in rd {
        let entry = entry.map_err(|e| Error::io("list", dir, e))?;
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| Error::io("stat", &path, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if ft.is_dir() {
            walk(root, &path, prefix_key, out)?;
        } else if ft.is_file() && !(name.starts_with(".prestige-") && name.ends_with(".inprogress")) {
            let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            let size = entry.metadata().map_err(|e| Error::io("stat", &path, e))?.len();
            out.push(Job { source: path, key: format!("{prefix_key}{rel}"), size });
        }
    }
    Ok(())
}

/// Whether the stored object already holds exactly this file.
async fn same_object(store: &dyn BlobStore, job: &Job, part_size: u64) -> Result<Option<String>> {
    let Some(remote) = store.head(&job.key).await? else { return Ok(None) };
    if remote.size != job.size {
        return Ok(None);
    }
    let src = job.source.clone();
    let local = tokio::task::spawn_blocking(move || storage::local_etag(&src, part_size))
        .await
        .map_err(|e| Error::Storage { location: job.source.display().to_string(), message: e.to_string() })??;
    Ok((remote.etag.as_deref() == Some(local.as_str())).then_some(local))
}

pub async fn upload(opts: UploadOptions, progress: Arc<dyn Progress>) -> Result<UploadReport> {
    let started = Instant::now();
    let jobs = collect(&opts.paths, "")?;
    let store = storage::open(&opts.destination, &opts.s3).await?;
    store.check().await?;
    let total: u64 = jobs.iter().map(|j| j.size).sum();
    progress.start("upload", Some(total));
    let put = PutOptions { part_size: opts.part_size, metadata: vec![] };
    let opts = Arc::new(opts);
    // Each file is its own task, so a panic in one is caught here (as a failed join) instead of tearing down
    // the whole command; the other files still finish, then the run fails.
    type Outcome = (Job, std::result::Result<Result<Uploaded>, tokio::task::JoinError>);
    let outcomes: Vec<Outcome> = futures::stream::iter(jobs)
        .map(|job| {
            let (store, put, opts) = (store.clone(), put.clone(), opts.clone());
            let task_job = job.clone();
            let task = tokio::spawn(async move { upload_job(&*store, &task_job, &put, &opts).await });
            async move { (job, task.await) }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .inspect(|(job, _)| progress.advance(job.size))
        .collect()
        .await;
    let mut panicked = None;
    let mut results = Vec::with_capacity(outcomes.len());
    for (job, outcome) in outcomes {
        let r = match outcome {
            Ok(r) => r,
            Err(e) => {
                let worker = format!("upload of {}", job.source.display());
                let err = if e.is_panic() {
                    Error::from_panic(worker, e.into_panic())
                } else {
                    Error::Internal { worker, message: e.to_string() }
                };
                panicked.get_or_insert(err);
                continue;
            }
        };
        let location = store.location().display_key(&job.key);
        let (action, etag, removed, error) = match r {
            Ok((action, etag, removed)) => (action, etag, removed, None),
            Err(e) => (UploadAction::Failed, None, false, Some(e.to_string())),
        };
        results.push(UploadedFile {
            source: job.source.display().to_string(),
            location,
            key: job.key,
            bytes: job.size,
            action,
            source_removed: removed,
            etag,
            error,
        });
    }
    if let Some(e) = panicked {
        progress.finish();
        return Err(e);
    }
    progress.finish();
    let mut files = results;
    files.sort_by(|a, b| a.key.cmp(&b.key));
    let count = |a: UploadAction| files.iter().filter(|f| f.action == a).count();
    let uploaded = count(UploadAction::Uploaded);
    let skipped = count(UploadAction::Skipped) + count(UploadAction::WouldSkip);
    let failed = count(UploadAction::Failed);
    let bytes_uploaded: u64 = files.iter().filter(|f| f.action == UploadAction::Uploaded).map(|f| f.bytes).sum();
    let elapsed = started.elapsed();
    Ok(UploadReport {
        status: if opts.plan { "plan" } else if failed > 0 { "partial" } else { "ok" }.to_string(),
        destination: opts.destination.to_string(),
        uploaded,
        skipped,
        failed,
        bytes_uploaded,
        elapsed_ms: elapsed.as_millis() as u64,
        mib_per_sec: if elapsed.as_secs_f64() > 0.0 {
            (bytes_uploaded as f64 / 1048576.0 / elapsed.as_secs_f64() * 10.0).round() / 10.0
        } else {
            0.0
        },
        files,
    })
}

/// What happened to one file: the action, the stored ETag, whether the source was removed.
type Uploaded = (UploadAction, Option<String>, bool);

async fn upload_job(store: &dyn BlobStore, job: &Job, put: &PutOptions, opts: &UploadOptions) -> Result<Uploaded> {
    if job.key.ends_with(".parquet") {
        let src = job.source.clone();
        let complete = tokio::task::spawn_blocking(move || has_parquet_footer(&src))
            .await
            .map_err(|e| Error::Storage { location: job.source.display().to_string(), message: e.to_string() })?
            .map_err(|e| Error::io("read", &job.source, e))?;
        if !complete {
            return Err(Error::BadInput {
                file: job.source.display().to_string(),
                message: "not a complete Parquet file (no footer); not uploaded".into(),
            });
        }
    }
    if opts.skip_existing
        && let Some(etag) = same_object(store, job, opts.part_size).await? {
            let action = if opts.plan { UploadAction::WouldSkip } else { UploadAction::Skipped };
            return Ok((action, Some(etag), false));
        }
    if opts.plan {
        return Ok((UploadAction::WouldUpload, None, false));
    }
    crate::engine::failpoint::panic_point("upload.put");
    let out = store.put_file(&job.key, &job.source, put).await?;
    let addr = store.location().display_key(&job.key);
    let remote = store.head(&job.key).await?.ok_or_else(|| Error::Storage {
        location: addr.clone(),
        message: "upload reported success but the object is missing".into(),
    })?;
    let md5_like = |e: &str| {
        let base = e.split('-').next().unwrap_or("");
        base.len() == 32 && base.bytes().all(|b| b.is_ascii_hexdigit())
    };
    if remote.size != out.size || remote.etag.as_deref().is_some_and(|e| md5_like(e) && e != out.etag) {
        return Err(Error::Storage {
            location: addr,
            message: format!(
                "verification failed: sent {} bytes (etag {}), store has {} bytes (etag {})",
                out.size,
                out.etag,
                remote.size,
                remote.etag.unwrap_or_default()
            ),
        });
    }
    let mut removed = false;
    if opts.remove_source {
        std::fs::remove_file(&job.source).map_err(|e| Error::io("remove source", &job.source, e))?;
        removed = true;
    }
    Ok((UploadAction::Uploaded, Some(out.etag), removed))
}
