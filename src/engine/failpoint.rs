//! Crash points for tests: `PRESTIGE_FAILPOINT=name[:n]` makes the process SIGKILL itself at the n-th time
//! (default first) execution passes `hit(name)`, exactly as an external `kill -9` would at that point.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

struct Armed {
    name: String,
    at: u64,
    seen: AtomicU64,
}

fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let spec = std::env::var("PRESTIGE_FAILPOINT").ok()?;
            let (name, at) = match spec.rsplit_once(':') {
                Some((n, c)) => (n.to_string(), c.parse().ok()?),
                None => (spec, 1),
            };
            Some(Armed { name, at, seen: AtomicU64::new(0) })
        })
        .as_ref()
}

/// Kills the process here if this failpoint is armed and its count is reached.
pub fn hit(name: &str) {
    if let Some(a) = armed()
        && a.name == name && a.seen.fetch_add(1, Ordering::SeqCst) + 1 == a.at {
            #[cfg(unix)]
            // SAFETY: kill(2) on our own pid with SIGKILL has no memory-safety preconditions.
            unsafe {
                libc::kill(libc::getpid(), libc::SIGKILL);
            }
            std::process::abort();
        }
}

/// True when `PRESTIGE_FAILPOINT_ERROR` names this point: the caller then fails that step with an injected
/// error (for tests of partial-failure reporting that real stores cannot be made to produce on demand).
pub fn injected_error(name: &str) -> bool {
    static NAME: OnceLock<Option<String>> = OnceLock::new();
    NAME.get_or_init(|| std::env::var("PRESTIGE_FAILPOINT_ERROR").ok()).as_deref() == Some(name)
}

/// Panics here when `PRESTIGE_FAILPOINT_PANIC=name[:n]` names this point (at its n-th pass, default the first):
/// tests use it to prove a panic in any worker thread or task fails the run instead of being lost.
pub fn panic_point(name: &str) {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    let armed = ARMED.get_or_init(|| {
        let spec = std::env::var("PRESTIGE_FAILPOINT_PANIC").ok()?;
        let (name, at) = match spec.rsplit_once(':') {
            Some((n, c)) => (n.to_string(), c.parse().ok()?),
            None => (spec, 1),
        };
        Some(Armed { name, at, seen: AtomicU64::new(0) })
    });
    if let Some(a) = armed
        && a.name == name
        && a.seen.fetch_add(1, Ordering::SeqCst) + 1 == a.at
    {
        panic!("injected panic at failpoint {name}");
    }
}

/// Test hook: `PRESTIGE_TEST_PAUSE=point:FILE` makes a run passing `point` create `FILE.paused` and wait (up to
/// two minutes) until `FILE` exists, so a test can commit something concurrently at that exact step.
pub fn pause(point: &str) {
    let Ok(spec) = std::env::var("PRESTIGE_TEST_PAUSE") else { return };
    let Some((name, file)) = spec.split_once(':') else { return };
    if name != point {
        return;
    }
    let _ = std::fs::write(format!("{file}.paused"), b"");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !std::path::Path::new(file).exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
