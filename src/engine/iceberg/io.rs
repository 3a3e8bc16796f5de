//! Table file I/O for iceberg-rust: a `Storage` that serves local paths (`/…`, `file://…`) with iceberg-rust's
//! local file system storage and `s3://` (also `s3a://`, `s3n://`) paths with prestige's own S3 client — one S3
//! configuration story (AWS chain, `--endpoint-url`, a catalog's `s3.*` settings) for tables and prefixes.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use iceberg::io::{
    FileIO, FileIOBuilder, FileMetadata, FileRead, FileWrite, InputFile, LocalFsStorage, OutputFile, Storage,
    StorageConfig, StorageFactory,
};
use serde::{Deserialize, Serialize};

use crate::engine::storage::s3::S3Store;
use crate::engine::storage::{BlobStore, Location, S3Settings};

/// A FileIO for a table's files with these S3 settings.
pub fn file_io(s3: &S3Settings) -> FileIO {
    FileIOBuilder::new(Arc::new(LakeStorageFactory { s3: Some(s3.clone()) })).build()
}

/// Splits `s3://bucket/key` (or `s3a://`, `s3n://`) into bucket and key.
pub fn split_s3(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("s3://").or_else(|| path.strip_prefix("s3a://")).or_else(|| path.strip_prefix("s3n://"))?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    Some((bucket, key))
}

/// A location path without a `file:` scheme: what the local file system calls it.
pub fn local_path(path: &str) -> Option<std::path::PathBuf> {
    if split_s3(path).is_some() || (path.contains("://") && !path.starts_with("file:")) {
        return None;
    }
    let p = path.strip_prefix("file://").or_else(|| path.strip_prefix("file:")).unwrap_or(path);
    Some(std::path::PathBuf::from(p))
}

