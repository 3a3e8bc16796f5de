//! `prestige watch`: a live producer with the watcher stopped and restarted twice emits every file exactly once;
//! `--once` with state from cron; compaction outputs and markers; a failing `--exec` loses nothing; listing
//! errors are retried, not fatal.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;

fn events(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not an NDJSON event ({e}): {l}")))
        .collect()
}

fn keys(evs: &[Value]) -> Vec<String> {
    evs.iter().map(|e| e["key"].as_str().unwrap().to_string()).collect()
}

/// Sends SIGTERM and waits: the watcher finishes the event at hand and exits 130.
fn stop(mut child: Child) {
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "watch should exit 130 after SIGTERM");
}

fn watcher(args: &[&str], out: &Path, s3: Option<&S3Server>) -> Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(out).unwrap();
    let mut c = prestige_std();
    c.arg("watch").args(args).stdin(Stdio::null()).stdout(Stdio::from(log)).stderr(Stdio::piped());
    if let Some(s) = s3 {
        s.apply_env(&mut c);
    }
    c.spawn().unwrap()
}

/// Ingests `rows` lines into `dir` (local or S3) in files of `per_file` rows.
fn ingest(dir: &str, tmp: &Path, rows: u64, per_file: u64, s3: Option<&S3Server>) {
    let lines: String = (0..rows).map(|i| format!("{}\n", json!({"id": i}))).collect();
    let mut c = prestige();
    c.args(["ingest", "--to", dir, "--prefix", "events", "--max-rows", &per_file.to_string()])
        .env("PRESTIGE_STATE_DIR", tmp.join("state"))
        .write_stdin(lines);
    if let Some(s) = s3 {
        c.envs(s.envs());
    }
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn live_producer_with_two_watcher_restarts_emits_every_file_exactly_once() {
    let s3 = shared_s3();
    let bucket = s3.bucket("watch");
    let tmp = tempfile::tempdir().unwrap();
    let loc = format!("s3://{bucket}/raw");
    let mut producer = prestige_std()
        .args(["ingest", "--to", &loc, "--prefix", "events", "--max-age", "300ms", "--format", "json"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .envs(s3.envs())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = tmp.path().join("events.ndjson");
    let state = tmp.path().join("watch.state");
    let args = ["watch", &loc, "--prefix", "events", "--interval", "200ms", "--state", state.to_str().unwrap()];
    let args = &args[1..];
    let mut w = Some(watcher(args, &out, Some(s3)));
    let mut stdin = producer.stdin.take().unwrap();
    let started = Instant::now();
    let mut restarts = 0;
    for burst in 0..20u64 {
        for i in 0..3 {
            writeln!(stdin, "{}", json!({"id": burst * 3 + i})).unwrap();
        }
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(250));
        // Stop and restart the watcher twice while files keep appearing.
        if burst == 6 || burst == 13 {
            stop(w.take().unwrap());
            restarts += 1;
            std::thread::sleep(Duration::from_millis(400)); // files land while nobody watches
            w = Some(watcher(args, &out, Some(s3)));
        }
    }
    drop(stdin);
    let p = producer.wait_with_output().unwrap();
    assert!(p.status.success(), "{}", String::from_utf8_lossy(&p.stderr));
    let stored: Vec<String> = s3
        .list(&bucket, "raw/events.")
        .into_iter()
        .map(|(k, _)| k.trim_start_matches("raw/").to_string())
        .filter(|k| k.ends_with(".parquet"))
        .collect();
    assert!(stored.len() >= 10, "the producer wrote {} files in {:?}", stored.len(), started.elapsed());
    let deadline = Instant::now() + Duration::from_secs(15);
    while events(&out).len() < stored.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    stop(w.take().unwrap());
    let evs = events(&out);
    let mut got = keys(&evs);
    let emitted = got.len();
    got.sort();
    got.dedup();
    assert_eq!(emitted, got.len(), "some file was emitted twice: {:?}", keys(&evs));
    let mut want = stored.clone();
    want.sort();
    assert_eq!(got, want, "after {restarts} restarts");
    // Events carry what a pipeline needs; sizes match the stored objects.
    let sizes: std::collections::HashMap<String, i64> = s3.list(&bucket, "raw/").into_iter().collect();
    for e in &evs {
        let key = e["key"].as_str().unwrap();
        assert_eq!(e["location"], format!("s3://{bucket}/raw/{key}"));
        assert_eq!(e["size"].as_i64(), sizes.get(&format!("raw/{key}")).copied());
        assert!(e["etag"].is_string() && e["timestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(e["compacted"], false);
        assert!(key.contains(&e["timestamp_ms"].to_string()));
    }
    // Events come out in timestamp order.
    let ts: Vec<i64> = evs.iter().map(|e| e["timestamp_ms"].as_i64().unwrap()).collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "{ts:?}");
    // The state stays small: only keys within the safety window of the newest.
    let st: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert!(st["recent"].as_object().unwrap().len() <= stored.len());
}

#[test]
fn once_with_state_from_cron_compaction_outputs_markers_and_lookback() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lake");
    let d = dir.to_str().unwrap();
    ingest(d, tmp.path(), 30, 10, None);
    let state = tmp.path().join("cron.state");
    let once = |extra: &[&str], state: &Path| -> Vec<Value> {
        let o = prestige()
            .args(["watch", d, "--prefix", "events", "--once", "--state", state.to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    assert_eq!(once(&[], &state).len(), 3);
    assert_eq!(once(&[], &state).len(), 0, "a second cron run emits nothing new");
    std::thread::sleep(Duration::from_millis(5));
    ingest(d, tmp.path(), 20, 10, None);
    let second = once(&[], &state);
    assert_eq!(second.len(), 2);
    // A compaction output, a .processed marker, a foreign prefix and an old file outside the lookback.
    let first = parquet_files(&dir)[0].clone();
    let now = chrono::Utc::now().timestamp_millis();
    std::fs::copy(&first, dir.join(format!("events.{now}.c.parquet"))).unwrap();
    std::fs::write(dir.join(format!("{}.processed", first.file_name().unwrap().to_string_lossy())), "").unwrap();
    std::fs::copy(&first, dir.join(format!("events_other.{now}.parquet"))).unwrap();
    std::fs::copy(&first, dir.join(format!("events.{}.parquet", now - 2 * 3600 * 1000))).unwrap();
    assert_eq!(once(&[], &state).len(), 0, "compaction outputs and markers are not emitted by default");
    let fresh = tmp.path().join("fresh.state");
    let all = once(&["--include-compacted"], &fresh);
    assert_eq!(all.len(), 6, "5 files + 1 compaction output within the default 1h lookback");
    assert_eq!(all.iter().filter(|e| e["compacted"] == true).count(), 1);
    let older = once(&["--start-after", "3h"], &tmp.path().join("older.state"));
    assert_eq!(older.len(), 6, "the 2-hour-old file is within --start-after 3h");
    // A state file belongs to its location and prefix.
    let o = prestige().args(["watch", d, "--prefix", "other", "--once", "--state", state.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_failing_exec_stops_with_an_error_and_the_file_is_delivered_next_time() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lake");
    let d = dir.to_str().unwrap();
    ingest(d, tmp.path(), 30, 10, None);
    let state = tmp.path().join("s");
    let log = tmp.path().join("delivered.log");
    let failing = format!(
        "ev=$(cat); case \"$PRESTIGE_KEY\" in *-0002.parquet) exit 7;; esac; echo \"$ev\" >> {}",
        log.display()
    );
    let o = prestige()
        .args(["watch", d, "--prefix", "events", "--once", "--state", state.to_str().unwrap(), "--exec", &failing])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("exit code 7") && err.contains("-0002.parquet"), "{err}");
    assert_eq!(events(&log).len(), 1, "only the file before the failure was delivered");
    let ok = format!("cat >> {}", log.display());
    let o = prestige()
        .args(["watch", d, "--prefix", "events", "--once", "--state", state.to_str().unwrap(), "--exec", &ok])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut delivered = keys(&events(&log));
    assert_eq!(delivered.len(), 3);
    delivered.sort();
    delivered.dedup();
    assert_eq!(delivered.len(), 3, "every file exactly once");
}

#[test]
fn listing_errors_are_retried_not_fatal() {
    let s3 = shared_s3();
    let tmp = tempfile::tempdir().unwrap();
    let bucket = format!("late-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let loc = format!("s3://{bucket}/raw");
    // --once has no next poll: the listing error is the result (exit 5).
    let o = prestige().args(["watch", &loc, "--prefix", "events", "--once"]).envs(s3.envs()).output().unwrap();
    assert_eq!(o.status.code(), Some(5), "{}", String::from_utf8_lossy(&o.stderr));
    let out = tmp.path().join("ev.ndjson");
    let w = watcher(&[&loc, "--prefix", "events", "--interval", "200ms"], &out, Some(s3));
    std::thread::sleep(Duration::from_millis(1000));
    block_on(s3.client().create_bucket().bucket(&bucket).send()).unwrap();
    ingest(&loc, tmp.path(), 5, 5, Some(s3));
    let deadline = Instant::now() + Duration::from_secs(10);
    while events(&out).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut child = w;
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("listing failed"), "{stderr}");
    assert_eq!(events(&out).len(), 1, "{stderr}");

    // A watched local directory that does not exist is a missing location too, not an empty one.
    let dir = tmp.path().join("not-yet");
    let o = prestige().args(["watch", dir.to_str().unwrap(), "--prefix", "events", "--once"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(err.contains(dir.to_str().unwrap()) && err.contains("no such directory"), "{err}");
    ingest(dir.to_str().unwrap(), tmp.path(), 3, 3, None);
    let o = prestige().args(["watch", dir.to_str().unwrap(), "--prefix", "events", "--once"]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1);
}

#[test]
fn state_as_a_bare_file_name_in_the_working_directory() {
    let tmp = tempfile::tempdir().unwrap();
    ingest(tmp.path().join("lake").to_str().unwrap(), tmp.path(), 20, 10, None);
    let once = || {
        let o = prestige()
            .current_dir(tmp.path())
            .args(["watch", "lake", "--prefix", "events", "--once", "--state", "events.watch"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).lines().count()
    };
    assert_eq!(once(), 2, "both files, and the state saved after each");
    let st: Value = serde_json::from_slice(&std::fs::read(tmp.path().join("events.watch")).unwrap()).unwrap();
    assert_eq!(st["recent"].as_object().unwrap().len(), 2);
    assert_eq!(once(), 0, "resumed from ./events.watch");
    // No temporary files are left beside it.
    let names: Vec<String> =
        std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn format_table_is_refused_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lake");
    ingest(dir.to_str().unwrap(), tmp.path(), 5, 5, None);
    let o = prestige().args(["watch", dir.to_str().unwrap(), "--prefix", "events", "--once", "--format", "table"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--format table") && err.contains("NDJSON"), "{err}");
    assert!(o.stdout.is_empty(), "nothing is emitted");
    // The JSON formats keep giving one event per line.
    for f in ["ndjson", "json"] {
        let o = prestige().args(["watch", dir.to_str().unwrap(), "--prefix", "events", "--once", "--format", f]).output().unwrap();
        assert!(o.status.success(), "{f}: {}", String::from_utf8_lossy(&o.stderr));
        let lines: Vec<Value> = String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 1, "{f}");
    }
}

#[test]
fn sigterm_says_how_many_events_were_delivered_and_where_the_state_is() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lake");
    ingest(dir.to_str().unwrap(), tmp.path(), 30, 10, None);
    let out = tmp.path().join("ev.ndjson");
    let state = tmp.path().join("w.state");
    let mut w = watcher(
        &[dir.to_str().unwrap(), "--prefix", "events", "--interval", "200ms", "--state", state.to_str().unwrap()],
        &out,
        None,
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    while events(&out).len() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    unsafe {
        libc::kill(w.id() as i32, libc::SIGTERM);
    }
    let status = w.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(w.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert_eq!(events(&out).len(), 3);
    assert!(stderr.contains("watch stopped after 3 events"), "{stderr}");
    assert!(stderr.contains(&format!("state saved in {}", state.display())), "{stderr}");
    assert!(!stderr.contains("upload") && !stderr.contains("current file"), "an ingest message: {stderr}");
}
