//! `prestige watch --table`: events equal PyIceberg's snapshot list and a `--once --state` rerun delivers only
//! new snapshots; `--rows` delivers exactly the appended rows (checked against the inputs and PyIceberg's
//! scan), a PyIceberg delete is an event and stops `--rows` unless `--skip-non-append`; kill -9 twice under a
//! running writer still delivers every row exactly once (complete snapshots, by their end markers); an expired
//! checkpoint resumes through its child or stops loudly; a rolled-back ref stops loudly; usage errors.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{ACCESS_KEY, ICEBERG_WAREHOUSE, S3Server, SECRET_KEY, iceberg_py, prestige_std, py_json, shared_s3, write_lines};

const SCHEMA: &str = r#"[{"name":"id","type":"int64","nullable":false},{"name":"name","type":"string"},{"name":"v","type":"float64"}]"#;

/// Row `i` as ingested, and as `watch --rows` and PyIceberg print it.
fn row(i: u64) -> Value {
    json!({"id": i, "name": format!("n{i}"), "v": i as f64 + 0.5})
}

/// A table on the SQLite catalog in `dir`, or in a namespace of its own on SeaweedFS's REST catalog.
struct Cat<'a> {
    rest: Option<&'a S3Server>,
    dir: &'a Path,
    table: String,
}

impl<'a> Cat<'a> {
    fn sqlite(dir: &'a Path) -> Self {
        Cat { rest: None, dir, table: "db.events".into() }
    }