/// Tells the kernel a local file's cached pages are not needed any more (a metadata file a commit superseded:
/// written once, synced, and read again only by someone travelling back in time). A long ingest writes a new
/// metadata file per commit, each listing every snapshot; without this, every superseded version stays in the
/// page cache (1.3 GB after 2,000 commits), evicting data that is read, and each new file is written into
/// fresh pages: on virtual machines that hand free memory back to the host, that page touching is what made
/// commits grow slower with the table's history. Best effort; a no-op for S3 and where the hint does not exist.
pub fn release_cached(path: &str) {
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    if let Some(p) = local_path(path)
        && let Ok(f) = std::fs::File::open(&p)
    {
        use std::os::fd::AsRawFd;
        // SAFETY: posix_fadvise on a file descriptor we own for the duration of the call; it only affects
        // the page cache (clean pages are dropped, dirty ones are left alone).
        unsafe {
            libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    let _ = path;
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct LakeStorageFactory {
    #[serde(skip)]
    s3: Option<S3Settings>,
}

#[typetag::serde]
impl StorageFactory for LakeStorageFactory {
    fn build(&self, _config: &StorageConfig) -> iceberg::Result<Arc<dyn Storage>> {
        Ok(Arc::new(LakeStorage {
            inner: Some(Arc::new(Inner {
                s3: self.s3.clone().unwrap_or_default(),
                local: LocalFsStorage::new(),
                buckets: tokio::sync::Mutex::new(HashMap::new()),
            })),
        }))
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct LakeStorage {
    #[serde(skip)]
    inner: Option<Arc<Inner>>,
}

struct Inner {
    s3: S3Settings,
    local: LocalFsStorage,
    buckets: tokio::sync::Mutex<HashMap<String, Arc<S3Store>>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner").field("s3", &self.s3).finish()
    }
}

fn err(message: String) -> iceberg::Error {
    iceberg::Error::new(iceberg::ErrorKind::Unexpected, message)
}

fn storage_err(path: &str, e: crate::engine::error::Error) -> iceberg::Error {
    let kind = match &e {
        crate::engine::error::Error::NotFound { .. } => iceberg::ErrorKind::DataInvalid,
        _ => iceberg::ErrorKind::Unexpected,
    };
    iceberg::Error::new(kind, format!("{path}: {e}"))
}

enum Target<'a> {
    Local,
    S3(&'a str, &'a str),
}

impl LakeStorage {
    fn inner(&self) -> iceberg::Result<&Arc<Inner>> {
        self.inner.as_ref().ok_or_else(|| err("table storage used before it was configured".into()))
    }

    fn target(path: &str) -> iceberg::Result<Target<'_>> {
        if let Some((b, k)) = split_s3(path) {
            return Ok(Target::S3(b, k));
        }
        if local_path(path).is_some() {
            return Ok(Target::Local);
        }
        Err(err(format!("{path}: unsupported location scheme (prestige reads local paths, file:// and s3://)")))
    }

    async fn bucket(&self, bucket: &str) -> iceberg::Result<Arc<S3Store>> {
        let inner = self.inner()?;
        let mut map = inner.buckets.lock().await;
        if let Some(s) = map.get(bucket) {
            return Ok(s.clone());
        }
        let loc = Location::S3 { bucket: bucket.to_string(), prefix: String::new() };
        let store = Arc::new(
            S3Store::connect(bucket.to_string(), String::new(), loc, &inner.s3)
                .await
                .map_err(|e| storage_err(bucket, e))?,
        );
        map.insert(bucket.to_string(), store.clone());
        Ok(store)
    }
}

#[async_trait]
#[typetag::serde]
impl Storage for LakeStorage {
    async fn exists(&self, path: &str) -> iceberg::Result<bool> {
        match Self::target(path)? {
            Target::Local => self.inner()?.local.exists(path).await,
            Target::S3(b, k) => Ok(self.bucket(b).await?.head(k).await.map_err(|e| storage_err(path, e))?.is_some()),
        }
    }

    async fn metadata(&self, path: &str) -> iceberg::Result<FileMetadata> {
        match Self::target(path)? {
            Target::Local => self.inner()?.local.metadata(path).await,
            Target::S3(b, k) => match self.bucket(b).await?.head(k).await.map_err(|e| storage_err(path, e))? {
                Some(m) => Ok(FileMetadata { size: m.size }),
                None => Err(iceberg::Error::new(iceberg::ErrorKind::DataInvalid, format!("{path}: not found"))),
            },
        }
    }

    async fn read(&self, path: &str) -> iceberg::Result<Bytes> {
        match Self::target(path)? {
            Target::Local => self.inner()?.local.read(path).await,
            Target::S3(b, k) => self.bucket(b).await?.get(k).await.map_err(|e| storage_err(path, e)),
        }
    }

    async fn reader(&self, path: &str) -> iceberg::Result<Box<dyn FileRead>> {
        match Self::target(path)? {
            Target::Local => self.inner()?.local.reader(path).await,
            Target::S3(b, k) => {
                Ok(Box::new(S3Read { store: self.bucket(b).await?, key: k.to_string(), path: path.to_string() }))
            }
        }
    }

    async fn write(&self, path: &str, bs: Bytes) -> iceberg::Result<()> {
        match Self::target(path)? {
            // Through the writer, which syncs on close: iceberg-rust's one-shot `write` does not, and a metadata
            // file the catalog points at must be on disk before the catalog's (synced) commit is.
            Target::Local => {
                let mut w = self.inner()?.local.writer(path).await?;
                w.write(bs).await?;
                w.close().await
            }
            Target::S3(b, k) => {
                self.bucket(b).await?.put_bytes(k, bs, false).await.map_err(|e| storage_err(path, e)).map(|_| ())
            }
        }
    }

    async fn writer(&self, path: &str) -> iceberg::Result<Box<dyn FileWrite>> {
        match Self::target(path)? {
            Target::Local => self.inner()?.local.writer(path).await,
            Target::S3(b, k) => Ok(Box::new(S3Write {
                store: self.bucket(b).await?,
                key: k.to_string(),
                path: path.to_string(),
                buf: Vec::new(),
            })),
        }
    }

    async fn delete(&self, path: &str) -> iceberg::Result<()> {
        match Self::target(path)? {
            Target::Local => self.inner()?.local.delete(path).await,
            Target::S3(b, k) => {
                let failed = self.bucket(b).await?.delete(&[k.to_string()]).await.map_err(|e| storage_err(path, e))?;
                match failed.first() {
                    Some((key, msg)) => Err(err(format!("s3://{b}/{key}: delete failed: {msg}"))),
                    None => Ok(()),
                }
            }
        }
    }

    async fn delete_prefix(&self, path: &str) -> iceberg::Result<()> {
        match Self::target(path)? {
            Target::Local => self.inner()?.local.delete_prefix(path).await,
            Target::S3(b, k) => {
                let store = self.bucket(b).await?;
                let prefix = if k.is_empty() || k.ends_with('/') { k.to_string() } else { format!("{k}/") };
                let keys: Vec<String> = store
                    .list(&prefix, None)
                    .await
                    .map_err(|e| storage_err(path, e))?
                    .into_iter()
                    .map(|m| m.key)
                    .collect();
                for chunk in keys.chunks(1000) {
                    store.delete(chunk).await.map_err(|e| storage_err(path, e))?;
                }
                Ok(())
            }
        }
    }

    async fn delete_stream(&self, mut paths: BoxStream<'static, String>) -> iceberg::Result<()> {
        while let Some(p) = paths.next().await {
            self.delete(&p).await?;
        }
        Ok(())
    }

    fn new_input(&self, path: &str) -> iceberg::Result<InputFile> {
        Ok(InputFile::new(Arc::new(LakeStorage { inner: Some(self.inner()?.clone()) }), path.to_string()))
    }

    fn new_output(&self, path: &str) -> iceberg::Result<OutputFile> {
        Ok(OutputFile::new(Arc::new(LakeStorage { inner: Some(self.inner()?.clone()) }), path.to_string()))
    }
}

struct S3Read {
    store: Arc<S3Store>,
    key: String,
    path: String,
}

#[async_trait]
impl FileRead for S3Read {
    async fn read(&self, range: Range<u64>) -> iceberg::Result<Bytes> {
        self.store.get_range(&self.key, range).await.map_err(|e| storage_err(&self.path, e))
    }
}

/// Buffers the whole object and puts it on close: table files written through FileIO are metadata (manifests,
/// manifest lists, metadata JSON), small by nature; data files are uploaded by the ingest pipeline itself.
struct S3Write {
    store: Arc<S3Store>,
    key: String,
    path: String,
    buf: Vec<u8>,
}

#[async_trait]
impl FileWrite for S3Write {
    async fn write(&mut self, bs: Bytes) -> iceberg::Result<()> {
        self.buf.extend_from_slice(&bs);
        Ok(())
    }

    async fn close(&mut self) -> iceberg::Result<()> {
        let data = Bytes::from(std::mem::take(&mut self.buf));
        self.store.put_bytes(&self.key, data, false).await.map_err(|e| storage_err(&self.path, e))?;
        Ok(())
    }
}
