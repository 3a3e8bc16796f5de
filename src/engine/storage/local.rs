//! BlobStore over a local directory: temp file → fsync → rename for puts, `O_EXCL` for create-only puts.

use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::{BlobStore, Location, ObjectMeta, PutOptions, PutOutcome};
use crate::engine::error::{Error, Result};

pub struct LocalStore {
    root: PathBuf,
    location: Location,
}

impl LocalStore {
    pub fn new(root: PathBuf) -> Self {
        Self { location: Location::Local(root.clone()), root }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }
}

/// Flushes a directory entry so a rename inside it survives a crash.
pub fn fsync_dir(dir: &Path) -> Result<()> {
    let d = std::fs::File::open(dir).map_err(|e| Error::io("open directory", dir, e))?;
    d.sync_all().map_err(|e| Error::io("fsync directory", dir, e))
}

/// Writes `data` to `path` atomically: a hidden temp file in the same directory, fsync, rename, fsync dir.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
    f.write_all(data).and_then(|_| f.sync_all()).map_err(|e| Error::io("write", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io("rename", path, e))?;
    fsync_dir(dir)
}

fn meta_of(key: String, m: &std::fs::Metadata) -> ObjectMeta {
    let last_modified_ms = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    ObjectMeta { key, size: m.len(), last_modified_ms, etag: None }
}


#[async_trait]
impl BlobStore for LocalStore {
    fn location(&self) -> &Location {
        &self.location
    }

    async fn check(&self) -> Result<()> {
        std::fs::create_dir_all(&self.root).map_err(|e| Error::io("create directory", &self.root, e))?;
        let probe = self.root.join(format!(".prestige-probe-{}", uuid::Uuid::new_v4().simple()));
        std::fs::File::create(&probe).map_err(|e| Error::io("write into", &self.root, e))?;
        let _ = std::fs::remove_file(&probe);
        Ok(())
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>> {
        let p = self.path(key);
        match std::fs::metadata(&p) {
            Ok(m) if m.is_file() => Ok(Some(meta_of(key.to_string(), &m))),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("stat", p, e)),
        }
    }

    async fn put_file(&self, key: &str, path: &Path, opts: &PutOptions) -> Result<PutOutcome> {
        let data = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
        write_atomic(&self.path(key), &data)?;
        Ok(PutOutcome { size: data.len() as u64, etag: super::local_etag(path, opts.part_size)? })
    }
}
