//! BlobStore over a local directory: temp file → fsync → rename for puts, `O_EXCL` for create-only puts.

use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;

use super::{BlobStore, Location, ObjectMeta, PutOptions, PutOutcome, WriteCondition};
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

/// The directory holding `path`: `.` for a bare file name (whose `parent()` is the empty path).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Writes `data` to `path` atomically: a hidden temp file in the same directory, fsync, rename, fsync dir.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let dir = parent_dir(path);
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
    f.write_all(data).and_then(|_| f.sync_all()).map_err(|e| Error::io("write", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io("rename", path, e))?;
    fsync_dir(dir)
}

/// An exclusive `flock` on a directory, held while a conditional write checks and replaces an object in it, so
/// check and replace are one step for every prestige process on this machine (released when dropped, or when
/// the process dies).
struct DirGuard {
    _dir: std::fs::File,
}

impl DirGuard {
    fn lock(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
        let f = std::fs::File::open(dir).map_err(|e| Error::io("open directory", dir, e))?;
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // Holders keep it for a read and a rename; a holder stopped (SIGSTOP, debugger) in that instant must
            // not hang everyone else forever.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                // SAFETY: flock(2) on a descriptor we own; no memory is shared with the kernel.
                if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                    break;
                }
                let e = std::io::Error::last_os_error();
                let busy = e.raw_os_error() == Some(libc::EWOULDBLOCK);
                if !(busy || e.kind() == std::io::ErrorKind::Interrupted) || std::time::Instant::now() > deadline {
                    return Err(Error::io("lock directory", dir, e));
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        Ok(Self { _dir: f })
    }
}

/// The tag of a local object: the hex md5 of its content (what S3 reports as the ETag of a single-part object).
fn read_tagged(p: &Path) -> Result<Option<(Bytes, String)>> {
    match std::fs::read(p) {
        Ok(d) => {
            let tag = super::md5_hex(&d);
            Ok(Some((Bytes::from(d), tag)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", p, e)),
    }
}

/// Creates `path` with `data` only if nothing has that name: the content goes to a temporary name first, then
/// is hard-linked into place (link(2) fails if the name exists), so the object appears atomically and complete,
/// like S3's `If-None-Match: *`. Returns false if the name was taken.
fn create_new(p: &Path, data: &[u8]) -> Result<bool> {
    let dir = parent_dir(p);
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    let tmp = dir.join(format!(".prestige-create-{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(data).and_then(|_| f.sync_all()))
        .map_err(|e| Error::io("write", &tmp, e));
    let linked = written.and_then(|_| match std::fs::hard_link(&tmp, p) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::io("create", p, e)),
    });
    let _ = std::fs::remove_file(&tmp);
    if matches!(linked, Ok(true)) {
        fsync_dir(dir)?;
    }
    linked
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


fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, std::fs::Metadata)>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let ft = entry.file_type()?;
        let p = entry.path();
        if ft.is_dir() {
            walk(root, &p, out)?;
        } else if ft.is_file() {
            let rel = p.strip_prefix(root).unwrap_or(&p).to_string_lossy().replace('\\', "/");
            out.push((rel, entry.metadata()?));
        }
    }
    Ok(())
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

    async fn list(&self, prefix: &str, start_after: Option<&str>) -> Result<Vec<ObjectMeta>> {
        let root = self.root.clone();
        // Walk only the folder the prefix names; keys below it are then filtered by the full prefix.
        let folder = match prefix.rfind('/') {
            Some(i) => root.join(&prefix[..i]),
            None => root.clone(),
        };
        let mut found = Vec::new();
        walk(&root, &folder, &mut found).map_err(|e| Error::io("list", &folder, e))?;
        let mut out: Vec<ObjectMeta> = found
            .into_iter()
            .filter(|(k, _)| k.starts_with(prefix) && start_after.is_none_or(|s| k.as_str() > s))
            .map(|(k, m)| meta_of(k, &m))
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn get(&self, key: &str) -> Result<Bytes> {
        let p = self.path(key);
        std::fs::read(&p).map(Bytes::from).map_err(|e| Error::io("read", p, e))
    }

    /// A local read costs nothing per request: only touching ranges are merged.
    fn coalesce_gap(&self) -> u64 {
        0
    }

    async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes> {
        let p = self.path(key);
        let mut f = std::fs::File::open(&p).map_err(|e| Error::io("open", &p, e))?;
        f.seek(SeekFrom::Start(range.start)).map_err(|e| Error::io("seek", &p, e))?;
        let mut buf = vec![0u8; (range.end - range.start) as usize];
        f.read_exact(&mut buf).map_err(|e| Error::io("read", &p, e))?;
        Ok(Bytes::from(buf))
    }

    async fn put_bytes(&self, key: &str, data: Bytes, create_only: bool) -> Result<bool> {
        let p = self.path(key);
        if !create_only {
            write_atomic(&p, &data)?;
            return Ok(true);
        }
        create_new(&p, &data)
    }

    async fn get_tagged(&self, key: &str) -> Result<Option<(Bytes, String)>> {
        read_tagged(&self.path(key))
    }

    async fn put_if(&self, key: &str, data: Bytes, cond: &WriteCondition) -> Result<Option<String>> {
        let p = self.path(key);
        let _guard = DirGuard::lock(parent_dir(&p))?;
        let tag = super::md5_hex(&data);
        match cond {
            WriteCondition::Absent => Ok(create_new(&p, &data)?.then_some(tag)),
            WriteCondition::Matches(want) => match read_tagged(&p)? {
                Some((_, have)) if &have == want => {
                    write_atomic(&p, &data)?;
                    Ok(Some(tag))
                }
                _ => Ok(None),
            },
        }
    }

    async fn delete_if(&self, key: &str, tag: &str) -> Result<bool> {
        let p = self.path(key);
        let dir = parent_dir(&p);
        let _guard = DirGuard::lock(dir)?;
        match read_tagged(&p)? {
            Some((_, have)) if have == tag => {
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
                    Err(e) => return Err(Error::io("delete", &p, e)),
                }
                fsync_dir(dir)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete(&self, keys: &[String]) -> Result<Vec<(String, String)>> {
        let mut failed = Vec::new();
        for k in keys {
            match std::fs::remove_file(self.path(k)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => failed.push((k.clone(), e.to_string())),
            }
        }
        Ok(failed)
    }

    async fn put_file(&self, key: &str, path: &Path, opts: &PutOptions) -> Result<PutOutcome> {
        let data = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
        write_atomic(&self.path(key), &data)?;
        Ok(PutOutcome { size: data.len() as u64, etag: super::local_etag(path, opts.part_size)? })
    }
}
