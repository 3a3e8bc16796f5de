//! Concurrent writers on one Iceberg table: two `prestige ingest --table` processes fed from stdin and a
//! PyIceberg append loop commit for 60 s at once, on the embedded SQLite catalog and on SeaweedFS's REST
//! catalog. Every commit lands: the table holds exactly the union of all inputs, each row once. And the
//! maintenance bar: an ingest, PyIceberg deletes, `compact --table` in a loop and a watcher killed with -9,
//! together for a minute, lose, duplicate and resurrect nothing.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{ACCESS_KEY, ICEBERG_WAREHOUSE, S3Server, SECRET_KEY, iceberg_py, prestige_std, report, shared_s3};

const SECONDS: u64 = 60;

const SCHEMA: &str = r#"[{"name":"id","type":"int64","nullable":false},{"name":"src","type":"string"}]"#;

struct Target<'a> {
    /// `None`: the SQLite catalog in `dir`.
    rest: Option<&'a S3Server>,
    dir: &'a Path,
    table: String,
}

impl Target<'_> {
    fn prestige(&self) -> std::process::Command {
        let mut cmd = prestige_std();
        match self.rest {
            None => {
                cmd.arg("--catalog")
                    .arg(format!("sqlite:///{}", self.dir.join("catalog.db").display()))
                    .arg("--warehouse")
                    .arg(self.dir.join("wh"));
            }
            Some(s3) => {
                s3.apply_env(&mut cmd);
                cmd.args(["--catalog", &s3.iceberg_uri(), "--warehouse", ICEBERG_WAREHOUSE])
                    .env("PYICEBERG_CATALOG__DEFAULT__CREDENTIAL", format!("{ACCESS_KEY}:{SECRET_KEY}"))
                    .env("PYICEBERG_CATALOG__DEFAULT__S3__ENDPOINT", s3.endpoint());
            }
        }
        cmd
    }

    fn py(&self, args: &[&str]) -> Value {
        let mut all: Vec<String> = match self.rest {
            None => vec![
                "--sqlite".into(),
                self.dir.join("catalog.db").display().to_string(),
                "--warehouse".into(),
                self.dir.join("wh").display().to_string(),
            ],
            Some(s3) => s3.iceberg_args(),
        };
        all.extend(args.iter().map(|a| a.to_string()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        iceberg_py(&all, self.rest)
    }
}

/// Runs `prestige ingest --table` on stdin fed with ids `start..` for `SECONDS`; returns the ids fed and the
/// report.
fn feeder(t: &Target, start: u64, tag: &str, rotation: &[&str]) -> (Vec<u64>, Value) {
    let mut cmd = t.prestige();
    cmd.arg("ingest")
        .args(["--table", &t.table])
        .args(rotation)
        .args(["--format", "json", "--state-dir"])
        .arg(t.dir.join(format!("state-{tag}")))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let began = Instant::now();
    let mut ids = Vec::new();
    let mut id = start;
    while began.elapsed() < Duration::from_secs(SECONDS) {
        let mut chunk = String::new();
        for _ in 0..20 {
            chunk.push_str(&format!("{{\"id\": {id}, \"src\": \"{tag}\"}}\n"));
            ids.push(id);
            id += 1;
        }
        if stdin.write_all(chunk.as_bytes()).is_err() {
            break; // the process ended: its exit status and stderr say why
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{tag}: {}", String::from_utf8_lossy(&out.stderr));
    (ids, report(&out))
}

fn run(t: &Target) {
    std::fs::write(t.dir.join("schema.json"), SCHEMA).unwrap();
    let out = t
        .prestige()
        .args(["table", "create", &t.table, "--schema"])
        .arg(t.dir.join("schema.json"))
        // A table three writers hammer: more and shorter retries than Java's defaults (PyIceberg reads the same).
        .args(["--property", "commit.retry.num-retries=30", "--property", "commit.retry.max-wait-ms=2000"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (a, b, py) = std::thread::scope(|s| {
        let a = s.spawn(|| feeder(t, 0, "a", &["--max-rows", "150", "--max-age", "700ms"]));
        let b = s.spawn(|| feeder(t, 1_000_000, "b", &["--max-rows", "150", "--max-age", "700ms"]));
        let py = s.spawn(|| {
            t.py(&["append-loop", &t.table, "--seconds", &SECONDS.to_string(), "--batch", "10", "--id-start", "5000000"])
        });
        (a.join().unwrap(), b.join().unwrap(), py.join().unwrap())
    });

    let mut expected: BTreeSet<u64> = a.0.iter().chain(&b.0).copied().collect();
    let py_rows = py["rows"].as_u64().unwrap();
    let first = py["first_id"].as_u64().unwrap();
    expected.extend(first..first + py_rows);
    for (r, tag) in [(&a.1, "a"), (&b.1, "b")] {
        assert_eq!(r["status"], "complete", "{tag}");
        let commits = r["commits"].as_array().unwrap();
        assert!(commits.len() >= 20, "{tag}: {} commits", commits.len());
    }
    let read = t.py(&["read", &t.table, "--columns", "id"]);
    let ids: Vec<u64> = read["rows"].as_array().unwrap().iter().map(|r| r["id"].as_u64().unwrap()).collect();
    let distinct: BTreeSet<u64> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), ids.len(), "a row landed twice");
    assert_eq!(distinct, expected, "rows = the union of every writer's input, exactly");

    // Every commit of every writer is a snapshot of main.
    let snaps = t.py(&["snapshots", &t.table]);
    let listed: BTreeSet<i64> =
        snaps["snapshots"].as_array().unwrap().iter().map(|s| s["snapshot_id"].as_i64().unwrap()).collect();
    for r in [&a.1, &b.1] {
        for c in r["commits"].as_array().unwrap() {
            assert!(listed.contains(&c["snapshot_id"].as_i64().unwrap()));
        }
    }
    assert!(py["commits"].as_u64().unwrap() > 0);
}

#[test]
fn two_prestige_writers_and_a_pyiceberg_loop_commit_for_a_minute_and_every_row_lands_once() {
    let sqlite_dir = tempfile::tempdir().unwrap();
    let rest_dir = tempfile::tempdir().unwrap();
    let ns = format!("c{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    std::thread::scope(|s| {
        let sqlite = s.spawn(|| run(&Target { rest: None, dir: sqlite_dir.path(), table: "db.events".into() }));
        let rest = s.spawn(|| run(&Target { rest: Some(shared_s3()), dir: rest_dir.path(), table: format!("{ns}.events") }));
        sqlite.join().unwrap();
        rest.join().unwrap();
    });
}

/// The rows a `watch --rows --markers` output delivered: only snapshots whose marker was written count (a kill
/// -9 mid-snapshot leaves rows without one, and the next run writes that snapshot again in full). A snapshot
/// delivered in full twice (killed between its marker and the state write) must be the same rows both times.
fn delivered(outputs: &[String], into: &mut std::collections::BTreeMap<i64, Vec<u64>>) {
    for out in outputs {
        let mut block = Vec::new();
        for line in out.lines().filter(|l| !l.trim().is_empty()) {
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("watch printed {line:?}: {e}"));
            if let Some(end) = v.get("prestige_watch_end") {
                let id = end["snapshot_id"].as_i64().unwrap();
                let mut rows = std::mem::take(&mut block);
                rows.sort_unstable();
                if let Some(before) = into.get(&id) {
                    assert_eq!(before, &rows, "snapshot {id} delivered twice with different rows");
                }
                into.insert(id, rows);
            } else {
                block.push(v["id"].as_u64().unwrap());
            }
        }
    }
}

/// A watcher process, killed when dropped (so a failing test leaves none running).
struct Watcher(std::process::Child);

impl Watcher {
    fn kill9(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_watch(t: &Target, state: &Path, out: &Path, extra: &[&str]) -> Watcher {
    Watcher(t.prestige()
        .args(["watch", "--table", &t.table, "--rows", "--markers", "--skip-non-append", "--columns", "id"])
        .arg("--state")
        .arg(state)
        .args(["--interval", "300ms"])
        .args(extra)
        .stdout(std::fs::File::create(out).unwrap())
        .stderr(std::fs::File::create(out.with_extension("err")).unwrap())
        .spawn()
        .unwrap())
}

/// Issue 11's concurrency bar: an ingest committing every second, PyIceberg deleting rows, `compact --table` in
/// a loop and `watch --table --rows --state` (killed with -9 twice) on one table for a minute. At the end the
/// table holds the inputs minus the deletes exactly, the watcher delivered every appended row once, and every
/// compaction committed or reported a conflict.
fn maintain(t: &Target) {
    std::fs::write(t.dir.join("schema.json"), SCHEMA).unwrap();
    let out = t
        .prestige()
        .args(["table", "create", &t.table, "--partition-by", "bucket(4, id)", "--schema"])
        .arg(t.dir.join("schema.json"))
        .args(["--property", "commit.retry.num-retries=30", "--property", "commit.retry.max-wait-ms=2000"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let state = t.dir.join("watch.state");
    let outs: Vec<std::path::PathBuf> = (0..4).map(|i| t.dir.join(format!("watch-{i}.ndjson"))).collect();

    let began = Instant::now();
    let deadline = began + Duration::from_secs(SECONDS);
    let (fed, deletes, compactions) = std::thread::scope(|s| {
        let writer = s.spawn(|| feeder(t, 0, "w", &["--commit-interval", "1s"]));
        let deleter = s.spawn(|| t.py(&["delete-loop", &t.table, "--seconds", &(SECONDS - 5).to_string(), "--every", "3"]));
        let compactor = s.spawn(|| {
            let mut runs = Vec::new();
            while Instant::now() < deadline {
                std::thread::sleep(Duration::from_secs(2));
                let out = t
                    .prestige()
                    .args(["compact", "--table", &t.table, "--min-input-files", "2", "--format", "json"])
                    .output()
                    .unwrap();
                let code = out.status.code();
                assert!(
                    matches!(code, Some(0 | 3 | 7)),
                    "compact exited {code:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let report: Value = serde_json::from_slice(&out.stdout)
                    .unwrap_or_else(|e| panic!("compact report: {e}: {}", String::from_utf8_lossy(&out.stderr)));
                if code != Some(0) {
                    assert!(!report["failed_groups"].as_array().unwrap().is_empty(), "exit {code:?} names no failed group: {report}");
                }
                runs.push((code.unwrap(), report));
            }
            runs
        });
        // The watcher: killed with -9 twice, then run to the end.
        for (i, at) in [(0, 15), (1, 35)] {
            let w = spawn_watch(t, &state, &outs[i], &[]);
            std::thread::sleep((began + Duration::from_secs(at)).saturating_duration_since(Instant::now()));
            w.kill9();
        }
        let w = spawn_watch(t, &state, &outs[2], &[]);
        let r = (writer.join().unwrap(), deleter.join().unwrap(), compactor.join().unwrap());
        std::thread::sleep(Duration::from_secs(1));
        w.kill9();
        r
    });
    // Catch up on whatever the last watcher had not delivered.
    let mut last = spawn_watch(t, &state, &outs[3], &["--once"]);
    let status = last.0.wait().unwrap();
    assert!(status.success(), "{}", std::fs::read_to_string(outs[3].with_extension("err")).unwrap());

    let (ids, report) = fed;
    assert_eq!(report["status"], "complete");
    let deleted: BTreeSet<u64> = deletes["deleted"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert!(!deleted.is_empty(), "the deleter deleted nothing: {deletes}");
    let inputs: BTreeSet<u64> = ids.iter().copied().collect();
    assert!(deleted.is_subset(&inputs));
    let expected: BTreeSet<u64> = inputs.difference(&deleted).copied().collect();

    let read = t.py(&["read", &t.table, "--columns", "id"]);
    let rows: Vec<u64> = read["rows"].as_array().unwrap().iter().map(|r| r["id"].as_u64().unwrap()).collect();
    let distinct: BTreeSet<u64> = rows.iter().copied().collect();
    assert_eq!(distinct.len(), rows.len(), "a row is in the table twice (a compaction resurrected or duplicated it)");
    let resurrected: Vec<_> = distinct.intersection(&deleted).take(5).collect();
    assert!(resurrected.is_empty(), "deleted rows are back: {resurrected:?}");
    let lost: Vec<_> = expected.difference(&distinct).take(5).collect();
    assert!(lost.is_empty(), "rows lost: {lost:?}");
    assert_eq!(distinct, expected);

    // Compactions ran, and some committed replace snapshots.
    let committed: usize = compactions.iter().map(|(_, r)| r["commits"].as_array().map_or(0, Vec::len)).sum();
    assert!(committed > 0, "no compaction committed: {compactions:?}");
    let snaps = t.py(&["snapshots", &t.table]);
    let ops: Vec<&str> = snaps["snapshots"].as_array().unwrap().iter().filter_map(|s| s["operation"].as_str()).collect();
    assert!(ops.contains(&"replace"), "{ops:?}");

    // The watcher delivered every appended row exactly once (deleted ones included: they were appended).
    let texts: Vec<String> = outs.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    let mut by_snapshot = std::collections::BTreeMap::new();
    delivered(&texts, &mut by_snapshot);
    let all: Vec<u64> = by_snapshot.values().flatten().copied().collect();
    let once: BTreeSet<u64> = all.iter().copied().collect();
    assert_eq!(once.len(), all.len(), "the watcher delivered a row in two snapshots");
    assert_eq!(once, inputs, "the watcher delivered every appended row");
    let conflicts = compactions.iter().filter(|(c, _)| *c != 0).count();
    eprintln!(
        "{}: {} rows in {} commits, {} deleted in {} PyIceberg commits, {} compaction runs ({committed} replace \
         snapshots, {conflicts} reporting conflicts), watcher: {} snapshots",
        t.table,
        inputs.len(),
        report["commits"].as_array().map_or(0, Vec::len),
        deleted.len(),
        deletes["commits"],
        compactions.len(),
        by_snapshot.len()
    );
}

#[test]
fn ingest_deletes_compaction_and_a_killed_watcher_for_a_minute_lose_and_resurrect_nothing() {
    let sqlite_dir = tempfile::tempdir().unwrap();
    let rest_dir = tempfile::tempdir().unwrap();
    let ns = format!("m{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    std::thread::scope(|s| {
        let sqlite = s.spawn(|| maintain(&Target { rest: None, dir: sqlite_dir.path(), table: "db.events".into() }));
        let rest = s.spawn(|| maintain(&Target { rest: Some(shared_s3()), dir: rest_dir.path(), table: format!("{ns}.events") }));
        sqlite.join().unwrap();
        rest.join().unwrap();
    });
}
