//! BlobStore over S3 (aws-sdk-s3): standard credential chain, path-style for custom endpoints,
//! parallel multipart puts with per-part Content-MD5, bounded retries with backoff and jitter.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use base64::Engine as _;
use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::Semaphore;

use super::{BlobStore, Location, ObjectMeta, PutOptions, PutOutcome, S3Settings, WriteCondition};
use crate::engine::error::{Error, Result};

/// Attempts per request, on top of the SDK's own quick retry; see `backoff` for the waits between them.
const ATTEMPTS: u32 = 7;

pub struct S3Store {
    client: Client,
    bucket: String,
    prefix: String,
    location: Location,
    part_permits: Arc<Semaphore>,
}

/// Builds an S3 client from the standard AWS chain plus the explicit settings.
pub async fn client(settings: &S3Settings) -> Client {
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(p) = &settings.profile {
        loader = loader.profile_name(p);
    }
    use aws_config::meta::region::RegionProviderChain;
    let explicit = RegionProviderChain::first_try(settings.region.clone().map(Region::new));
    // With a custom endpoint there is no instance metadata to ask: env and profile only.
    let region = if settings.endpoint_url.is_some() {
        explicit
            .or_else(aws_config::environment::EnvironmentVariableRegionProvider::new())
            .or_else(aws_config::profile::ProfileFileRegionProvider::new())
            .or_else(Region::new("us-east-1"))
    } else {
        explicit.or_default_provider().or_else(Region::new("us-east-1"))
    };
    loader = loader.region(region);
    if let Some(e) = &settings.endpoint_url {
        loader = loader.endpoint_url(e);
    }
    if let Some(c) = &settings.static_credentials {
        loader = loader.credentials_provider(aws_credential_types::Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.clone(),
            c.session_token.clone(),
            None,
            "catalog",
        ));
    }
    loader = loader
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .read_timeout(Duration::from_secs(60))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(2));
    let sdk = loader.load().await;
    let mut b = aws_sdk_s3::config::Builder::from(&sdk)
        // S3-compatible stores differ in their support of the newer flexible checksums; we send Content-MD5.
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    if sdk.endpoint_url().is_some() {
        b = b.force_path_style(true);
    }
    Client::from_conf(b.build())
}

impl S3Store {
    pub async fn connect(bucket: String, prefix: String, location: Location, settings: &S3Settings) -> Result<Self> {
        let client = client(settings).await;
        Ok(Self { client, bucket, prefix, location, part_permits: Arc::new(Semaphore::new(settings.concurrency.max(1))) })
    }

    fn full(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    fn addr(&self, key: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.full(key))
    }
}

/// Whether an SDK error is worth another attempt: timeouts, dropped connections, throttling and 5xx.
type Raw = aws_smithy_runtime_api::http::Response;

fn retryable<E: ProvideErrorMetadata + std::error::Error + 'static>(e: &SdkError<E, Raw>) -> bool {
    if credentials_error(e).is_some() {
        // The credential chain already tried every source; asking again will not find credentials.
        return false;
    }
    match e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("");
            let status = status_of(e);
            matches!(code, "SlowDown" | "Throttling" | "ThrottlingException" | "RequestTimeout" | "InternalError")
                || status == Some(429)
                || status.is_some_and(|s| s >= 500)
        }
        _ => false,
    }
}

fn status_of<E>(e: &SdkError<E, Raw>) -> Option<u16> {
    match e {
        SdkError::ServiceError(se) => Some(se.raw().status().as_u16()),
        SdkError::ResponseError(re) => Some(re.raw().status().as_u16()),
        _ => None,
    }
}

/// The credential chain's failure behind an SDK error, if that is what it is.
fn credentials_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a CredentialsError> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(c) = err.downcast_ref::<CredentialsError>() {
            return Some(c);
        }
        cur = err.source();
    }
    None
}

