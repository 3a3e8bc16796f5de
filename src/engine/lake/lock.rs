//! The compaction lock as a lease: a small object naming its holder (owner id, host, pid) and an expiry a few
//! tens of seconds ahead, renewed by the running holder with a conditional overwrite (S3 `If-Match` on the
//! lock's ETag; locally an atomic replace under a directory `flock`). A holder whose renewal fails because the
//! object changed has lost the lease and stops before its next destructive step. A crashed holder's lock is
//! taken over once its lease expires, or at once when it names this host and a process that no longer exists.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::engine::error::{Error, Result};
use crate::engine::storage::{BlobStore, WriteCondition};

/// The default lease length; the holder renews every third of it.
pub const DEFAULT_TTL: Duration = Duration::from_secs(30);

/// How the lock is taken.
#[derive(Debug, Clone)]
pub struct LockOptions {
    /// Lease length: a holder that stops renewing loses the lock this long after its last renewal.
    pub ttl: Duration,
    /// Take over whatever lock is there, live holder or not (`--break-lock`).
    pub break_lock: bool,
}

/// The lock object's content.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LockBody {
    /// Unique per run.
    pub owner: String,
    /// The holder's host name (gethostname).
    pub host: String,
    pub pid: u32,
    /// The holder's pid namespace (Linux), so a pid is only judged dead within the namespace it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_ns: Option<String>,
    pub acquired_ms: i64,
    /// The lease runs out at this time (the holder's clock) unless renewed.
    pub expires_ms: i64,
    #[serde(default)]
    pub renewed_ms: i64,
}

/// The host name from the operating system (not `$HOSTNAME`, which cron and most shells do not export).
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `buf.len()` bytes into the buffer we own.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

fn pid_namespace() -> Option<String> {
    std::fs::read_link("/proc/self/ns/pid").ok().map(|p| p.to_string_lossy().into_owned())
}

