//! Where data lives: a `Location` (local directory or `s3://bucket/prefix`) and the small `BlobStore` API over it.

pub mod local;
pub mod s3;

use std::ops::Range;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use serde::Serialize;

use super::error::{Error, Result};

/// A place data is read from or written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(PathBuf),
    /// `prefix` is empty or ends with `/`.
    S3 { bucket: String, prefix: String },
}

impl Location {
    /// Parses `s3://bucket[/dir]`, `file:///path` or a plain path.
    pub fn parse(text: &str) -> Result<Self> {
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(Error::Config(format!("{text:?}: missing bucket name (expected s3://bucket/dir)")));
            }
            let mut prefix = prefix.trim_matches('/').to_string();
            if !prefix.is_empty() {
                prefix.push('/');
            }
            return Ok(Location::S3 { bucket: bucket.to_string(), prefix });
        }
        if text.contains("://") && !text.starts_with("file://") {
            return Err(Error::Config(format!("{text:?}: unsupported scheme (use a local path or s3://bucket/dir)")));
        }
        let path = text.strip_prefix("file://").unwrap_or(text);
        if path.is_empty() {
            return Err(Error::Config("empty location".into()));
        }
        Ok(Location::Local(PathBuf::from(path)))
    }

    /// The full address of `key` under this location, for reports and messages.
    pub fn display_key(&self, key: &str) -> String {
        match self {
            Location::Local(p) => p.join(key).display().to_string(),
            Location::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}{key}"),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Local(p) => write!(f, "{}", p.display()),
            Location::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{}", prefix.trim_end_matches('/')),
        }
    }
}

/// One stored object, keyed relative to its store's location.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
    /// Milliseconds since the epoch.
    pub last_modified_ms: i64,
    pub etag: Option<String>,
}

/// How to store a file.
#[derive(Debug, Clone)]
pub struct PutOptions {
    /// Files larger than this go up in parts of this size.
    pub part_size: u64,
    /// Extra user metadata stored with the object.
    pub metadata: Vec<(String, String)>,
}

impl Default for PutOptions {
    fn default() -> Self {
        Self { part_size: 8 << 20, metadata: Vec::new() }
    }
}

/// What a completed put stored.
#[derive(Debug, Clone)]
pub struct PutOutcome {
    pub size: u64,
    /// The content fingerprint as the store computes it (S3 ETag style: md5, or md5 of part md5s with `-N`).
    pub etag: String,
}

/// A condition on a write to an object several processes coordinate through (the compaction lock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteCondition {
    /// Only if no object has the key (S3 `If-None-Match: *`).
    Absent,
    /// Only if the object's current tag is this one (S3 `If-Match` on the ETag).
    Matches(String),
}

/// The operations the engine needs from a store. Keys are relative to the store's location.
#[async_trait]
pub trait BlobStore: Send + Sync {
    fn location(&self) -> &Location;
    /// Verifies the location exists and is reachable with the current credentials.
    async fn check(&self) -> Result<()>;
    /// Objects whose key starts with `prefix`, in key order, strictly after `start_after` when given.
    async fn list(&self, prefix: &str, start_after: Option<&str>) -> Result<Vec<ObjectMeta>>;
    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>>;
    async fn get(&self, key: &str) -> Result<Bytes>;
    async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes>;
    /// Byte ranges of one object closer than this are worth fetching with one request (reading the gap and
    /// throwing it away): a round trip to an object store costs far more than a megabyte of bandwidth.
    fn coalesce_gap(&self) -> u64 {
        1 << 20
    }
    /// Stores a complete local file under `key`; the object is visible only once complete.
    async fn put_file(&self, key: &str, path: &Path, opts: &PutOptions) -> Result<PutOutcome>;
    /// Stores bytes; with `create_only`, returns `Ok(false)` instead of overwriting an existing key.
    async fn put_bytes(&self, key: &str, data: Bytes, create_only: bool) -> Result<bool>;
    /// Reads a small object with its version tag (the ETag on S3, a content hash locally); `None` if absent.
    async fn get_tagged(&self, key: &str) -> Result<Option<(Bytes, String)>> {
        Err(unsupported(self.location(), key))
    }
    /// Stores small bytes only if `cond` holds, atomically with the check; returns the new object's tag, or
    /// `None` when the condition did not hold.
    async fn put_if(&self, key: &str, _data: Bytes, _cond: &WriteCondition) -> Result<Option<String>> {
        Err(unsupported(self.location(), key))
    }
    /// Deletes `key` only if its tag is still `tag`; `false` when it changed or is gone.
    async fn delete_if(&self, key: &str, _tag: &str) -> Result<bool> {
        Err(unsupported(self.location(), key))
    }
    /// Deletes keys; returns the ones that failed with the reason.
    async fn delete(&self, keys: &[String]) -> Result<Vec<(String, String)>>;
    /// Aborts unfinished multipart uploads of exactly `key` (left by a killed process); returns how many.
    async fn abort_incomplete(&self, _key: &str) -> Result<usize> {
        Ok(0)
    }
}

