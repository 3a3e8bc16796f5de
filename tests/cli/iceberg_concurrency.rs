//! Concurrent writers on one Iceberg table: two `prestige ingest --table` processes fed from stdin and a
//! PyIceberg append loop commit for 60 s at once, on the embedded SQLite catalog and on SeaweedFS's REST
//! catalog. Every commit lands: the table holds exactly the union of all inputs, each row once.

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
fn feeder(t: &Target, start: u64, tag: &str) -> (Vec<u64>, Value) {
    let mut cmd = t.prestige();
    cmd.arg("ingest")
        .args(["--table", &t.table, "--max-rows", "150", "--max-age", "700ms", "--format", "json", "--state-dir"])
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
        let a = s.spawn(|| feeder(t, 0, "a"));
        let b = s.spawn(|| feeder(t, 1_000_000, "b"));
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
