//! `prestige compact --table`: a table of hundreds of small files with position deletes (DuckDB through REST)
//! and copy-on-write deletes (PyIceberg) reads row for row the same with PyIceberg and DuckDB after compaction,
//! with one file per partition, a `replace` snapshot and `--plan` counts equal to the run's; a double load
//! deduplicates to the newest row; commits made while a compaction runs are validated (a delete is never
//! resurrected, an append is kept); kill -9 at each step and a rerun converge.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{ACCESS_KEY, ICEBERG_WAREHOUSE, S3Server, SECRET_KEY, python, report, prestige_std, shared_s3, write_lines};

const SCHEMA: &str = r#"{"fields":[
  {"name":"id","type":"int64","nullable":false},
  {"name":"day","type":"date"},
  {"name":"name","type":"string"},
  {"name":"v","type":"float64"}]}"#;

/// Row `i` (5 days, so 5 partitions) as the harness prints it; `tag` marks a reload.
fn row(i: u64, tag: &str) -> Value {
    json!({"id": i, "day": format!("2026-11-{:02}", 1 + i % 5), "name": format!("{tag}-{i}"), "v": i as f64 * 0.5})
}

enum Cat<'a> {
    Sqlite(&'a Path),
    Rest(&'a S3Server, String),
}

impl Cat<'_> {
    fn rest(s3: &S3Server) -> Cat<'_> {
        Cat::Rest(s3, format!("c{}", &uuid::Uuid::new_v4().simple().to_string()[..10]))
    }

    fn table(&self) -> String {
        match self {
            Cat::Sqlite(_) => "db.events".into(),
            Cat::Rest(_, ns) => format!("{ns}.events"),
        }
    }

    fn apply(&self, cmd: &mut Command) {
        match self {
            Cat::Sqlite(dir) => {
                cmd.arg("--catalog")
                    .arg(format!("sqlite:///{}", dir.join("catalog.db").display()))
                    .arg("--warehouse")
                    .arg(dir.join("wh"));
            }
            Cat::Rest(s3, _) => {
                s3.apply_env(cmd);
                cmd.args(["--catalog", &s3.iceberg_uri(), "--warehouse", ICEBERG_WAREHOUSE])
                    .env("PYICEBERG_CATALOG__DEFAULT__CREDENTIAL", format!("{ACCESS_KEY}:{SECRET_KEY}"))
                    .env("PYICEBERG_CATALOG__DEFAULT__S3__ENDPOINT", s3.endpoint());
            }
        }
    }

    /// Runs a Python helper (iceberg_tool.py or compact_tool.py) with this catalog; its JSON output.
    fn py(&self, script: &str, args: &[&str]) -> Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/py").join(script);
        let mut cmd = Command::new(python());
        cmd.arg(path);
        match self {
            Cat::Sqlite(dir) => {
                cmd.arg("--sqlite").arg(dir.join("catalog.db")).arg("--warehouse").arg(dir.join("wh"));
            }
            Cat::Rest(s3, _) => {
                s3.apply_env(&mut cmd);
                cmd.args(s3.iceberg_args());
            }
        }
        let out = cmd.args(args).output().expect("run python");
        assert!(out.status.success(), "{script} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("JSON")
    }

    /// PyIceberg's rows, sorted by id.
    fn rows(&self) -> Vec<Value> {
        sorted(self.py("iceberg_tool.py", &["read", &self.table()])["rows"].as_array().unwrap().clone())
    }

    /// DuckDB's rows (iceberg_scan of the newest metadata for SQLite, ATTACH through REST), sorted by id.
    fn duckdb_rows(&self) -> Vec<Value> {
        let v = match self {
            Cat::Sqlite(dir) => {
                let t = dir.join("wh/db.db/events");
                self.py("iceberg_tool.py", &["read-duckdb", t.to_str().unwrap()])
            }
            Cat::Rest(..) => self.py("iceberg_tool.py", &["read-duckdb-rest", &self.table()]),
        };
        sorted(v["rows"].as_array().unwrap().clone())
    }

    fn files(&self) -> Value {
        self.py("compact_tool.py", &["files", &self.table()])
    }

    fn prestige(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = prestige_std();
        self.apply(&mut cmd);
        cmd.args(args).args(["--format", "json", "--no-progress"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run prestige")
    }

    fn compact(&self, extra: &[&str], env: &[(&str, &str)]) -> Output {
        let t = self.table();
        let mut args = vec!["compact", "--table", &t];
        args.extend_from_slice(extra);
        self.prestige(&args, env)
    }

    /// Ingests rows `ids` (tagged) as small commits of `per_commit` rows over 5 day partitions.
    fn ingest(&self, dir: &Path, ids: std::ops::Range<u64>, tag: &str, per_commit: u64) {
        let input = dir.join(format!("in-{tag}-{}.ndjson", ids.start));
        write_lines(&input, &ids.map(|i| row(i, tag).to_string()).collect::<Vec<_>>());
        let schema = dir.join("schema.json");
        std::fs::write(&schema, SCHEMA).unwrap();
        let t = self.table();
        let n = per_commit.to_string();
        let out = self.prestige(
            &["ingest", input.to_str().unwrap(), "--table", &t, "--create", "--schema", schema.to_str().unwrap(),
              "--partition-by", "day", "--identifier", "id", "--max-rows", &n],
            &[],
        );
        assert!(out.status.success(), "ingest: {}", String::from_utf8_lossy(&out.stderr));
    }
}

fn sorted(mut rows: Vec<Value>) -> Vec<Value> {
    rows.sort_by_key(|r| (r["id"].as_u64(), r.to_string()));
    rows
}

fn ok_report(out: &Output) -> Value {
    assert!(out.status.success(), "exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr));
    report(out)
}

/// Every partition holds exactly one data file.
fn one_file_per_partition(files: &Value, partitions: usize) {
    let per = files["per_partition"].as_object().unwrap();
    assert_eq!(per.len(), partitions, "{files}");
    assert!(per.values().all(|n| n.as_u64() == Some(1)), "{files}");
}

/// Bar 1 on REST: 200 small files over 5 partitions, position deletes by DuckDB and copy-on-write deletes by
/// PyIceberg; compaction keeps every reader's rows, leaves one file per partition, drops the position delete
/// files (they referenced only rewritten files), commits `replace`; the plan's counts equal the run's.
#[test]
fn rest_conservation_with_duckdb_and_pyiceberg_deletes() {
    let s3 = shared_s3();
    let tmp = tempfile::tempdir().unwrap();
    let cat = Cat::rest(s3);
    cat.ingest(tmp.path(), 0..2000, "a", 50);
    assert_eq!(cat.files()["data_files"], 200);
    let d = cat.py("compact_tool.py", &["duckdb-delete", &cat.table(), "--where", "id % 7 = 0"]);
    assert_eq!(d["operation"], "delete", "{d}");
    cat.py("compact_tool.py", &["duckdb-delete", &cat.table(), "--where", "id % 11 = 3"]);
    cat.py("compact_tool.py", &["pyiceberg-delete", &cat.table(), "--where", "id >= 1900"]);
    let before = cat.files();
    assert!(before["position_delete_files"].as_u64().unwrap() >= 2, "{before}");
    let rows = cat.rows();
    let expected: Vec<u64> = (0..1900).filter(|i| i % 7 != 0 && i % 11 != 3).collect();
    assert_eq!(rows.iter().map(|r| r["id"].as_u64().unwrap()).collect::<Vec<_>>(), expected);
    let duck = cat.duckdb_rows();
    assert_eq!(duck, rows);

    let plan = ok_report(&cat.compact(&["--plan"], &[]));
    assert_eq!(plan["status"], "plan");
    assert_eq!(cat.files()["snapshot_id"], before["snapshot_id"], "--plan changed the table");
    let run = ok_report(&cat.compact(&[], &[]));
    assert_eq!(run["status"], "committed", "{run}");
    for k in ["rewritten_data_files_count", "rewritten_bytes_count", "added_data_files_count", "removed_delete_files_count", "input_rows"] {
        assert_eq!(plan[k], run[k], "{k}: plan {plan} run {run}");
    }
    assert_eq!(plan["partitions"].as_array().unwrap().len(), 5);
    assert_eq!(run["rewritten_data_files_count"], before["data_files"]);
    assert_eq!(run["removed_delete_files_count"], before["position_delete_files"]);
    assert_eq!(run["rows"], json!(expected.len()));
    assert_eq!(run["commits"].as_array().unwrap().len(), 1);

    let after = cat.files();
    assert_eq!(after["operation"], "replace");
    assert_eq!(after["snapshot_id"], run["commits"][0]);
    assert_eq!(after["delete_files"], 0, "{after}");
    one_file_per_partition(&after, 5);
    let s = &after["summary"];
    assert_eq!(s["deleted-data-files"], before["data_files"].to_string().as_str());
    assert_eq!(s["added-data-files"], "5");
    assert!(s["prestige.commit-id"].is_string());
    assert_eq!(s["total-records"], expected.len().to_string().as_str(), "{s}");
    assert_eq!(cat.rows(), rows, "PyIceberg reads differently after compaction");
    assert_eq!(cat.duckdb_rows(), rows, "DuckDB reads differently after compaction");

    // Nothing left to do: a rerun commits nothing.
    let again = ok_report(&cat.compact(&[], &[]));
    assert_eq!(again["status"], "nothing_to_do", "{again}");
}

/// SQLite: a double load by identifier deduplicates to the newest row (the later load, by sequence number),
/// counted as duplicates; ties the sequence number cannot decide are refused, not guessed; `--where`
/// restricts the rewrite to the partitions that may match.
#[test]
fn sqlite_dedup_keeps_newest_and_where_restricts() {
    let tmp = tempfile::tempdir().unwrap();
    let cat = Cat::Sqlite(tmp.path());
    cat.ingest(tmp.path(), 0..500, "old", 50);
    cat.ingest(tmp.path(), 0..200, "new", 50);

    let r = ok_report(&cat.compact(&["--deduplicate"], &[]));
    assert_eq!(r["duplicates_removed"], 200, "{r}");
    assert_eq!(r["rows"], 500);
    let expected: Vec<Value> = (0..500).map(|i| row(i, if i < 200 { "new" } else { "old" })).collect();
    assert_eq!(cat.rows(), expected);
    assert_eq!(cat.duckdb_rows(), expected);
    let files = cat.files();
    assert_eq!(files["operation"], "replace");
    assert_eq!(files["summary"]["prestige.duplicates-removed"], "200");
    one_file_per_partition(&files, 5);

    // --where: only the day=2026-11-02 partition (ids with i % 5 == 1) is rewritten.
    cat.ingest(tmp.path(), 500..1000, "more", 50);
    let r = ok_report(&cat.compact(&["--where", "day = DATE '2026-11-02'"], &[]));
    assert_eq!(r["partitions"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["partitions"][0]["partition"], "day=2026-11-02");
    assert_eq!(cat.rows().len(), 1000);
    let per = cat.files()["per_partition"].clone();
    assert_eq!(per.as_object().unwrap().values().filter(|n| n.as_u64() == Some(1)).count(), 1, "{per}");

    // Rows of one load (one sequence number) that differ under one key: refused unless --order-by decides.
    cat.ingest(tmp.path(), 0..10, "again", 50);
    cat.ingest(tmp.path(), 0..10, "twice", 50);
    let input = tmp.path().join("dup.ndjson");
    write_lines(&input, &[row(3, "x").to_string(), row(3, "y").to_string()]);
    let out = cat.prestige(&["ingest", input.to_str().unwrap(), "--table", &cat.table()], &[]);
    assert!(out.status.success());
    let out = cat.compact(&["--deduplicate"], &[]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let r = report(&out);
    assert_eq!(r["status"], "partial");
    assert_eq!(r["failed_groups"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["failed_groups"][0]["partition"], "day=2026-11-04");
    assert!(r["failed_groups"][0]["reason"].as_str().unwrap().contains("--order-by"), "{r}");
    // The other partitions were deduplicated: ids 0..10 loaded twice more, 2 ids per partition.
    assert_eq!(r["duplicates_removed"], 16, "{r}");
    let r = ok_report(&cat.compact(&["--deduplicate", "--order-by", "name"], &[]));
    assert_eq!(r["duplicates_removed"], 6, "{r}");
    let rows = cat.rows();
    assert_eq!(rows.len(), 1000);
    assert_eq!(rows[3], row(3, "y"), "the greatest --order-by value wins a tie");
    assert_eq!(rows[4], row(4, "twice"), "the newer load wins");

    let out = cat.compact(&["--deduplicate", "--dedup-key", "nope"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Waits for `path` to exist.
fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path.exists() {
        assert!(Instant::now() < deadline, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// While a compaction is paused after writing its outputs: a delete of a row in one partition (PyIceberg
/// copy-on-write on SQLite; DuckDB position delete on REST) and an append. The affected partition's group
/// conflicts (exit 3, reported), the others commit; the deleted row stays deleted, the appended rows are kept.
fn concurrent_commits(cat: &Cat, dir: &Path) {
    cat.ingest(dir, 0..500, "a", 50);
    let pause = dir.join("resume");
    let spec = format!("iceberg.compact_after_write:{}", pause.display());
    let mut cmd = prestige_std();
    cat.apply(&mut cmd);
    let t = cat.table();
    cmd.args(["compact", "--table", &t, "--format", "json", "--no-progress"]).env("PRESTIGE_TEST_PAUSE", &spec);
    cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    wait_for(&dir.join("resume.paused"));
    // id 7 is in day=2026-11-03.
    match cat {
        Cat::Sqlite(_) => cat.py("compact_tool.py", &["pyiceberg-delete", &t, "--where", "id = 7"]),
        Cat::Rest(..) => cat.py("compact_tool.py", &["duckdb-delete", &t, "--where", "id = 7"]),
    };
    let extra = dir.join("extra.ndjson");
    write_lines(&extra, &(1000..1010).map(|i| row(i, "late").to_string()).collect::<Vec<_>>());
    cat.py("iceberg_tool.py", &["append", &t, "--rows", extra.to_str().unwrap()]);
    std::fs::write(&pause, b"").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let r = report(&out);
    assert_eq!(r["status"], "partial");
    let failed = r["failed_groups"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{r}");
    assert_eq!(failed[0]["partition"], "day=2026-11-03");
    assert_eq!(failed[0]["kind"], "conflict");
    assert_eq!(r["commits"].as_array().unwrap().len(), 1);
    assert_eq!(r["failed_data_files_count"], 10);
    let expected: Vec<Value> =
        (0..500).filter(|i| *i != 7).map(|i| row(i, "a")).chain((1000..1010).map(|i| row(i, "late"))).collect();
    assert_eq!(cat.rows(), expected);
    assert_eq!(cat.duckdb_rows(), expected);
    // A rerun compacts what is left (the conflicting partition, and the appended files with it).
    let again = ok_report(&cat.compact(&["--rewrite-all"], &[]));
    assert_eq!(again["status"], "committed", "{again}");
    assert_eq!(cat.rows(), expected);
    one_file_per_partition(&cat.files(), 5);
}

#[test]
fn sqlite_concurrent_delete_conflicts_append_kept() {
    let tmp = tempfile::tempdir().unwrap();
    concurrent_commits(&Cat::Sqlite(tmp.path()), tmp.path());
}

#[test]
fn rest_concurrent_position_delete_conflicts_append_kept() {
    let tmp = tempfile::tempdir().unwrap();
    concurrent_commits(&Cat::rest(shared_s3()), tmp.path());
}

/// kill -9 after the outputs are written, before and after the commit, and inside a conflict retry; the rerun
/// converges: every row exactly once (PyIceberg and DuckDB read every referenced file), one file per partition.
#[test]
fn sqlite_kill_at_each_step_then_rerun_converges() {
    let points: &[(&str, &[(&str, &str)])] = &[
        ("iceberg.compact_after_write", &[]),
        ("iceberg.before_commit", &[]),
        ("iceberg.after_commit", &[]),
        ("iceberg.commit_retry", &[("PRESTIGE_FAILPOINT_ERROR", "iceberg.conflict")]),
        ("iceberg.commit_retry", &[("PRESTIGE_FAILPOINT_ERROR", "iceberg.lost_answer")]),
    ];
    for (point, extra) in points {
        let tmp = tempfile::tempdir().unwrap();
        let cat = Cat::Sqlite(tmp.path());
        cat.ingest(tmp.path(), 0..300, "a", 30);
        let expected: Vec<Value> = (0..300).map(|i| row(i, "a")).collect();
        let mut env = vec![("PRESTIGE_FAILPOINT", *point)];
        env.extend_from_slice(extra);
        let killed = cat.compact(&[], &env);
        assert_eq!(killed.status.code(), None, "{point}: not killed: {}", String::from_utf8_lossy(&killed.stderr));
        assert_eq!(cat.rows(), expected, "{point}: rows after the kill");
        let r = ok_report(&cat.compact(&[], &[]));
        let snaps = cat.py("iceberg_tool.py", &["snapshots", &cat.table()]);
        let replaces = snaps["snapshots"].as_array().unwrap().iter().filter(|s| s["operation"] == "replace").count();
        assert_eq!(replaces, 1, "{point}: {r}");
        assert_eq!(cat.rows(), expected, "{point}");
        assert_eq!(cat.duckdb_rows(), expected, "{point}");
        one_file_per_partition(&cat.files(), 5);
    }
}