/// An error and its causes as one line, "outer: inner: root", each cause once (the SDK's own rendering appends
/// Debug dumps of whole responses).
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        if !text.is_empty() && !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// Turns an SDK error into an engine error naming `location`.
fn map_err<E>(location: String, e: SdkError<E, Raw>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let Some(c) = credentials_error(&e) {
        let message = format!(
            "no usable AWS credentials (environment, AWS_PROFILE and ~/.aws files, web identity, container or \
             instance metadata were tried): {}",
            describe(c)
        );
        return Error::AccessDenied { location, message };
    }
    let code = e.code().map(str::to_string);
    let status = status_of(&e);
    let message = match (&code, e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.clone(),
        _ => match (&e, status) {
            (SdkError::ServiceError(_), Some(s)) => format!("HTTP {s}"),
            _ => describe(&e),
        },
    };
    match (code.as_deref(), status) {
        (Some("AccessDenied" | "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "ExpiredToken"), _) | (_, Some(403)) => {
            Error::AccessDenied { location, message }
        }
        (Some("NoSuchBucket"), _) => {
            let bucket = location.trim_start_matches("s3://").split('/').next().unwrap_or("").to_string();
            Error::NotFound { location: format!("s3://{bucket}"), message: "the bucket does not exist".into() }
        }
        (Some("NoSuchKey" | "NotFound"), _) | (_, Some(404)) => Error::NotFound { location, message },
        _ => Error::Storage { location, message },
    }
}

/// Runs `op` until it succeeds, fails with a non-retryable error, or runs out of attempts.
async fn with_retry<T, E, F, Fut>(what: &str, location: &str, mut op: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, SdkError<E, Raw>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if attempt < ATTEMPTS && retryable(&e) => {
                let delay = backoff(attempt);
                tracing::warn!("{what} {location}: attempt {attempt} failed ({}); retrying in {delay:?}", describe(&e));
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(map_err(location.to_string(), e)),
        }
    }
}

/// Whether a conditional request failed because its condition did not hold (412, a concurrent conditional
/// write's 409, or a 404 for the object itself — not for the bucket).
fn precondition_failed(e: &Error, bucket: &str) -> bool {
    match e {
        Error::Storage { message, .. } => {
            message.starts_with("PreconditionFailed")
                || message.starts_with("ConditionalRequestConflict")
                || message.starts_with("HTTP 412")
                || message.starts_with("HTTP 409")
        }
        Error::NotFound { location, .. } => location != &format!("s3://{bucket}"),
        _ => false,
    }
}

/// Exponential backoff with jitter: half of min(8 s, 125 ms × 2^attempt) plus a random part up to the other half,
/// so retries spread out yet the attempts together still span the ~16 s a restarting server may need.
pub fn backoff(attempt: u32) -> Duration {
    let cap = (125u64 << attempt.min(6)).min(8_000);
    Duration::from_millis(cap / 2 + rand::random_range(0..=cap / 2))
}

fn md5_b64(data: &[u8]) -> (String, [u8; 16]) {
    use md5::Digest;
    let d: [u8; 16] = md5::Md5::digest(data).into();
    (base64::engine::general_purpose::STANDARD.encode(d), d)
}

fn unquote(etag: Option<&str>) -> Option<String> {
    etag.map(|e| e.trim_matches('"').to_string())
}

/// Reads `len` bytes of `path` at `offset` without blocking the async workers.
async fn read_part(path: &Path, offset: u64, len: usize) -> Result<Bytes> {
    let p = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = std::fs::File::open(&p).map_err(|e| Error::io("open", &p, e))?;
        f.seek(SeekFrom::Start(offset)).map_err(|e| Error::io("seek", &p, e))?;
        let mut buf = vec![0u8; len];
        f.read_exact(&mut buf).map_err(|e| Error::io("read", &p, e))?;
        Ok(Bytes::from(buf))
    })
    .await
    .map_err(|e| Error::Storage { location: path.display().to_string(), message: e.to_string() })?
}

impl S3Store {
    async fn put_single(&self, key: &str, data: Bytes, opts: &PutOptions) -> Result<PutOutcome> {
        let (md5, digest) = md5_b64(&data);
        let full = self.full(key);
        let addr = self.addr(key);
        let size = data.len() as u64;
        with_retry("put", &addr, || {
            let mut req = self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(&full)
                .content_md5(&md5)
                .body(ByteStream::from(data.clone()));
            for (k, v) in &opts.metadata {
                req = req.metadata(k, v);
            }
            req.send()
        })
        .await?;
        Ok(PutOutcome { size, etag: hex::encode(digest) })
    }