/// Whether a process with this pid exists on this host (a zombie counts as gone).
fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else { return false };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill(2) with signal 0 only checks that the process exists and may be signalled.
    if unsafe { libc::kill(pid, 0) } != 0 {
        return std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses, which may itself contain ") ".
        Ok(stat) => stat.rsplit_once(") ").is_none_or(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => true,
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn fmt_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

fn describe(h: &LockBody) -> String {
    format!("pid {} on {:?}, since {}, lease expires {}", h.pid, h.host, fmt_ms(h.acquired_ms), fmt_ms(h.expires_ms))
}

struct Held {
    body: LockBody,
    tag: String,
}

struct Shared {
    store: Arc<dyn BlobStore>,
    key: String,
    ttl: Duration,
    /// The current body and its tag; renewals hold this across the store call so they never overlap.
    held: tokio::sync::Mutex<Held>,
    /// Why the lease was lost, once it is.
    lost: std::sync::Mutex<Option<String>>,
    /// The expiry of the last renewal the store confirmed.
    valid_until_ms: AtomicI64,
}

impl Shared {
    fn addr(&self) -> String {
        self.store.location().display_key(&self.key)
    }

    fn lost_error(&self, why: &str) -> Error {
        Error::Busy {
            what: format!(
                "lost the compaction lock {}: {why}; stopped before changing anything further (the next run finishes \
                 or undoes what this one started)",
                self.addr()
            ),
        }
    }

    fn mark_lost(&self, why: String) {
        tracing::error!("lost the compaction lock {}: {why}", self.addr());
        let mut l = self.lost.lock().unwrap_or_else(|p| p.into_inner());
        l.get_or_insert(why);
    }

    fn lost_reason(&self) -> Option<String> {
        self.lost.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Extends the lease with a conditional overwrite. `Ok(true)`: renewed; `Ok(false)`: not confirmed this
    /// time (a storage error) but maybe still valid; `Err`: lost.
    async fn renew(&self) -> Result<bool> {
        let mut held = self.held.lock().await;
        if let Some(why) = self.lost_reason() {
            return Err(self.lost_error(&why));
        }
        let now = now_ms();
        let mut body = held.body.clone();
        body.renewed_ms = now;
        body.expires_ms = now + self.ttl.as_millis() as i64;
        let data = Bytes::from(serde_json::to_vec(&body).map_err(|e| Error::Config(e.to_string()))?);
        let outcome = self.store.put_if(&self.key, data.clone(), &WriteCondition::Matches(held.tag.clone())).await;
        let new_tag = match outcome {
            Ok(Some(tag)) => Some(tag),
            // The condition failed: unless our own write landed on an earlier attempt, someone else changed it.
            Ok(None) => match self.store.get_tagged(&self.key).await {
                Ok(Some((d, tag))) if d == data => Some(tag),
                Ok(Some((d, _))) => {
                    let why = match serde_json::from_slice::<LockBody>(&d) {
                        Ok(h) => format!("it was taken over ({})", describe(&h)),
                        Err(_) => "it was replaced by something unreadable".to_string(),
                    };
                    self.mark_lost(why.clone());
                    return Err(self.lost_error(&why));
                }
                Ok(None) => {
                    let why = "it was deleted by someone else".to_string();
                    self.mark_lost(why.clone());
                    return Err(self.lost_error(&why));
                }
                Err(e) => {
                    tracing::warn!("renewing the compaction lock {}: {e}", self.addr());
                    None
                }
            },
            Err(e) => {
                tracing::warn!("renewing the compaction lock {}: {e}", self.addr());
                None
            }
        };
        match new_tag {
            Some(tag) => {
                self.valid_until_ms.store(body.expires_ms, Ordering::SeqCst);
                *held = Held { body, tag };
                Ok(true)
            }
            None if now >= self.valid_until_ms.load(Ordering::SeqCst) => {
                let why = "its lease ran out while it could not be renewed".to_string();
                self.mark_lost(why.clone());
                Err(self.lost_error(&why))
            }
            None => Ok(false),
        }
    }
}

/// A held compaction lock; renewed in the background until released.
pub struct Lease {
    shared: Arc<Shared>,
    renewer: tokio::task::JoinHandle<()>,
}

impl Lease {
    /// Takes the lock at `key`: creates it if absent; otherwise takes it over (a conditional overwrite on the
    /// tag it read, so of two contenders one wins) when `--break-lock` was given, the lease expired, or the
    /// holder is a process of this host that no longer exists. A live holder or an unreadable lock is
    /// `Error::Busy`.
    pub async fn acquire(store: Arc<dyn BlobStore>, key: String, opts: &LockOptions) -> Result<Self> {
        let ttl_ms = opts.ttl.as_millis() as i64;
        let host = host_name();
        let pid_ns = pid_namespace();
        let me = LockBody {
            owner: uuid::Uuid::new_v4().to_string(),
            host: host.clone(),
            pid: std::process::id(),
            pid_ns: pid_ns.clone(),
            acquired_ms: 0,
            expires_ms: 0,
            renewed_ms: 0,
        };
        let addr = store.location().display_key(&key);
        for _ in 0..8 {
            let now = now_ms();
            let body = LockBody { acquired_ms: now, expires_ms: now + ttl_ms, renewed_ms: now, ..me.clone() };
            let data = Bytes::from(serde_json::to_vec(&body).map_err(|e| Error::Config(e.to_string()))?);
            if let Some(tag) = store.put_if(&key, data.clone(), &WriteCondition::Absent).await? {
                return Ok(Self::start(store, key, opts.ttl, body, tag));
            }
            let Some((current, tag)) = store.get_tagged(&key).await? else {
                continue; // released meanwhile: try again
            };
            let reason = match serde_json::from_slice::<LockBody>(&current) {
                Err(e) if !opts.break_lock => {
                    return Err(Error::Busy {
                        what: format!(
                            "the lock {addr} exists but cannot be read ({e}); if no compaction is running, delete it \
                             or rerun with --break-lock"
                        ),
                    });
                }
                Err(_) => "breaking an unreadable lock (--break-lock)".to_string(),
                // Our own create landed on an earlier attempt whose reply was lost.
                Ok(h) if h.owner == me.owner => return Ok(Self::start(store, key, opts.ttl, h, tag)),
                Ok(h) if opts.break_lock => format!("breaking the lock of {} (--break-lock)", describe(&h)),
                Ok(h) if h.expires_ms <= now => format!("its holder's lease expired ({})", describe(&h)),
                Ok(h) if !host.is_empty() && h.host == host && h.pid_ns == pid_ns && (h.pid == me.pid || !pid_alive(h.pid)) => {
                    format!("its holder, pid {} on this host, no longer exists", h.pid)
                }
                Ok(h) => {
                    return Err(Error::Busy {
                        what: format!(
                            "another compaction holds {addr} ({}); it renews its lease while it runs. Wait for it; \
                             if that process is gone for good, its lease runs out by itself, or use --break-lock",
                            describe(&h)
                        ),
                    });
                }
            };
            tracing::warn!("taking over the compaction lock {addr}: {reason}");
            if let Some(tag) = store.put_if(&key, data.clone(), &WriteCondition::Matches(tag)).await? {
                return Ok(Self::start(store, key, opts.ttl, body, tag));
            }
            // Changed between our read and our write: look again.
        }
        Err(Error::Busy { what: format!("could not take the lock {addr}: it kept changing under us") })
    }

    fn start(store: Arc<dyn BlobStore>, key: String, ttl: Duration, body: LockBody, tag: String) -> Self {
        let shared = Arc::new(Shared {
            store,
            key,
            ttl,
            valid_until_ms: AtomicI64::new(body.expires_ms),
            held: tokio::sync::Mutex::new(Held { body, tag }),
            lost: std::sync::Mutex::new(None),
        });
        let s = shared.clone();
        let every = (ttl / 3).max(Duration::from_millis(100));
        let renewer = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if s.renew().await.is_err() {
                    return;
                }
            }
        });
        Self { shared, renewer }
    }

    /// The lease length.
    pub fn ttl(&self) -> Duration {
        self.shared.ttl
    }

    /// A cheap check inside loops: fails once the lease is known lost or has less than a sixth of its length
    /// left (renewals come every third, so that means they have been failing).
    pub fn check(&self) -> Result<()> {
        if let Some(why) = self.shared.lost_reason() {
            return Err(self.shared.lost_error(&why));
        }
        let margin = (self.shared.ttl.as_millis() / 6) as i64;
        if now_ms() + margin >= self.shared.valid_until_ms.load(Ordering::SeqCst) {
            let why = "its lease is about to run out (renewals have not gone through)".to_string();
            self.shared.mark_lost(why.clone());
            return Err(self.shared.lost_error(&why));
        }
        Ok(())
    }

    /// Renews the lease now, with the store confirming this process still holds it: call before each
    /// destructive step. A renewal that could not reach the store is accepted while more than half of the
    /// lease is left.
    pub async fn confirm(&self) -> Result<()> {
        if self.shared.renew().await? {
            return Ok(());
        }
        let half = (self.shared.ttl.as_millis() / 2) as i64;
        if now_ms() + half < self.shared.valid_until_ms.load(Ordering::SeqCst) {
            return Ok(());
        }
        self.check()?;
        Err(Error::Storage { location: self.shared.addr(), message: "could not renew the compaction lock".into() })
    }

    /// Stops renewing and deletes the lock if it is still ours.
    pub async fn release(self) {
        self.renewer.abort();
        let held = self.shared.held.lock().await;
        if self.shared.lost_reason().is_some() {
            return;
        }
        match self.shared.store.delete_if(&self.shared.key, &held.tag).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!("the compaction lock {} changed hands before it was released", self.shared.addr()),
            Err(e) => tracing::warn!("could not release the compaction lock {}: {e}", self.shared.addr()),
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_reaped_child_is_not() {
        assert!(pid_alive(std::process::id()));
        let mut c = std::process::Command::new("true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        assert!(!pid_alive(pid));
        assert!(!host_name().is_empty());
    }
}
