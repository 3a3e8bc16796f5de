//! `prestige ingest --table`: tables prestige writes on the embedded SQLite catalog read identically, row by
//! row, by PyIceberg and DuckDB; a kill -9 at each commit step and a rerun land every row exactly once with no
//! commit id twice; bad input fails loudly with nothing half committed.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{
    ACCESS_KEY, ICEBERG_WAREHOUSE, S3Server, SECRET_KEY, iceberg_py, prestige_std, report, shared_s3, write_lines,
};

const SCHEMA: &str = r#"{"fields":[
  {"name":"id","type":"int64","nullable":false},
  {"name":"ts","type":"timestamptz"},
  {"name":"name","type":"string"},
  {"name":"v","type":"float64"},
  {"name":"geo","type":"struct<city: string, zip: int32>"},
  {"name":"tags","type":"list<string>"}]}"#;

/// Row `i` as NDJSON input and as the harness prints it (timestamps with microseconds and `Z`).
fn row(i: u64) -> Value {
    let day = 20 + i % 4;
    let hour = (i * 7) % 24;
    let name = if i.is_multiple_of(11) { Value::Null } else { json!(format!("name-{}-{}-and-a-tail-past-16-chars", i % 13, "é".repeat((i % 3) as usize))) };
    json!({
        "id": i,
        "ts": format!("2026-11-{day:02}T{hour:02}:{:02}:00.000000Z", i % 60),
        "name": name,
        "v": (i as f64) * 0.25 - 100.0,
        "geo": if i.is_multiple_of(5) { Value::Null } else { json!({"city": format!("c{}", i % 4), "zip": (i % 1000) as i64}) },
        "tags": (0..(i % 3)).map(|k| format!("t{k}")).collect::<Vec<_>>(),
    })
}