    async fn put_multipart(&self, key: &str, path: &Path, size: u64, opts: &PutOptions) -> Result<PutOutcome> {
        let full = self.full(key);
        let addr = self.addr(key);
        let created = with_retry("create multipart upload", &addr, || {
            let mut req = self.client.create_multipart_upload().bucket(&self.bucket).key(&full);
            for (k, v) in &opts.metadata {
                req = req.metadata(k, v);
            }
            req.send()
        })
        .await?;
        let upload_id = created.upload_id().unwrap_or_default().to_string();
        let part_size = opts.part_size;
        let parts = size.div_ceil(part_size);
        let results: Vec<Result<(CompletedPart, [u8; 16])>> = futures::stream::iter(0..parts)
            .map(|i| {
                let (full, addr, upload_id) = (&full, &addr, &upload_id);
                async move {
                    let _permit = self.part_permits.acquire().await.map_err(|e| Error::Storage {
                        location: addr.clone(),
                        message: e.to_string(),
                    })?;
                    let offset = i * part_size;
                    let len = part_size.min(size - offset) as usize;
                    let data = read_part(path, offset, len).await?;
                    let (md5, digest) = md5_b64(&data);
                    let number = (i + 1) as i32;
                    let out = with_retry("upload part", addr, || {
                        self.client
                            .upload_part()
                            .bucket(&self.bucket)
                            .key(full)
                            .upload_id(upload_id)
                            .part_number(number)
                            .content_md5(&md5)
                            .body(ByteStream::from(data.clone()))
                            .send()
                    })
                    .await?;
                    crate::engine::failpoint::hit("upload.after_part");
                    Ok((CompletedPart::builder().part_number(number).set_e_tag(out.e_tag).build(), digest))
                }
            })
            .buffered(self.part_permits.available_permits().max(1) * 2)
            .collect()
            .await;
        let mut completed = Vec::with_capacity(results.len());
        let mut digests = Vec::with_capacity(results.len() * 16);
        for r in results {
            match r {
                Ok((part, d)) => {
                    completed.push(part);
                    digests.extend_from_slice(&d);
                }
                Err(e) => {
                    let _ = self
                        .client
                        .abort_multipart_upload()
                        .bucket(&self.bucket)
                        .key(&full)
                        .upload_id(&upload_id)
                        .send()
                        .await;
                    return Err(e);
                }
            }
        }
        let body = CompletedMultipartUpload::builder().set_parts(Some(completed)).build();
        let done = with_retry("complete multipart upload", &addr, || {
            self.client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(&full)
                .upload_id(&upload_id)
                .multipart_upload(body.clone())
                .send()
        })
        .await;
        if let Err(e) = done {
            // A completion whose reply was lost may have landed: the object then has our expected size.
            if !matches!(self.head(key).await, Ok(Some(m)) if m.size == size) {
                return Err(e);
            }
        }
        let etag = format!("{}-{parts}", super::md5_hex(&digests));
        Ok(PutOutcome { size, etag })
    }
}

#[async_trait]
impl BlobStore for S3Store {
    fn location(&self) -> &Location {
        &self.location
    }