    fn rest(dir: &'a Path) -> Self {
        let ns = format!("w{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        Cat { rest: Some(shared_s3()), dir, table: format!("{ns}.events") }
    }

    fn prestige(&self) -> Command {
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

    fn catalog_args(&self) -> Vec<String> {
        match self.rest {
            None => vec![
                "--sqlite".into(),
                self.dir.join("catalog.db").display().to_string(),
                "--warehouse".into(),
                self.dir.join("wh").display().to_string(),
            ],
            Some(s3) => s3.iceberg_args(),
        }
    }

    /// iceberg_tool.py (PyIceberg reads).
    fn py(&self, args: &[&str]) -> Value {
        let mut all = self.catalog_args();
        all.extend(args.iter().map(|a| a.to_string()));
        iceberg_py(&all.iter().map(String::as_str).collect::<Vec<_>>(), self.rest)
    }

    /// watch_tool.py (PyIceberg deletes, expiry, rollback).
    fn change(&self, args: &[&str]) -> Value {
        let mut all = self.catalog_args();
        all.extend(args.iter().map(|a| a.to_string()));
        py_json("watch_tool.py", &all.iter().map(String::as_str).collect::<Vec<_>>(), self.rest)
    }

    /// PyIceberg's snapshots of the table, in commit order.
    fn snapshots(&self) -> Vec<Value> {
        let mut s = self.py(&["snapshots", &self.table])["snapshots"].as_array().cloned().unwrap();
        s.sort_by_key(|s| s["sequence_number"].as_i64());
        s
    }

    /// PyIceberg's full scan of the current snapshot, by id.
    fn rows(&self) -> Vec<Value> {
        sorted(self.py(&["read", &self.table])["rows"].as_array().cloned().unwrap())
    }

    /// Ingests rows `ids` (creating the table), `max_rows` per commit.
    fn ingest(&self, ids: std::ops::Range<u64>, max_rows: u64) {
        std::fs::write(self.dir.join("schema.json"), SCHEMA).unwrap();
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let input = self.dir.join(format!("in-{tag}.ndjson"));
        write_lines(&input, &ids.map(|i| row(i).to_string()).collect::<Vec<_>>());
        let out = self
            .prestige()
            .arg("ingest")
            .arg(&input)
            .args(["--table", &self.table, "--create", "--schema"])
            .arg(self.dir.join("schema.json"))
            .args(["--max-rows", &max_rows.to_string(), "--format", "json", "--state-dir"])
            .arg(self.dir.join(format!("state-{tag}")))
            .output()
            .unwrap();
        assert!(out.status.success(), "ingest: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// `prestige watch --table TABLE ARGS...`.
    fn watch(&self, args: &[&str]) -> Output {
        self.prestige().args(["watch", "--table", &self.table]).args(args).output().unwrap()
    }
}

fn sorted(mut rows: Vec<Value>) -> Vec<Value> {
    rows.sort_by_key(|r| r["id"].as_u64());
    rows
}

fn lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect()
}

/// stdout of a successful run, as JSON lines.
fn ok_lines(out: &Output, what: &str) -> Vec<Value> {
    assert!(out.status.success(), "{what}: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    lines(&out.stdout)
}

fn state(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn summary_count(s: &Value, key: &str) -> u64 {
    s["summary"][key].as_str().map_or(0, |v| v.parse().unwrap())
}

/// The event for snapshot `s` of PyIceberg's list, field by field.
fn assert_event_matches(ev: &Value, s: &Value, table: &str) {
    let id = s["snapshot_id"].as_i64().unwrap();
    assert_eq!(ev["table"], table);
    assert_eq!(ev["ref"], "main");
    assert_eq!(ev["snapshot_id"].as_i64(), Some(id));
    assert_eq!(ev["parent_id"], s["parent_id"], "parent of {id}");
    assert_eq!(ev["sequence_number"], s["sequence_number"], "sequence number of {id}");
    assert_eq!(ev["timestamp_ms"], s["timestamp_ms"], "timestamp of {id}");
    let ms = s["timestamp_ms"].as_i64().unwrap();
    let rfc = chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert_eq!(ev["timestamp"], rfc.as_str());
    assert_eq!(ev["operation"], s["operation"], "operation of {id}");
    assert_eq!(ev["added_data_files"].as_u64(), Some(summary_count(s, "added-data-files")));
    assert_eq!(ev["added_records"].as_u64(), Some(summary_count(s, "added-records")));
    assert_eq!(ev["deleted_records"].as_u64(), Some(summary_count(s, "deleted-records")));
    assert_eq!(ev["commit_id"], s["summary"].get("prestige.commit-id").cloned().unwrap_or(Value::Null));
    assert_eq!(ev["wap_id"], s["summary"].get("wap.id").cloned().unwrap_or(Value::Null));
}

#[test]
fn events_equal_pyicebergs_snapshots_and_a_rerun_with_state_delivers_only_new_ones_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    events_and_resume(&Cat::sqlite(tmp.path()));
}

#[test]
fn events_equal_pyicebergs_snapshots_and_a_rerun_with_state_delivers_only_new_ones_on_rest() {
    let tmp = tempfile::tempdir().unwrap();
    events_and_resume(&Cat::rest(tmp.path()));
}

fn events_and_resume(cat: &Cat) {
    cat.ingest(0..300, 100);
    let st = cat.dir.join("events.watch");
    let st_arg = st.to_str().unwrap();
    let events = ok_lines(&cat.watch(&["--once", "--state", st_arg, "--lookback", "1d"]), "first run");
    let snaps = cat.snapshots();
    assert_eq!(snaps.len(), 3, "one snapshot per 100 rows");
    assert_eq!(events.len(), 3, "one event per snapshot: {events:?}");
    for (ev, s) in events.iter().zip(&snaps) {
        assert_event_matches(ev, s, &cat.table);
        assert!(ev["commit_id"].is_string(), "prestige's commits carry a commit id");
    }
    assert_eq!(state(&st)["snapshot_id"], snaps[2]["snapshot_id"], "the checkpoint is the last delivered snapshot");

    assert!(ok_lines(&cat.watch(&["--once", "--state", st_arg]), "rerun").is_empty(), "nothing new, nothing delivered");

    cat.ingest(300..350, 100);
    let snaps = cat.snapshots();
    let again = ok_lines(&cat.watch(&["--once", "--state", st_arg]), "after one more commit");
    assert_eq!(again.len(), 1, "only the new snapshot: {again:?}");
    assert_event_matches(&again[0], &snaps[3], &cat.table);
    let s = state(&st);
    assert_eq!(s["snapshot_id"], snaps[3]["snapshot_id"]);
    assert_eq!(s["sequence_number"], snaps[3]["sequence_number"]);
    assert_eq!(s["timestamp_ms"], snaps[3]["timestamp_ms"]);

    // Without state, --start-snapshot is inclusive; --lookback 1ms starts at the head (nothing yet).
    let from = snaps[1]["snapshot_id"].as_i64().unwrap().to_string();
    let got = ok_lines(&cat.watch(&["--once", "--start-snapshot", &from]), "--start-snapshot");
    let ids: Vec<&Value> = got.iter().map(|e| &e["snapshot_id"]).collect();
    assert_eq!(ids, snaps[1..].iter().map(|s| &s["snapshot_id"]).collect::<Vec<_>>());
    assert!(ok_lines(&cat.watch(&["--once", "--lookback", "1ms"]), "--lookback 1ms").is_empty());
}

#[test]
fn rows_are_exactly_the_appended_rows_and_a_delete_is_an_event_that_stops_rows_unless_skipped_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    rows_and_deletes(&Cat::sqlite(tmp.path()));
}

#[test]
fn rows_are_exactly_the_appended_rows_and_a_delete_is_an_event_that_stops_rows_unless_skipped_on_rest() {
    let tmp = tempfile::tempdir().unwrap();
    rows_and_deletes(&Cat::rest(tmp.path()));
}

fn rows_and_deletes(cat: &Cat) {
    cat.ingest(0..500, 100);
    let rows_st = cat.dir.join("rows.watch");
    let rows_st = rows_st.to_str().unwrap();
    let ev_st = cat.dir.join("events.watch");
    let ev_st = ev_st.to_str().unwrap();
    let inputs: Vec<Value> = (0..500).map(row).collect();

    let got = ok_lines(&cat.watch(&["--rows", "--once", "--state", rows_st, "--lookback", "1d"]), "--rows");
    assert_eq!(got.len(), 500, "every appended row once");
    assert_eq!(sorted(got), inputs, "--rows prints the rows as ingested");
    assert_eq!(cat.rows(), inputs, "PyIceberg's full scan holds the same rows");
    let filtered = ok_lines(
        &cat.watch(&["--rows", "--once", "--lookback", "1d", "--columns", "name,id", "--where", "id >= 450 AND name <> 'n460'"]),
        "--rows --columns --where",
    );
    let want: Vec<Value> =
        (450..500).filter(|i| *i != 460).map(|i| json!({"name": format!("n{i}"), "id": i})).collect();
    assert_eq!(sorted(filtered), want);
    assert_eq!(ok_lines(&cat.watch(&["--once", "--state", ev_st, "--lookback", "1d"]), "events").len(), 5);

    // PyIceberg deletes rows: an event for the events watcher; the rows watcher stops before it (exit 2).
    let after = cat.change(&["delete", &cat.table, "--where", "id < 50"]);
    let del = after["snapshots"].as_array().unwrap().iter().max_by_key(|s| s["sequence_number"].as_i64()).unwrap().clone();
    assert_ne!(del["operation"], "append");
    let ev = ok_lines(&cat.watch(&["--once", "--state", ev_st]), "events after the delete");
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_event_matches(&ev[0], &del, &cat.table);
    assert_eq!(ev[0]["deleted_records"].as_u64(), Some(summary_count(&del, "deleted-records")));
    assert!(ev[0]["deleted_records"].as_u64().unwrap() >= 50);

    let before = state(Path::new(rows_st));
    let out = cat.watch(&["--rows", "--once", "--state", rows_st]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    let del_id = del["snapshot_id"].as_i64().unwrap().to_string();
    assert!(err.contains(&del_id) && err.contains("--skip-non-append") && err.contains(&cat.table), "{err}");
    assert!(out.stdout.is_empty(), "nothing printed for a snapshot it cannot deliver");
    assert_eq!(state(Path::new(rows_st)), before, "the checkpoint stays before the delete");

    cat.ingest(500..600, 100);
    let more = ok_lines(&cat.watch(&["--rows", "--once", "--state", rows_st, "--skip-non-append"]), "--skip-non-append");
    assert_eq!(sorted(more), (500..600).map(row).collect::<Vec<_>>(), "only the rows appended since");
    assert_eq!(cat.rows(), (50..600).map(row).collect::<Vec<_>>(), "PyIceberg: the inputs minus the deleted rows");
}

/// Rows per complete snapshot (followed by its end marker) in one run's output; the rows of a snapshot cut
/// short by a kill are dropped.
fn complete_deliveries(out: &[u8]) -> Vec<(i64, Vec<Value>)> {
    let mut done = Vec::new();
    let mut pending = Vec::new();
    for l in String::from_utf8_lossy(out).lines() {
        let Ok(v) = serde_json::from_str::<Value>(l) else {
            assert!(!l.ends_with('\n'), "only a cut-off last line may be unparseable");
            continue;
        };
        match v.get("prestige_watch_end") {
            Some(ev) => done.push((ev["snapshot_id"].as_i64().unwrap(), std::mem::take(&mut pending))),
            None => pending.push(v),
        }
    }
    done
}

#[test]
fn kill_9_twice_under_a_running_writer_delivers_every_appended_row_exactly_once_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    kill_and_resume(&Cat::sqlite(tmp.path()));
}

#[test]
fn kill_9_twice_under_a_running_writer_delivers_every_appended_row_exactly_once_on_rest() {
    let tmp = tempfile::tempdir().unwrap();
    kill_and_resume(&Cat::rest(tmp.path()));
}

fn spawn_watcher(cat: &Cat, st: &Path, out: &Path) -> std::process::Child {
    cat.prestige()
        .args(["watch", "--table", &cat.table, "--rows", "--markers", "--interval", "200ms", "--lookback", "1d", "--state"])
        .arg(st)
        .stdout(std::fs::File::create(out).unwrap())
        .stderr(std::fs::File::create(out.with_extension("err")).unwrap())
        .spawn()
        .unwrap()
}

fn kill_and_resume(cat: &Cat) {
    std::fs::write(cat.dir.join("schema.json"), SCHEMA).unwrap();
    let out = cat.prestige().args(["table", "create", &cat.table, "--schema"]).arg(cat.dir.join("schema.json")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let st = cat.dir.join("rows.watch");
    let outs: Vec<PathBuf> = (0..3).map(|k| cat.dir.join(format!("run{k}.ndjson"))).collect();

    let fed = std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut child = cat
                .prestige()
                .arg("ingest")
                .args(["--table", &cat.table, "--commit-interval", "300ms", "--max-rows", "400", "--format", "json", "--state-dir"])
                .arg(cat.dir.join("ingest-state"))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            let began = Instant::now();
            let mut id = 0u64;
            while began.elapsed() < Duration::from_secs(6) {
                let chunk: String = (id..id + 40).map(|i| format!("{}\n", row(i))).collect();
                id += 40;
                stdin.write_all(chunk.as_bytes()).unwrap();
                std::thread::sleep(Duration::from_millis(20));
            }
            drop(stdin);
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "writer: {}", String::from_utf8_lossy(&out.stderr));
            id
        });
        // Two watchers killed with SIGKILL while the writer commits.
        for (k, wait) in [(0, 1800), (1, 2300)] {
            let mut w = spawn_watcher(cat, &st, &outs[k]);
            std::thread::sleep(Duration::from_millis(wait));
            w.kill().unwrap();
            w.wait().unwrap();
        }
        writer.join().unwrap()
    });

    // The third run catches up with the finished writer, then stops cleanly on SIGTERM.
    let head = cat.snapshots().last().unwrap()["snapshot_id"].clone();
    let mut w = spawn_watcher(cat, &st, &outs[2]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while st.exists().then(|| state(&st)["snapshot_id"].clone()) != Some(head.clone()) {
        assert!(Instant::now() < deadline, "the watcher did not reach the head {head}");
        std::thread::sleep(Duration::from_millis(100));
    }
    unsafe {
        libc::kill(w.id() as i32, libc::SIGTERM);
    }
    let status = w.wait().unwrap();
    let err = std::fs::read_to_string(outs[2].with_extension("err")).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("watch stopped after") && err.contains("state saved in"), "{err}");

    let mut delivered: BTreeMap<i64, usize> = BTreeMap::new();
    let mut ids: Vec<u64> = Vec::new();
    for o in &outs {
        for (snap, rows) in complete_deliveries(&std::fs::read(o).unwrap()) {
            *delivered.entry(snap).or_default() += 1;
            ids.extend(rows.iter().map(|r| {
                assert_eq!(*r, row(r["id"].as_u64().unwrap()));
                r["id"].as_u64().unwrap()
            }));
        }
    }
    assert!(delivered.values().all(|n| *n == 1), "a completed snapshot delivered twice: {delivered:?}");
    let appends: BTreeSet<i64> =
        cat.snapshots().iter().filter(|s| s["operation"] == "append").map(|s| s["snapshot_id"].as_i64().unwrap()).collect();
    assert_eq!(delivered.keys().copied().collect::<BTreeSet<_>>(), appends, "every append snapshot delivered");
    assert!(appends.len() >= 5, "the writer committed several times: {}", appends.len());
    ids.sort_unstable();
    assert_eq!(ids, (0..fed).collect::<Vec<_>>(), "every appended row exactly once across the kills");
    assert_eq!(cat.rows().len() as u64, fed, "PyIceberg reads every row fed");
}