fn unsupported(location: &Location, key: &str) -> Error {
    Error::Storage { location: location.display_key(key), message: "conditional writes are not supported by this store".into() }
}

/// S3 connection settings: everything else comes from the standard AWS chain.
#[derive(Clone, Default)]
pub struct S3Settings {
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    /// Parallel part uploads across all files.
    pub concurrency: usize,
    /// Static credentials (from a catalog's `s3.access-key-id` / `s3.secret-access-key` / `s3.session-token`);
    /// without them the AWS chain is used.
    pub static_credentials: Option<StaticCredentials>,
}

/// An access key with its secret; `Debug` shows neither.
#[derive(Clone)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaticCredentials(***)")
    }
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No secrets live here, but endpoint URLs can carry userinfo: show only scheme and host.
        let endpoint = self.endpoint_url.as_deref().map(redact_url);
        f.debug_struct("S3Settings")
            .field("endpoint_url", &endpoint)
            .field("region", &self.region)
            .field("profile", &self.profile)
            .field("static_credentials", &self.static_credentials.is_some())
            .finish()
    }
}

/// Drops any `user:password@` part of a URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// Opens the store for a location.
pub async fn open(location: &Location, s3: &S3Settings) -> Result<std::sync::Arc<dyn BlobStore>> {
    Ok(match location {
        Location::Local(p) => std::sync::Arc::new(local::LocalStore::new(p.clone())),
        Location::S3 { bucket, prefix } => {
            std::sync::Arc::new(s3::S3Store::connect(bucket.clone(), prefix.clone(), location.clone(), s3).await?)
        }
    })
}

/// Hex md5 of a byte slice (S3 ETag of a single-part object).
pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(data))
}

/// The S3-style ETag of a local file uploaded with `part_size` (md5, or md5 of the part md5s plus `-N`).
pub fn local_etag(path: &Path, part_size: u64) -> Result<String> {
    use md5::Digest;
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
    let size = f.metadata().map_err(|e| Error::io("stat", path, e))?.len();
    let mut buf = vec![0u8; part_size.min(size.max(1)) as usize];
    if size <= part_size {
        f.read_exact(&mut buf[..size as usize]).map_err(|e| Error::io("read", path, e))?;
        return Ok(md5_hex(&buf[..size as usize]));
    }
    let mut outer = md5::Md5::new();
    let mut parts = 0;
    let mut left = size;
    while left > 0 {
        let n = left.min(part_size) as usize;
        f.read_exact(&mut buf[..n]).map_err(|e| Error::io("read", path, e))?;
        outer.update(md5::Md5::digest(&buf[..n]));
        parts += 1;
        left -= n as u64;
    }
    Ok(format!("{}-{parts}", hex::encode(outer.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_locations() {
        assert_eq!(
            Location::parse("s3://b/x/y/").unwrap(),
            Location::S3 { bucket: "b".into(), prefix: "x/y/".into() }
        );
        assert_eq!(Location::parse("s3://b").unwrap(), Location::S3 { bucket: "b".into(), prefix: "".into() });
        assert_eq!(Location::parse("/tmp/x").unwrap(), Location::Local("/tmp/x".into()));
        assert!(Location::parse("gs://b/x").is_err());
        assert!(Location::parse("s3:///x").is_err());
        assert_eq!(redact_url("http://u:p@host:9000"), "http://***@host:9000");
    }
}