    async fn check(&self) -> Result<()> {
        let addr = format!("s3://{}", self.bucket);
        with_retry("check bucket", &addr, || self.client.head_bucket().bucket(&self.bucket).send())
            .await
            .map_err(|e| match e {
                Error::NotFound { location, .. } => {
                    Error::NotFound { location, message: "the bucket does not exist".into() }
                }
                other => other,
            })?;
        Ok(())
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>> {
        let full = self.full(key);
        match with_retry("head", &self.addr(key), || self.client.head_object().bucket(&self.bucket).key(&full).send())
            .await
        {
            Ok(o) => Ok(Some(ObjectMeta {
                key: key.to_string(),
                size: o.content_length().unwrap_or(0).max(0) as u64,
                last_modified_ms: o.last_modified().and_then(|t| t.to_millis().ok()).unwrap_or(0),
                etag: unquote(o.e_tag()).or_else(|| o.metadata().and_then(|m| m.get("prestige-etag").cloned())),
            })),
            Err(Error::NotFound { location, .. }) if location != format!("s3://{}", self.bucket) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn list(&self, prefix: &str, start_after: Option<&str>) -> Result<Vec<ObjectMeta>> {
        let full_prefix = self.full(prefix);
        let start = start_after.map(|s| self.full(s));
        let addr = self.addr(prefix);
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = with_retry("list", &addr, || {
                self.client
                    .list_objects_v2()
                    .bucket(&self.bucket)
                    .prefix(&full_prefix)
                    .set_start_after(if token.is_none() { start.clone() } else { None })
                    .set_continuation_token(token.clone())
                    .send()
            })
            .await?;
            for o in page.contents() {
                let Some(k) = o.key() else { continue };
                let Some(rel) = k.strip_prefix(&self.prefix) else { continue };
                out.push(ObjectMeta {
                    key: rel.to_string(),
                    size: o.size().unwrap_or(0).max(0) as u64,
                    last_modified_ms: o.last_modified().and_then(|t| t.to_millis().ok()).unwrap_or(0),
                    etag: unquote(o.e_tag()),
                });
            }
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn get(&self, key: &str) -> Result<Bytes> {
        let full = self.full(key);
        let addr = self.addr(key);
        let out = with_retry("get", &addr, || self.client.get_object().bucket(&self.bucket).key(&full).send()).await?;
        let data = out.body.collect().await.map_err(|e| Error::Storage { location: addr, message: e.to_string() })?;
        Ok(data.into_bytes())
    }

    async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes> {
        let full = self.full(key);
        let addr = self.addr(key);
        let header = format!("bytes={}-{}", range.start, range.end.saturating_sub(1));
        let out = with_retry("get", &addr, || {
            self.client.get_object().bucket(&self.bucket).key(&full).range(&header).send()
        })
        .await?;
        let data = out.body.collect().await.map_err(|e| Error::Storage { location: addr, message: e.to_string() })?;
        Ok(data.into_bytes())
    }

    async fn put_bytes(&self, key: &str, data: Bytes, create_only: bool) -> Result<bool> {
        let full = self.full(key);
        let addr = self.addr(key);
        let (md5, _) = md5_b64(&data);
        let res = with_retry("put", &addr, || {
            let mut req = self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(&full)
                .content_md5(&md5)
                .body(ByteStream::from(data.clone()));
            if create_only {
                req = req.if_none_match("*");
            }
            req.send()
        })
        .await;
        match res {
            Ok(_) => Ok(true),
            Err(Error::Storage { message, .. }) if create_only && message.starts_with("PreconditionFailed") => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn get_tagged(&self, key: &str) -> Result<Option<(Bytes, String)>> {
        let full = self.full(key);
        let addr = self.addr(key);
        let out = match with_retry("get", &addr, || self.client.get_object().bucket(&self.bucket).key(&full).send()).await
        {
            Ok(o) => o,
            Err(Error::NotFound { location, .. }) if location != format!("s3://{}", self.bucket) => return Ok(None),
            Err(e) => return Err(e),
        };
        let tag = unquote(out.e_tag()).unwrap_or_default();
        let data = out.body.collect().await.map_err(|e| Error::Storage { location: addr, message: e.to_string() })?;
        let data = data.into_bytes();
        let tag = if tag.is_empty() { super::md5_hex(&data) } else { tag };
        Ok(Some((data, tag)))
    }

    /// `If-None-Match: *` or `If-Match: "etag"`. A 412 (or 409, a concurrent conditional write, or 404, the
    /// object gone before an `If-Match`) means the condition did not hold. A retried attempt whose first try
    /// landed also sees 412: callers that must know compare the stored content with what they wrote.
    async fn put_if(&self, key: &str, data: Bytes, cond: &WriteCondition) -> Result<Option<String>> {
        let full = self.full(key);
        let addr = self.addr(key);
        let (md5, digest) = md5_b64(&data);
        let res = with_retry("conditional put", &addr, || {
            let req = self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(&full)
                .content_md5(&md5)
                .body(ByteStream::from(data.clone()));
            let req = match cond {
                WriteCondition::Absent => req.if_none_match("*"),
                WriteCondition::Matches(tag) => req.if_match(format!("\"{tag}\"")),
            };
            req.send()
        })
        .await;
        match res {
            Ok(o) => Ok(Some(unquote(o.e_tag()).unwrap_or_else(|| hex::encode(digest)))),
            Err(e) if precondition_failed(&e, &self.bucket) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn delete_if(&self, key: &str, tag: &str) -> Result<bool> {
        let full = self.full(key);
        let addr = self.addr(key);
        let quoted = format!("\"{tag}\"");
        let res = with_retry("conditional delete", &addr, || {
            self.client.delete_object().bucket(&self.bucket).key(&full).if_match(&quoted).send()
        })
        .await;
        match res {
            Ok(_) => Ok(true),
            Err(e) if precondition_failed(&e, &self.bucket) => Ok(false),
            // A store without conditional deletes: check, then delete (a small window, only for a release).
            Err(Error::Storage { message, .. }) if message.starts_with("NotImplemented") => {
                match self.head(key).await? {
                    Some(m) if m.etag.as_deref() == Some(tag) => {
                        let failed = self.delete(&[key.to_string()]).await?;
                        match failed.into_iter().next() {
                            Some((_, why)) => Err(Error::Storage { location: addr, message: why }),
                            None => Ok(true),
                        }
                    }
                    _ => Ok(false),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn delete(&self, keys: &[String]) -> Result<Vec<(String, String)>> {
        let mut failed = Vec::new();
        for chunk in keys.chunks(1000) {
            let ids: Vec<ObjectIdentifier> = chunk
                .iter()
                .filter_map(|k| ObjectIdentifier::builder().key(self.full(k)).build().ok())
                .collect();
            let del = Delete::builder().set_objects(Some(ids)).quiet(true).build().map_err(|e| Error::Storage {
                location: self.location.to_string(),
                message: e.to_string(),
            })?;
            let out = with_retry("delete", &self.location.to_string(), || {
                self.client.delete_objects().bucket(&self.bucket).delete(del.clone()).send()
            })
            .await;
            match out {
                Ok(o) => {
                    for e in o.errors() {
                        let k = e.key().unwrap_or("").strip_prefix(&self.prefix).unwrap_or("").to_string();
                        failed.push((k, e.message().unwrap_or("delete failed").to_string()));
                    }
                }
                Err(e) => failed.extend(chunk.iter().map(|k| (k.clone(), e.to_string()))),
            }
        }
        Ok(failed)
    }

    async fn abort_incomplete(&self, key: &str) -> Result<usize> {
        let full = self.full(key);
        let addr = self.addr(key);
        let out = with_retry("list multipart uploads", &addr, || {
            self.client.list_multipart_uploads().bucket(&self.bucket).prefix(&full).send()
        })
        .await?;
        let mut aborted = 0;
        for u in out.uploads().iter().filter(|u| u.key() == Some(full.as_str())) {
            let Some(id) = u.upload_id() else { continue };
            with_retry("abort multipart upload", &addr, || {
                self.client.abort_multipart_upload().bucket(&self.bucket).key(&full).upload_id(id).send()
            })
            .await?;
            aborted += 1;
        }
        Ok(aborted)
    }

    async fn put_file(&self, key: &str, path: &Path, opts: &PutOptions) -> Result<PutOutcome> {
        let size = std::fs::metadata(path).map_err(|e| Error::io("stat", path, e))?.len();
        if size <= opts.part_size {
            let data = read_part(path, 0, size as usize).await?;
            let _permit = self.part_permits.acquire().await.map_err(|e| Error::Storage {
                location: self.addr(key),
                message: e.to_string(),
            })?;
            self.put_single(key, data, opts).await
        } else {
            self.put_multipart(key, path, size, opts).await
        }
    }
}