#[test]
fn an_expired_checkpoint_resumes_through_its_child_or_stops_loudly_and_a_rolled_back_ref_stops() {
    let tmp = tempfile::tempdir().unwrap();
    let cat = Cat::sqlite(tmp.path());
    cat.ingest(0..200, 100);
    let a = tmp.path().join("a.watch");
    let b = tmp.path().join("b.watch");
    let rows = |st: &Path, extra: &[&str]| {
        let mut args = vec!["--rows", "--once", "--state", st.to_str().unwrap()];
        args.extend_from_slice(extra);
        cat.watch(&args)
    };
    assert_eq!(ok_lines(&rows(&a, &["--lookback", "1d"]), "first").len(), 200);
    std::fs::copy(&a, &b).unwrap();
    cat.ingest(200..400, 100);
    let s = cat.snapshots();
    let id = |i: usize| s[i]["snapshot_id"].as_i64().unwrap();
    assert_eq!(state(&a)["snapshot_id"].as_i64(), Some(id(1)));

    // The checkpoint (s1) and its parent expire; its child s2 is still there: no gap, go on with s2.
    cat.change(&["expire", &cat.table, "--ids", &format!("{},{}", id(0), id(1))]);
    let got = ok_lines(&rows(&a, &[]), "after expiring the checkpoint");
    assert_eq!(sorted(got), (200..400).map(row).collect::<Vec<_>>(), "resumed with the checkpoint's child");
    assert_eq!(state(&a)["snapshot_id"].as_i64(), Some(id(3)));

    // The checkpoint's child expires too: nothing proves that no undelivered snapshot was expired.
    cat.change(&["expire", &cat.table, "--ids", &id(2).to_string()]);
    let out = rows(&b, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains(&id(1).to_string()) && err.contains("expired") && err.contains(&id(3).to_string()), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(state(&b)["snapshot_id"].as_i64(), Some(id(1)), "the state is left as it was");

    // main rolled back past the checkpoint: stop, never re-deliver or skip silently.
    cat.ingest(400..450, 100);
    assert_eq!(ok_lines(&rows(&a, &[]), "one more").len(), 50);
    cat.change(&["rollback", &cat.table, "--to", &id(3).to_string()]);
    let out = rows(&a, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("rolled back") && err.contains(&id(3).to_string()), "{err}");
}

#[test]
fn exec_gets_each_snapshot_whole_and_a_failing_command_leaves_it_undelivered() {
    let tmp = tempfile::tempdir().unwrap();
    let cat = Cat::sqlite(tmp.path());
    cat.ingest(0..300, 100);
    let sink = tmp.path().join("sink");
    std::fs::create_dir(&sink).unwrap();
    let st = tmp.path().join("exec.watch");
    let st_arg = st.to_str().unwrap();
    let fail = cat.watch(&["--rows", "--once", "--lookback", "1d", "--state", st_arg, "--exec", "cat >/dev/null; exit 3"]);
    let err = String::from_utf8_lossy(&fail.stderr);
    assert_eq!(fail.status.code(), Some(1), "{err}");
    let first = cat.snapshots()[0]["snapshot_id"].as_i64().unwrap().to_string();
    assert!(err.contains(&first) && err.contains("exit code 3"), "{err}");
    assert!(state(&st)["snapshot_id"].is_null(), "nothing delivered: the checkpoint is still before the first snapshot");

    let cmd = format!(
        "cat > {0}/$PRESTIGE_SNAPSHOT_ID.tmp && echo \"$PRESTIGE_EVENT\" > {0}/$PRESTIGE_SNAPSHOT_ID.event && mv {0}/$PRESTIGE_SNAPSHOT_ID.tmp {0}/$PRESTIGE_SNAPSHOT_ID.ndjson",
        sink.display()
    );
    let out = cat.watch(&["--rows", "--once", "--state", st_arg, "--exec", &cmd]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "rows go to the command, not stdout");
    let mut all = Vec::new();
    for s in cat.snapshots() {
        let id = s["snapshot_id"].as_i64().unwrap();
        let rows = lines(&std::fs::read(sink.join(format!("{id}.ndjson"))).unwrap());
        assert_eq!(rows.len() as u64, summary_count(&s, "added-records"), "snapshot {id} handed over whole");
        let ev: Value = serde_json::from_slice(&std::fs::read(sink.join(format!("{id}.event"))).unwrap()).unwrap();
        assert_event_matches(&ev, &s, &cat.table);
        all.extend(rows);
    }
    assert_eq!(sorted(all), (0..300).map(row).collect::<Vec<_>>());
}

#[test]
fn usage_errors_and_a_missing_table_fail_with_their_documented_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let cat = Cat::sqlite(tmp.path());
    let code = |out: Output| (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned());
    let run = |args: &[&str]| code(cat.prestige().arg("watch").args(args).output().unwrap());

    let (c, err) = run(&["--table", "db.events", "./lake", "--once"]);
    assert_eq!(c, Some(2), "{err}");
    assert!(err.contains("--table") && err.contains("LOCATION"), "{err}");
    let (c, err) = run(&["./lake", "--prefix", "events", "--rows", "--once"]);
    assert_eq!(c, Some(2), "--rows needs --table: {err}");
    let (c, err) = run(&["--table", "db.events", "--markers", "--once"]);
    assert_eq!(c, Some(2), "--markers needs --rows: {err}");
    let (c, err) = run(&["--table", "db.events", "--prefix", "events", "--once"]);
    assert_eq!(c, Some(2), "{err}");

    let (c, err) = run(&["--table", "db.nope", "--once"]);
    assert_eq!(c, Some(5), "{err}");
    assert!(err.contains("db.nope"), "{err}");

    cat.ingest(0..10, 100);
    let st = tmp.path().join("s.watch");
    assert!(cat.watch(&["--once", "--state", st.to_str().unwrap()]).status.success());
    let (c, err) = code(cat.watch(&["--once", "--state", st.to_str().unwrap(), "--ref", "audit"]));
    assert_eq!(c, Some(2), "a state for another ref: {err}");
    let (c, err) = code(cat.watch(&["--once", "--ref", "audit"]));
    assert_eq!(c, Some(5), "a missing ref: {err}");
    assert!(err.contains("audit"), "{err}");
    let (c, err) = code(cat.watch(&["--once", "--start-snapshot", "12345"]));
    assert_eq!(c, Some(5), "{err}");
    assert!(err.contains("12345"), "{err}");
}