/// Where the table lives: the embedded SQLite catalog in a temporary directory, or SeaweedFS's REST catalog.
enum Cat<'a> {
    Sqlite(&'a Path),
    Rest(&'a S3Server, String),
}

impl Cat<'_> {
    fn rest(s3: &S3Server) -> Cat<'_> {
        // Each test its own namespace on the shared server.
        Cat::Rest(s3, format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..10]))
    }

    fn table(&self) -> String {
        match self {
            Cat::Sqlite(_) => "db.events".into(),
            Cat::Rest(_, ns) => format!("{ns}.events"),
        }
    }

    /// The catalog flags and environment of a prestige run.
    fn apply(&self, cmd: &mut std::process::Command) {
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

    /// Runs the harness with this catalog.
    fn py(&self, args: &[&str]) -> Value {
        let mut all: Vec<String> = match self {
            Cat::Sqlite(dir) => vec![
                "--sqlite".into(),
                dir.join("catalog.db").display().to_string(),
                "--warehouse".into(),
                dir.join("wh").display().to_string(),
            ],
            Cat::Rest(s3, _) => s3.iceberg_args(),
        };
        all.extend(args.iter().map(|a| a.to_string()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        iceberg_py(&all, match self {
            Cat::Rest(s3, _) => Some(s3),
            Cat::Sqlite(_) => None,
        })
    }

    /// PyIceberg's rows of the table's current snapshot, sorted by id.
    fn rows(&self) -> Vec<Value> {
        let mut rows = self.py(&["read", &self.table()])["rows"].as_array().cloned().unwrap_or_default();
        rows.sort_by_key(|r| r["id"].as_u64());
        rows
    }

    fn snapshots(&self) -> Value {
        self.py(&["snapshots", &self.table()])
    }
}

fn ingest(cat: &Cat, dir: &Path, input: &Path, extra: &[&str]) -> std::process::Output {
    ingest_env(cat, dir, input, extra, &[])
}

fn ingest_env(cat: &Cat, dir: &Path, input: &Path, extra: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = prestige_std();
    cat.apply(&mut cmd);
    cmd.arg("ingest")
        .arg(input)
        .args(["--table", &cat.table(), "--state-dir"])
        .arg(dir.join("state"))
        .args(["--format", "json"])
        .args(extra)
        .envs(env.iter().copied());
    cmd.output().unwrap()
}

fn setup(dir: &Path, n: u64) -> std::path::PathBuf {
    std::fs::write(dir.join("schema.json"), SCHEMA).unwrap();
    let input = dir.join("events.ndjson");
    write_lines(&input, &(0..n).map(|i| row(i).to_string()).collect::<Vec<_>>());
    input
}

#[test]
fn a_partitioned_table_prestige_writes_reads_identically_in_pyiceberg_and_duckdb_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    partitioned_table_round_trip(&Cat::Sqlite(tmp.path()), tmp.path());
}

#[test]
fn a_partitioned_table_prestige_writes_reads_identically_in_pyiceberg_and_duckdb_on_rest() {
    let tmp = tempfile::tempdir().unwrap();
    partitioned_table_round_trip(&Cat::rest(shared_s3()), tmp.path());
}

fn partitioned_table_round_trip(cat: &Cat, dir: &Path) {
    let n = 6000;
    let input = setup(dir, n);
    let schema = dir.join("schema.json");
    let out = ingest(
        cat,
        dir,
        &input,
        &["--create", "--schema", schema.to_str().unwrap(), "--partition-by", "day(ts), bucket(8, id)", "--max-rows", "1000"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = report(&out);
    assert_eq!(r["status"], "complete");
    assert_eq!(r["rows"], n);
    assert_eq!(r["table"], cat.table());
    let commits = r["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 6, "one commit per 1000 rows");
    assert_eq!(commits.iter().map(|c| c["rows"].as_u64().unwrap()).sum::<u64>(), n);

    let expected: Vec<Value> = (0..n).map(row).collect();
    assert_eq!(cat.rows(), expected, "PyIceberg reads every row as written");

    // DuckDB's iceberg extension reads the same rows: from the metadata file, and through the REST catalog.
    let snaps = cat.snapshots();
    let meta = snaps["metadata_location"].as_str().unwrap().to_string();
    let duck = cat.py(&["read-duckdb", &meta]);
    let mut rows = duck["rows"].as_array().cloned().unwrap();
    rows.sort_by_key(|r| r["id"].as_u64());
    assert_eq!(rows, expected, "DuckDB reads every row as written");
    if let Cat::Rest(..) = cat {
        let duck = cat.py(&["read-duckdb-rest", &cat.table()]);
        let mut rows = duck["rows"].as_array().cloned().unwrap();
        rows.sort_by_key(|r| r["id"].as_u64());
        assert_eq!(rows, expected, "DuckDB through the REST catalog reads every row as written");
    }

    // PyIceberg prunes by our partition values (bucket, day) and column bounds (ids, truncated UTF-8 strings): a
    // wrong value or bound would drop rows from these filtered reads.
    type Keep = Box<dyn Fn(&Value) -> bool>;
    let filters: Vec<(String, Keep)> = vec![
        ("id == 4242".into(), Box::new(|r: &Value| r["id"] == 4242)),
        ("id >= 5990".into(), Box::new(|r: &Value| r["id"].as_u64().unwrap() >= 5990)),
        ("ts >= '2026-11-22T00:00:00+00:00' and ts < '2026-11-22T06:00:00+00:00'".into(), Box::new(|r: &Value| {
            let ts = r["ts"].as_str().unwrap();
            ts.starts_with("2026-11-22T0") && ts[11..13].parse::<u32>().unwrap() < 6
        })),
        (
            "name == 'name-5-éé-and-a-tail-past-16-chars'".into(),
            Box::new(|r: &Value| r["name"] == "name-5-éé-and-a-tail-past-16-chars"),
        ),
        ("name >= 'name-9'".into(), Box::new(|r: &Value| r["name"].as_str().is_some_and(|n| n >= "name-9"))),
    ];
    for (filter, keep) in &filters {
        let got = cat.py(&["read", &cat.table(), "--where", filter]);
        let want = expected.iter().filter(|r| keep(r)).count();
        assert!(want > 0, "{filter} selects rows");
        assert_eq!(got["count"].as_u64().unwrap() as usize, want, "PyIceberg with {filter}");
    }

    // Each commit is one append snapshot carrying its commit id, chained by parent ids.
    let mut list = snaps["snapshots"].as_array().cloned().unwrap();
    list.sort_by_key(|s| s["sequence_number"].as_i64());
    assert_eq!(list.len(), 6);
    for (k, (s, c)) in list.iter().zip(commits).enumerate() {
        assert_eq!(s["operation"], "append");
        assert_eq!(s["summary"]["prestige.commit-id"], c["commit_id"]);
        assert_eq!(s["snapshot_id"], c["snapshot_id"]);
        assert_eq!(s["summary"]["added-records"], c["rows"].to_string());
        if k > 0 {
            assert_eq!(s["parent_id"], list[k - 1]["snapshot_id"]);
        }
    }
    assert_eq!(list.last().unwrap()["summary"]["total-records"], n.to_string());
    // Files live in human-readable partition folders.
    let files: Vec<String> = r["files"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap().to_string()).collect();
    assert!(files.iter().all(|k| k.starts_with("ts_day=2026-11-") && k.contains("/id_bucket=")), "{files:?}");

    // A second run with new keys, top-level and nested, evolves the schema (--evolve-schema) and appends; both
    // readers see the new columns, null in the old rows.
    let evolved = |i: u64| {
        let mut r = row(i);
        r["note"] = json!(format!("note {i}"));
        if r["geo"].is_object() {
            r["geo"]["country"] = json!(format!("C{}", i % 2));
        }
        r
    };
    let more = dir.join("more.ndjson");
    write_lines(&more, &(n..n + 500).map(|i| evolved(i).to_string()).collect::<Vec<_>>());
    let out = ingest(cat, dir, &more, &[]);
    assert_eq!(out.status.code(), Some(4), "without --evolve-schema a new key is a bad line");
    let out = ingest(cat, dir, &more, &["--evolve-schema"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut expected: Vec<Value> = (0..n)
        .map(|i| {
            let mut r = row(i);
            r["note"] = Value::Null;
            if r["geo"].is_object() {
                r["geo"]["country"] = Value::Null;
            }
            r
        })
        .collect();
    expected.extend((n..n + 500).map(evolved));
    assert_eq!(cat.rows(), expected, "PyIceberg reads the evolved table");
    let meta = cat.snapshots()["metadata_location"].as_str().unwrap().to_string();
    let mut rows = cat.py(&["read-duckdb", &meta])["rows"].as_array().cloned().unwrap();
    rows.sort_by_key(|r| r["id"].as_u64());
    assert_eq!(rows, expected, "DuckDB reads the evolved table");
}

#[test]
fn a_kill_at_every_commit_step_and_a_rerun_land_every_row_exactly_once_on_sqlite() {
    for point in
        ["iceberg.after_pending:2", "iceberg.before_commit:3", "iceberg.after_commit:2", "ingest.mid_file:1", "iceberg.before_commit:1"]
    {
        let tmp = tempfile::tempdir().unwrap();
        kill_and_rerun(&Cat::Sqlite(tmp.path()), tmp.path(), point);
    }
}

#[test]
fn a_kill_at_every_commit_step_and_a_rerun_land_every_row_exactly_once_on_rest() {
    for point in ["iceberg.after_pending:2", "iceberg.before_commit:3", "iceberg.after_commit:2", "ingest.mid_file:1"] {
        let tmp = tempfile::tempdir().unwrap();
        kill_and_rerun(&Cat::rest(shared_s3()), tmp.path(), point);
    }
}

fn kill_and_rerun(cat: &Cat, dir: &Path, point: &str) {
    let n = 5000;
    let input = setup(dir, n);
    let schema = dir.join("schema.json");
    let args = ["--create", "--schema", schema.to_str().unwrap(), "--partition-by", "bucket(4, id)", "--max-rows", "700"];
    let killed = ingest_env(cat, dir, &input, &args, &[("PRESTIGE_FAILPOINT", point)]);
    assert!(!killed.status.success(), "{point}: the failpoint must kill the run");
    let out = ingest(cat, dir, &input, &args);
    assert!(out.status.success(), "{point}: rerun failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_exactly_once(cat, n, point);
    // A third run finds everything ingested.
    let again = ingest(cat, dir, &input, &args);
    assert_eq!(report(&again)["status"], "already_ingested", "{point}");
    assert_eq!(cat.rows().len() as u64, n);
}

#[test]
fn bad_input_fails_with_the_documented_code_naming_the_table_and_commits_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cat = Cat::Sqlite(dir);
    let input = setup(dir, 100);
    let schema = dir.join("schema.json");

    // A missing table without --create: exit 5, naming the table and the fix.
    let out = ingest(&cat, dir, &input, &[]);
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("table db.events does not exist") && err.contains("--create"), "{err}");

    // An invalid identifier: exit 2.
    let mut cmd = prestige_std();
    cat.apply(&mut cmd);
    let out = cmd.arg("ingest").arg(&input).args(["--table", "events"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid table identifier"));

    // A bad partition spec: exit 2, naming the term; nothing created.
    let out = ingest(&cat, dir, &input, &["--create", "--schema", schema.to_str().unwrap(), "--partition-by", "day(nope)"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));

    // Create it properly.
    let out = ingest(&cat, dir, &input, &["--create", "--schema", schema.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // A --schema contradicting the table: exit 2, naming the column.
    let other = dir.join("other.json");
    std::fs::write(&other, r#"[{"name":"id","type":"string"}]"#).unwrap();
    let more = dir.join("more.ndjson");
    write_lines(&more, &["{\"id\": 1000}".to_string()]);
    let out = ingest(&cat, dir, &more, &["--schema", other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"id\""), "{}", String::from_utf8_lossy(&out.stderr));

    // A line that does not fit the table's schema: exit 4 naming file and line; no commit of the rows after it.
    let bad = dir.join("bad.ndjson");
    write_lines(&bad, &[row(2000).to_string(), "{\"id\": \"x\"}".to_string(), row(2001).to_string()]);
    let out = ingest(&cat, dir, &bad, &[]);
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.ndjson:2"), "{}", String::from_utf8_lossy(&out.stderr));
    let ids: Vec<u64> = cat.rows().iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(ids.len(), 101, "the rows before the bad line are committed, none after");
    assert!(ids.contains(&2000) && !ids.contains(&2001));
}

#[test]
fn a_schema_file_with_other_units_and_narrow_integers_creates_and_fills_the_table() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cat = Cat::Sqlite(dir);
    let schema = dir.join("ms.json");
    std::fs::write(
        &schema,
        r#"[{"name":"id","type":"int64"},{"name":"ts","type":"timestamp(ms, UTC)"},{"name":"small","type":"int16"},
            {"name":"big","type":"uint64"}]"#,
    )
    .unwrap();
    let input = dir.join("in.ndjson");
    write_lines(
        &input,
        &[
            r#"{"id":1,"ts":"2026-11-23T10:00:00.123Z","small":-7,"big":18446744073709551615}"#.to_string(),
            r#"{"id":2,"ts":1795428000000,"small":300,"big":0}"#.to_string(),
        ],
    );
    let out = ingest(&cat, dir, &input, &["--create", "--schema", schema.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The same schema file is accepted for the next run too.
    let out = ingest(&cat, dir, &input, &["--schema", schema.to_str().unwrap(), "--restart", "--force"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = cat.rows();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["ts"], "2026-11-23T10:00:00.123000Z");
    assert_eq!(rows[0]["small"], -7);
    assert_eq!(rows[0]["big"], "18446744073709551615");
}

#[test]
fn catalog_and_storage_failures_exit_5_naming_the_catalog_without_printing_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s3 = shared_s3();
    let input = setup(dir, 50);
    let schema = dir.join("schema.json");
    let table = format!("bad{}.events", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let run = |catalog: &str, credential: &str, aws_secret: &str| {
        let mut cmd = prestige_std();
        s3.apply_env(&mut cmd);
        cmd.env("AWS_SECRET_ACCESS_KEY", aws_secret)
            .env("PYICEBERG_CATALOG__DEFAULT__CREDENTIAL", credential)
            .env("PYICEBERG_CATALOG__DEFAULT__S3__ENDPOINT", s3.endpoint())
            .args(["--catalog", catalog, "--warehouse", ICEBERG_WAREHOUSE, "ingest"])
            .arg(&input)
            .args(["--table", &table, "--create", "--schema", schema.to_str().unwrap(), "--state-dir"])
            .arg(dir.join("state"));
        cmd.output().unwrap()
    };
    let good = format!("{ACCESS_KEY}:{SECRET_KEY}");

    // Nothing listening.
    let out = run("http://127.0.0.1:9", &good, SECRET_KEY);
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("http://127.0.0.1:9"));

    // A wrong OAuth2 secret: refused by the token endpoint, the secret never printed.
    let out = run(&s3.iceberg_uri(), &format!("{ACCESS_KEY}:wrong-oauth-secret-123"), SECRET_KEY);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("401") && !err.contains("wrong-oauth-secret-123"), "{err}");

    // A wrong S3 secret for the warehouse: the data files cannot be stored; nothing is committed.
    let out = run(&s3.iceberg_uri(), &good, "wrong-s3-secret-456");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(!err.contains("wrong-s3-secret-456"), "{err}");
    let cat = Cat::Rest(s3, table.split('.').next().unwrap().to_string());
    assert!(cat.snapshots()["snapshots"].as_array().unwrap().is_empty(), "no snapshot after a failed upload");

    // With the right secrets the same command works, and a rerun of it ingests every row once.
    let out = run(&s3.iceberg_uri(), &good, SECRET_KEY);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(cat.rows().len(), 50);
}

/// Changes the schema of `db.events` in the SQLite catalog at `dir` with PyIceberg.
fn pyiceberg_schema_change(dir: &Path, change: &str) {
    let script = format!(
        "from pyiceberg.catalog.sql import SqlCatalog\n\
         from pyiceberg.types import StringType\n\
         c = SqlCatalog('default', uri='sqlite:///{}', warehouse='file://{}')\n\
         t = c.load_table('db.events')\n\
         with t.update_schema() as u:\n    {change}\n",
        dir.join("catalog.db").display(),
        dir.join("wh").display()
    );
    let out = std::process::Command::new(crate::common::python()).arg("-c").arg(script).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_schema_change_under_a_running_writer_is_retried_when_the_data_fits_and_refused_when_it_does_not() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cat = Cat::Sqlite(dir);
    let schema = dir.join("s.json");
    std::fs::write(&schema, r#"[{"name":"id","type":"int64","nullable":false},{"name":"extra","type":"string"}]"#).unwrap();
    let first = dir.join("first.ndjson");
    write_lines(&first, &[r#"{"id": 0, "extra": "x"}"#.to_string()]);
    assert!(ingest(&cat, dir, &first, &["--create", "--schema", schema.to_str().unwrap()]).status.success());

    let mut cmd = prestige_std();
    cat.apply(&mut cmd);
    let mut child = cmd
        .args(["ingest", "--table", "db.events", "--max-rows", "5", "--format", "json", "--state-dir"])
        .arg(dir.join("state2"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut feed = |from: u64| {
        for id in from..from + 5 {
            writeln!(stdin, "{{\"id\": {id}, \"extra\": \"e{id}\"}}").unwrap();
        }
        stdin.flush().unwrap();
        // Until the commit of these 5 rows is visible.
        let want = (from + 5) as usize;
        for _ in 0..200 {
            if cat.rows().len() >= want {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("rows {from}.. were not committed");
    };
    feed(1);
    // An optional column added meanwhile: the data still fits; the next commit retries over it.
    pyiceberg_schema_change(dir, "u.add_column('note', StringType())");
    feed(6);
    assert_eq!(cat.rows().len(), 11);
    // The column the writer fills is dropped: its next commit is refused (exit 7), nothing half committed.
    pyiceberg_schema_change(dir, "u.delete_column('extra')");
    for id in 11..16 {
        writeln!(stdin, "{{\"id\": {id}, \"extra\": \"e{id}\"}}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{err}");
    assert!(err.contains("extra") && err.contains("dropped"), "{err}");
    assert_eq!(cat.rows().len(), 11, "the refused commit added nothing");
}

/// Every id once and no commit id twice.
fn assert_exactly_once(cat: &Cat, n: u64, what: &str) {
    let ids: Vec<u64> = cat.rows().iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (0..n).collect::<Vec<_>>(), "{what}: every row exactly once");
    let mut commit_ids: Vec<String> = cat.snapshots()["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["summary"]["prestige.commit-id"].as_str().unwrap().to_string())
        .collect();
    let total = commit_ids.len();
    commit_ids.sort();
    commit_ids.dedup();
    assert_eq!(commit_ids.len(), total, "{what}: no commit id twice");
}

#[test]
fn a_lost_commit_answer_and_a_kill_inside_a_conflict_retry_never_duplicate_or_lose_a_row() {
    let s3 = shared_s3();
    // (injected error, kill point): a commit whose answer is lost landed, and the retry must find it instead of
    // committing again; a kill inside the retry (after a conflict, or after a landed commit) and a rerun.
    let cases = [
        ("iceberg.lost_answer", None),
        ("iceberg.conflict", Some("iceberg.commit_retry:2")),
        ("iceberg.lost_answer", Some("iceberg.commit_retry:1")),
    ];
    for rest in [false, true] {
        for (error, kill) in cases {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path();
            let cat = if rest { Cat::rest(s3) } else { Cat::Sqlite(dir) };
            let n = 3000;
            let input = setup(dir, n);
            let schema = dir.join("schema.json");
            let args = ["--create", "--schema", schema.to_str().unwrap(), "--max-rows", "700"];
            let mut env = vec![("PRESTIGE_FAILPOINT_ERROR", error)];
            if let Some(k) = kill {
                env.push(("PRESTIGE_FAILPOINT", k));
            }
            let first = ingest_env(&cat, dir, &input, &args, &env);
            let what = format!("{error} / {kill:?} / rest={rest}");
            match kill {
                None => {
                    assert!(first.status.success(), "{what}: {}", String::from_utf8_lossy(&first.stderr));
                    assert_eq!(report(&first)["commits"].as_array().unwrap().len(), 5, "{what}");
                }
                Some(_) => {
                    assert!(!first.status.success(), "{what}: the failpoint must kill the run");
                    let out = ingest(&cat, dir, &input, &args);
                    assert!(out.status.success(), "{what}: rerun failed: {}", String::from_utf8_lossy(&out.stderr));
                }
            }
            assert_exactly_once(&cat, n, &what);
        }
    }
}

#[test]
fn data_files_use_the_tables_compression_codec_unless_the_flag_says_otherwise() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cat = Cat::Sqlite(dir);
    let input = setup(dir, 100);
    let schema = dir.join("schema.json");
    let codec_of = |out: &std::process::Output| -> String {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let loc = report(out)["files"][0]["location"].as_str().unwrap().trim_start_matches("file://").to_string();
        let script = format!("import pyarrow.parquet as pq; print(pq.ParquetFile('{loc}').metadata.row_group(0).column(0).compression)");
        let o = std::process::Command::new(crate::common::python()).arg("-c").arg(script).output().unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    let out = ingest(
        &cat,
        dir,
        &input,
        &["--create", "--schema", schema.to_str().unwrap(), "--property", "write.parquet.compression-codec=snappy"],
    );
    assert_eq!(codec_of(&out), "SNAPPY");
    let more = dir.join("more.ndjson");
    write_lines(&more, &[row(500).to_string()]);
    assert_eq!(codec_of(&ingest(&cat, dir, &more, &["--compression", "gzip"])), "GZIP");
}

#[test]
fn manifest_metrics_follow_the_tables_metrics_modes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cat = Cat::Sqlite(dir);
    let input = setup(dir, 200);
    let schema = dir.join("schema.json");
    // Bounds of every column by field id, as PyIceberg reads them from the manifest (values as text).
    let bounds = || -> Value {
        let script = format!(
            "import json\nfrom pyiceberg.catalog.sql import SqlCatalog\n\
             c = SqlCatalog('default', uri='sqlite:///{}', warehouse='file://{}')\n\
             f = c.load_table('db.events').inspect.files().to_pylist()[0]\n\
             print(json.dumps({{k: {{str(i): v.decode('utf-8', 'replace') for i, v in (f[k] or [])}} \
             for k in ('lower_bounds', 'upper_bounds')}} | {{'value_counts': len(f['value_counts'] or [])}}))",
            dir.join("catalog.db").display(),
            dir.join("wh").display()
        );
        let o = std::process::Command::new(crate::common::python()).arg("-c").arg(script).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let out = ingest(
        &cat,
        dir,
        &input,
        &[
            "--create",
            "--schema",
            schema.to_str().unwrap(),
            "--property",
            "write.metadata.metrics.default=counts",
            "--property",
            "write.metadata.metrics.column.name=full",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let b = bounds();
    // Only `name` (field id 3) has bounds, untruncated; every column still has value counts.
    let lower = b["lower_bounds"].as_object().unwrap();
    assert_eq!(lower.keys().collect::<Vec<_>>(), vec!["3"], "{b}");
    let names: Vec<String> = (0..200).map(row).filter_map(|r| r["name"].as_str().map(str::to_string)).collect();
    assert_eq!(b["upper_bounds"]["3"], json!(names.iter().max().unwrap()), "full mode keeps the whole value");
    assert_eq!(b["lower_bounds"]["3"], json!(names.iter().min().unwrap()));
    assert!(b["value_counts"].as_u64().unwrap() >= 6);
}

/// Manifest merging (`commit.manifest.min-count-to-merge`) must keep each commit's own files ADDED with their
/// inherited sequence number: incremental readers (PyIceberg's `incremental_append_scan`, `scan --since-snapshot`,
/// `watch --rows`) find a snapshot's rows by those entries. The merging commit once wrote them EXISTING with
/// sequence number -1, so its rows vanished from every incremental read.
#[test]
fn merged_manifests_keep_each_commits_files_added_with_its_sequence_number() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cat = Cat::Sqlite(dir);
    let input = setup(dir, 12);
    let schema = dir.join("schema.json");
    let out = ingest(
        &cat,
        dir,
        &input,
        &[
            "--create",
            "--schema",
            schema.to_str().unwrap(),
            "--max-rows",
            "1",
            "--property",
            "commit.manifest.min-count-to-merge=3",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let commits = report(&out)["commits"].as_array().unwrap().clone();
    assert_eq!(commits.len(), 12);
    let table = cat.table();
    // Each commit's snapshot, incrementally, holds exactly its own row — for PyIceberg and for prestige.
    let mut prev: Option<i64> = None;
    for (i, c) in commits.iter().enumerate() {
        let id = c["snapshot_id"].as_i64().unwrap();
        if let Some(p) = prev {
            let py = cat.py(&["read", &table, "--since", &p.to_string(), "--until", &id.to_string(), "--columns", "id"]);
            let ids: Vec<u64> = py["rows"].as_array().unwrap().iter().map(|r| r["id"].as_u64().unwrap()).collect();
            assert_eq!(ids, vec![i as u64], "PyIceberg's incremental read of commit {i}");
            let mut cmd = prestige_std();
            cat.apply(&mut cmd);
            let o = cmd
                .args(["scan", "--table", &table, "--since-snapshot", &p.to_string(), "--until-snapshot", &id.to_string()])
                .args(["--columns", "id", "--format", "ndjson"])
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), format!("{{\"id\":{i}}}"), "prestige's incremental read of commit {i}");
        }
        prev = Some(id);
    }
    // The merges happened, and every live entry carries a real sequence number: the one of the commit that added it.
    let snaps = cat.snapshots();
    let seq_of: std::collections::HashMap<i64, i64> = snaps["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["snapshot_id"].as_i64().unwrap(), s["sequence_number"].as_i64().unwrap()))
        .collect();
    let entries = cat.py(&["entries", &table]);
    let entries = entries["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 12);
    assert!(entries.iter().any(|e| e["status"] == "EXISTING"), "no manifest was merged: {entries:?}");
    for e in entries {
        let sid = e["snapshot_id"].as_i64().unwrap();
        assert_eq!(e["sequence_number"].as_i64(), Some(seq_of[&sid]), "{e}");
        assert_eq!(e["file_sequence_number"].as_i64(), Some(seq_of[&sid]), "{e}");
    }
}
