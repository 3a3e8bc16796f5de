//! `prestige snapshot expire | remove-orphans | rollback | set-current | branch | tag`: expiry keeps every file a
//! branch or tag still reaches and deletes exactly the rest (checked against a listing of the table's files and
//! PyIceberg's reads of every ref), on SQLite and on SeaweedFS's REST catalog; a kill between the expiry commit and
//! its deletions leaves only orphans, which remove-orphans then removes; remove-orphans deletes the leftovers of
//! killed ingests and nothing of an ingest committing while it runs; ref changes as PyIceberg sees them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{
    ACCESS_KEY, ICEBERG_WAREHOUSE, S3Server, SECRET_KEY, iceberg_py, prestige_std, py_json, report, shared_s3, write_lines,
};

/// Where the table lives: the embedded SQLite catalog in a temporary directory, or SeaweedFS's REST catalog.
enum Cat<'a> {
    Sqlite(&'a Path),
    Rest(&'a S3Server, String),
}

impl Cat<'_> {
    fn rest(s3: &S3Server) -> Cat<'_> {
        Cat::Rest(s3, format!("s{}", &uuid::Uuid::new_v4().simple().to_string()[..10]))
    }

    fn table(&self) -> String {
        match self {
            Cat::Sqlite(_) => "db.events".into(),
            Cat::Rest(_, ns) => format!("{ns}.events"),
        }
    }

    fn s3(&self) -> Option<&S3Server> {
        match self {
            Cat::Rest(s3, _) => Some(s3),
            Cat::Sqlite(_) => None,
        }
    }

    fn cmd(&self) -> std::process::Command {
        let mut cmd = prestige_std();
        match self {
            Cat::Sqlite(dir) => {
                cmd.arg("--catalog")
                    .arg(format!("sqlite:///{}", dir.join("catalog.db").display()))
                    .arg("--warehouse")
                    .arg(dir.join("wh"));
            }
            Cat::Rest(s3, _) => {
                s3.apply_env(&mut cmd);
                cmd.args(["--catalog", &s3.iceberg_uri(), "--warehouse", ICEBERG_WAREHOUSE])
                    .env("PYICEBERG_CATALOG__DEFAULT__CREDENTIAL", format!("{ACCESS_KEY}:{SECRET_KEY}"))
                    .env("PYICEBERG_CATALOG__DEFAULT__S3__ENDPOINT", s3.endpoint());
            }
        }
        cmd.args(["--format", "json"]);
        cmd
    }

    /// `prestige snapshot ARGS...` on this table.
    fn snapshot(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        let mut cmd = self.cmd();
        cmd.arg("snapshot").args(args).envs(env.iter().copied());
        cmd.output().unwrap()
    }

    /// A successful `prestige snapshot ...`'s report.
    fn ok(&self, args: &[&str]) -> Value {
        let out = self.snapshot(args, &[]);
        assert!(out.status.success(), "snapshot {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        report(&out)
    }

    fn catalog_args(&self) -> Vec<String> {
        match self {
            Cat::Sqlite(dir) => vec![
                "--sqlite".into(),
                dir.join("catalog.db").display().to_string(),
                "--warehouse".into(),
                dir.join("wh").display().to_string(),
            ],
            Cat::Rest(s3, _) => s3.iceberg_args(),
        }
    }

    fn py(&self, args: &[&str]) -> Value {
        let mut all = self.catalog_args();
        all.extend(args.iter().map(|a| a.to_string()));
        iceberg_py(&all.iter().map(String::as_str).collect::<Vec<_>>(), self.s3())
    }

    /// PyIceberg's rows of one snapshot (the current one without an id).
    fn rows(&self, snapshot: Option<i64>) -> Vec<Value> {
        let t = self.table();
        let id = snapshot.map(|s| s.to_string());
        let mut args = vec!["read", t.as_str()];
        if let Some(id) = &id {
            args.extend(["--snapshot-id", id.as_str()]);
        }
        let mut rows = self.py(&args)["rows"].as_array().cloned().unwrap();
        rows.sort_by_key(|r| r["id"].as_i64());
        rows
    }

    fn snapshots(&self) -> Value {
        self.py(&["snapshots", &self.table()])
    }

    /// Every path PyIceberg finds referenced by the table's metadata.
    fn referenced(&self) -> BTreeSet<String> {
        let mut all = vec!["referenced".to_string(), self.table()];
        all.extend(self.catalog_args());
        let v = py_json("snapshots_tool.py", &all.iter().map(String::as_str).collect::<Vec<_>>(), self.s3());
        v["files"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect()
    }

    /// The table's location as a local directory (SQLite) or (bucket, prefix) listing.
    fn location(&self) -> String {
        self.snapshots()["location"].as_str().unwrap().trim_start_matches("file://").to_string()
    }

    /// Every file under the table's location: local paths, or `s3://bucket/key`.
    fn files(&self) -> BTreeSet<String> {
        let loc = self.location();
        match self {
            Cat::Sqlite(_) => walk(Path::new(&loc)).into_iter().map(|p| p.display().to_string()).collect(),
            Cat::Rest(s3, _) => {
                let rest = loc.strip_prefix("s3://").unwrap();
                let (bucket, prefix) = rest.split_once('/').unwrap();
                s3.list(bucket, &format!("{prefix}/")).into_iter().map(|(k, _)| format!("s3://{bucket}/{k}")).collect()
            }
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn ids(v: &Value) -> BTreeSet<i64> {
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

fn n(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or_else(|| panic!("{k} in {v}"))
}

/// What kind of table file a path is: `data` (Parquet), `list` (manifest list), `manifest`, `metadata`.
fn kind(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap();
    if name.ends_with(".parquet") {
        "data"
    } else if name.ends_with(".metadata.json") {
        "metadata"
    } else if name.starts_with("snap-") && name.ends_with(".avro") {
        "list"
    } else if name.ends_with(".avro") {
        "manifest"
    } else {
        "other"
    }
}

const COUNTS: [&str; 6] = [
    "deleted_data_files_count",
    "deleted_position_delete_files_count",
    "deleted_equality_delete_files_count",
    "deleted_manifest_files_count",
    "deleted_manifest_lists_count",
    "deleted_statistics_files_count",
];

#[test]
fn expire_keeps_every_file_a_branch_or_tag_reaches_and_deletes_the_rest_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    expire_with_refs(&Cat::Sqlite(tmp.path()));
}

#[test]
fn expire_keeps_every_file_a_branch_or_tag_reaches_and_deletes_the_rest_on_rest() {
    expire_with_refs(&Cat::rest(shared_s3()));
}

/// A PyIceberg table with appends, an overwrite and deletes that rewrite files; a tag on an old append and a
/// branch on the snapshot after the overwrite; then expire everything else.
fn expire_with_refs(cat: &Cat) {
    let made = cat.py(&["make-pyiceberg-table", &cat.table()]);
    let snaps: Vec<i64> = made["snapshots"].as_array().unwrap().iter().map(|s| s["snapshot_id"].as_i64().unwrap()).collect();
    assert_eq!(snaps.len(), 8);
    let (tagged, branched, head) = (snaps[1], snaps[3], snaps[7]);
    let t = cat.table();
    cat.ok(&["tag", "create", &t, "old", "--snapshot-id", &tagged.to_string()]);
    cat.ok(&["branch", "create", &t, "audit", "--snapshot-id", &branched.to_string()]);
    let refs = cat.snapshots()["refs"].clone();
    assert_eq!(refs["old"]["snapshot_id"], tagged);
    assert_eq!(refs["old"]["type"], "tag");
    assert_eq!(refs["audit"]["snapshot_id"], branched);
    assert_eq!(refs["audit"]["type"], "branch");

    let rows_before: Vec<Vec<Value>> = [tagged, branched, head].iter().map(|s| cat.rows(Some(*s))).collect();
    assert!(rows_before.iter().all(|r| !r.is_empty()));
    let files_before = cat.files();

    let plan = cat.ok(&["expire", &t, "--older-than", "0s", "--plan"]);
    assert_eq!(plan["plan"], true);
    assert_eq!(cat.files(), files_before, "--plan deletes nothing");
    assert_eq!(cat.snapshots()["snapshots"].as_array().unwrap().len(), 8, "--plan expires nothing");
    let run = cat.ok(&["expire", &t, "--older-than", "0s"]);
    let kept: BTreeSet<i64> = [tagged, branched, head].into();
    let expected_expired: BTreeSet<i64> = snaps.iter().copied().filter(|s| !kept.contains(s)).collect();
    assert_eq!(ids(&run["expired_snapshot_ids"]), expected_expired);
    assert_eq!(ids(&plan["expired_snapshot_ids"]), expected_expired);
    for k in COUNTS {
        assert_eq!(plan[k], run[k], "{k}: --plan counts equal the run's");
    }
    assert_eq!(run["previous_snapshot_id"], head);
    assert_eq!(run["current_snapshot_id"], head);
    assert!(run["failed_deletes"].as_array().unwrap().is_empty());

    // The counts equal what disappeared from the table's location; only a metadata file appeared.
    let files_after = cat.files();
    let gone: Vec<&String> = files_before.difference(&files_after).collect();
    let new: Vec<&String> = files_after.difference(&files_before).collect();
    assert!(new.iter().all(|p| kind(p) == "metadata"), "{new:?}");
    let count = |k: &str| gone.iter().filter(|p| kind(p) == k).count() as u64;
    assert_eq!(count("data"), n(&run, COUNTS[0]) + n(&run, COUNTS[1]) + n(&run, COUNTS[2]), "{gone:?}");
    assert_eq!(count("manifest"), n(&run, "deleted_manifest_files_count"), "{gone:?}");
    assert_eq!(count("list"), n(&run, "deleted_manifest_lists_count"), "{gone:?}");
    assert_eq!(gone.len() as u64, count("data") + count("manifest") + count("list"), "{gone:?}");
    assert!(n(&run, "deleted_data_files_count") >= 1, "the overwrite and deletes rewrote files: {run}");
    assert_eq!(n(&run, "deleted_manifest_lists_count"), 5);

    // Every ref reads fully in PyIceberg, and nothing the metadata references is missing.
    let after = cat.snapshots();
    let left: BTreeSet<i64> = after["snapshots"].as_array().unwrap().iter().map(|s| s["snapshot_id"].as_i64().unwrap()).collect();
    assert_eq!(left, kept);
    assert_eq!(after["refs"]["old"]["snapshot_id"], tagged);
    assert_eq!(after["refs"]["audit"]["snapshot_id"], branched);
    for (s, rows) in [tagged, branched, head].iter().zip(&rows_before) {
        assert_eq!(&cat.rows(Some(*s)), rows, "snapshot {s} reads as before");
    }
    let referenced = cat.referenced();
    let canon = |p: &str| p.trim_start_matches("file://").to_string();
    let present: BTreeSet<String> = files_after.iter().map(|p| canon(p)).collect();
    for r in &referenced {
        assert!(present.contains(&canon(r)), "{r} is referenced but gone");
    }
    // Everything left is referenced, except older metadata files.
    for p in &present {
        assert!(referenced.contains(p) || kind(p) == "metadata", "{p} left behind unreferenced");
    }

    // A second run finds nothing to do.
    let again = cat.ok(&["expire", &t, "--older-than", "0s"]);
    assert!(again["expired_snapshot_ids"].as_array().unwrap().is_empty());
    assert_eq!(again["attempts"], 0);
}

#[test]
fn a_kill_between_the_expiry_commit_and_its_deletions_leaves_only_orphans_that_remove_orphans_removes() {
    let tmp = tempfile::tempdir().unwrap();
    let cat = Cat::Sqlite(tmp.path());
    let made = cat.py(&["make-pyiceberg-table", &cat.table()]);
    let snaps: Vec<i64> = made["snapshots"].as_array().unwrap().iter().map(|s| s["snapshot_id"].as_i64().unwrap()).collect();
    let t = cat.table();
    cat.ok(&["tag", "create", &t, "v1", "--snapshot-id", &snaps[2].to_string()]);
    let tagged_rows = cat.rows(Some(snaps[2]));
    let head_rows = cat.rows(None);
    let plan = cat.ok(&["expire", &t, "--older-than", "0s", "--plan"]);
    let would_delete: u64 = COUNTS.iter().map(|k| n(&plan, k)).sum();
    assert!(would_delete > 0);

    let killed = cat.snapshot(&["expire", &t, "--older-than", "0s"], &[("PRESTIGE_FAILPOINT", "iceberg.expire_after_commit")]);
    assert!(!killed.status.success(), "the failpoint must kill the run");
    // The commit landed: the snapshots are gone, every ref reads fully, no reference dangles.
    let left: BTreeSet<i64> =
        cat.snapshots()["snapshots"].as_array().unwrap().iter().map(|s| s["snapshot_id"].as_i64().unwrap()).collect();
    assert_eq!(left, [snaps[2], snaps[7]].into());
    assert_eq!(cat.rows(Some(snaps[2])), tagged_rows);
    assert_eq!(cat.rows(None), head_rows);
    let files: BTreeSet<String> = cat.files();
    for r in cat.referenced() {
        assert!(files.contains(&r), "{r} dangles");
    }
    // A rerun is fine (and cannot find the files any more: nothing to expire).
    let rerun = cat.ok(&["expire", &t, "--older-than", "0s"]);
    assert!(rerun["expired_snapshot_ids"].as_array().unwrap().is_empty());

    // The leftovers are exactly what the expiry would have deleted; remove-orphans removes them.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let orphans = cat.ok(&["remove-orphans", &t, "--older-than", "1s", "--force"]);
    let paths: Vec<&str> = orphans["orphan_files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(n(&orphans, "deleted_files_count"), would_delete, "{paths:?}");
    assert!(paths.iter().all(|p| kind(p) != "metadata"), "{paths:?}");
    for p in &paths {
        assert!(!Path::new(p.trim_start_matches("file://")).exists(), "{p} deleted");
    }
    assert_eq!(cat.rows(Some(snaps[2])), tagged_rows);
    assert_eq!(cat.rows(None), head_rows);
}

/// NDJSON rows `ids` for `ingest --table`.
fn input(dir: &Path, name: &str, ids: std::ops::Range<u64>) -> PathBuf {
    let p = dir.join(name);
    write_lines(&p, &ids.map(|i| format!("{{\"id\": {i}, \"name\": \"n{i}\"}}")).collect::<Vec<_>>());
    p
}

fn ingest(cat: &Cat, dir: &Path, file: &Path, state: &str, extra: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = cat.cmd();
    cmd.arg("ingest").arg(file).args(["--table", &cat.table(), "--state-dir"]).arg(dir.join(state)).args(extra);
    cmd.envs(env.iter().copied());
    cmd.output().unwrap()
}

/// Leaves orphans the way crashed writers do: data files placed but never committed (kill before the commit),
/// and a data file with its manifest and manifest list (kill inside a conflict retry).
fn killed_ingests(cat: &Cat, dir: &Path, schema: &Path) -> u64 {
    let s = schema.to_str().unwrap();
    let out = ingest(cat, dir, &input(dir, "a.ndjson", 0..300), "sa", &["--create", "--schema", s, "--max-rows", "100"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let killed = ingest(
        cat,
        dir,
        &input(dir, "b.ndjson", 1000..1300),
        "sb",
        &["--max-rows", "100"],
        &[("PRESTIGE_FAILPOINT", "iceberg.before_commit:2")],
    );
    assert!(!killed.status.success(), "the failpoint must kill the run");
    let killed = ingest(
        cat,
        dir,
        &input(dir, "c.ndjson", 2000..2100),
        "sc",
        &[],
        &[("PRESTIGE_FAILPOINT_ERROR", "iceberg.conflict"), ("PRESTIGE_FAILPOINT", "iceberg.commit_retry:1")],
    );
    assert!(!killed.status.success(), "the failpoint must kill the run");
    400 // rows committed: 300 + the killed run's first 100
}

const SCHEMA: &str = r#"[{"name":"id","type":"int64","nullable":false},{"name":"name","type":"string"}]"#;

#[test]
fn remove_orphans_deletes_the_files_of_killed_ingests_and_nothing_of_an_ingest_committing_meanwhile() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cat = Cat::Sqlite(dir);
    let schema = dir.join("schema.json");
    std::fs::write(&schema, SCHEMA).unwrap();
    let committed = killed_ingests(&cat, dir, &schema);
    let t = cat.table();

    // Orphans per PyIceberg: the table's files its metadata does not reference. Make everything old.
    let referenced = cat.referenced();
    let expected: BTreeSet<String> = cat.files().into_iter().filter(|p| !referenced.contains(p)).collect();
    let kinds: BTreeSet<&str> = expected.iter().map(|p| kind(p)).collect();
    assert!(kinds.contains("data") && kinds.contains("manifest") && kinds.contains("list"), "{expected:?}");
    py_json("snapshots_tool.py", &["backdate", &cat.location(), "--days", "4"], None);

    // Refusals: a threshold under an hour without --force, a future time, a location outside the table.
    for args in [vec!["--older-than", "10m"], vec!["--older-than", "2999-01-01T00:00:00Z", "--force"], vec!["--location", "/tmp"]] {
        let mut all = vec!["remove-orphans", t.as_str()];
        all.extend(args.iter().copied());
        let out = cat.snapshot(&all, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    // A writer committing every second while remove-orphans runs with the default minimum age.
    let mut cmd = cat.cmd();
    let mut writer = cmd
        .args(["ingest", "--table", &t, "--commit-interval", "1s", "--state-dir"])
        .arg(dir.join("sw"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = writer.stdin.take().unwrap();
    let mut next = 5000u64;
    let mut feed = |count: u64| {
        for i in next..next + count {
            writeln!(stdin, "{{\"id\": {i}, \"name\": \"w{i}\"}}").unwrap();
        }
        stdin.flush().unwrap();
        next += count;
    };
    feed(50);
    // Until the writer's first commit is visible, then remove orphans while it keeps writing.
    for _ in 0..100 {
        if cat.rows(None).len() as u64 > committed {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    feed(50);
    let plan = cat.ok(&["remove-orphans", &t, "--plan"]);
    feed(50);
    let run = cat.ok(&["remove-orphans", &t]);
    feed(50);
    let found = |r: &Value| -> BTreeSet<String> {
        r["orphan_files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().trim_start_matches("file://").to_string()).collect()
    };
    assert_eq!(found(&plan), expected, "--plan lists exactly the orphans");
    assert_eq!(found(&run), expected, "the run deletes exactly the orphans");
    assert_eq!(n(&run, "deleted_files_count"), expected.len() as u64);
    assert!(expected.iter().all(|p| !Path::new(p).exists()));
    drop(stdin);
    let out = writer.wait_with_output().unwrap();
    assert!(out.status.success(), "writer: {}", String::from_utf8_lossy(&out.stderr));

    // Every committed row reads in PyIceberg, each once.
    let got: Vec<u64> = cat.rows(None).iter().map(|r| r["id"].as_u64().unwrap()).collect();
    let mut want: Vec<u64> = (0..300).chain(1000..1100).chain(5000..5200).collect();
    want.sort();
    assert_eq!(got, want);
    // And a second pass finds nothing old and unreferenced.
    let again = cat.ok(&["remove-orphans", &t]);
    assert_eq!(n(&again, "orphan_files_count"), 0, "{again}");
}

#[test]
fn remove_orphans_on_s3_deletes_the_files_of_killed_ingests_and_keeps_every_committed_row() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cat = Cat::rest(shared_s3());
    let schema = dir.join("schema.json");
    std::fs::write(&schema, SCHEMA).unwrap();
    let committed = killed_ingests(&cat, dir, &schema);
    let t = cat.table();
    let referenced = cat.referenced();
    let expected: BTreeSet<String> = cat.files().into_iter().filter(|p| !referenced.contains(p)).collect();
    assert!(expected.iter().any(|p| kind(p) == "data"), "{expected:?}");
    std::thread::sleep(std::time::Duration::from_millis(2100)); // S3 LastModified has 1 s precision
    let plan = cat.ok(&["remove-orphans", &t, "--older-than", "1s", "--force", "--plan"]);
    let run = cat.ok(&["remove-orphans", &t, "--older-than", "1s", "--force"]);
    let found = |r: &Value| -> BTreeSet<String> {
        r["orphan_files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(found(&plan), expected);
    assert_eq!(found(&run), expected);
    assert_eq!(n(&run, "deleted_files_count"), expected.len() as u64);
    assert!(n(&run, "deleted_bytes") > 0);
    let after = cat.files();
    assert!(expected.iter().all(|p| !after.contains(p)), "deleted from the bucket");
    assert_eq!(cat.rows(None).len() as u64, committed, "every committed row still reads");
}

#[test]
fn rollback_set_current_branch_and_tag_as_pyiceberg_sees_them_and_refusals() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cat = Cat::Sqlite(dir);
    let schema = dir.join("schema.json");
    std::fs::write(&schema, SCHEMA).unwrap();
    let s = schema.to_str().unwrap();
    let out = ingest(&cat, dir, &input(dir, "a.ndjson", 0..40), "sa", &["--create", "--schema", s, "--max-rows", "10"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let t = cat.table();
    let list = cat.ok(&["list", &t]);
    let line: Vec<i64> = list["snapshots"].as_array().unwrap().iter().map(|s| s["snapshot_id"].as_i64().unwrap()).collect();
    let (s4, s3, s2, s1) = (line[0], line[1], line[2], line[3]);
    let id = |v: i64| v.to_string();
    let current = || cat.snapshots()["current_snapshot_id"].as_i64().unwrap();

    // Branch and tag: created at main's head by default, idempotent when identical, refused when different.
    let b = cat.ok(&["branch", "create", &t, "dev", "--min-snapshots-to-keep", "3", "--max-snapshot-age", "2d"]);
    assert_eq!(b["current_snapshot_id"], s4);
    assert_eq!(b["previous_snapshot_id"], Value::Null);
    let again = cat.ok(&["branch", "create", &t, "dev", "--min-snapshots-to-keep", "3", "--max-snapshot-age", "2d"]);
    assert_eq!(again["changed"], false);
    let out = cat.snapshot(&["branch", "create", &t, "dev", "--snapshot-id", &id(s1)], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("dev already exists"));
    cat.ok(&["tag", "create", &t, "first", "--snapshot-id", &id(s1), "--max-ref-age", "30d"]);
    let refs = cat.snapshots()["refs"].clone();
    assert_eq!(refs["dev"], serde_json::json!({"snapshot_id": s4, "type": "branch"}));
    assert_eq!(refs["first"], serde_json::json!({"snapshot_id": s1, "type": "tag"}));
    let shown = cat.ok(&["refs", &t]);
    let dev = shown["refs"].as_array().unwrap().iter().find(|r| r["name"] == "dev").unwrap().clone();
    assert_eq!(dev["min_snapshots_to_keep"], 3);
    assert_eq!(dev["max_snapshot_age_ms"], 2 * 86_400_000i64);

    // Rollback: --plan changes nothing; to an ancestor by id, then by time; PyIceberg reads the old state.
    let plan = cat.ok(&["rollback", &t, "--to-snapshot", &id(s2), "--plan"]);
    assert_eq!((plan["previous_snapshot_id"].as_i64(), plan["current_snapshot_id"].as_i64()), (Some(s4), Some(s2)));
    assert_eq!(current(), s4);
    let r = cat.ok(&["rollback", &t, "--to-snapshot", &id(s2)]);
    assert_eq!((r["previous_snapshot_id"].as_i64(), r["current_snapshot_id"].as_i64()), (Some(s4), Some(s2)));
    assert_eq!(current(), s2);
    assert_eq!(cat.rows(None).len(), 20);
    // s3 and s4 are not ancestors of main any more: refused, naming the snapshot.
    let out = cat.snapshot(&["rollback", &t, "--to-snapshot", &id(s4)], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("snapshot {s4}: it is not an ancestor")));
    let s1_ms = list["snapshots"][3]["timestamp_ms"].as_i64().unwrap();
    let r = cat.ok(&["rollback", &t, "--to-timestamp", &id(s1_ms)]);
    assert_eq!(r["current_snapshot_id"], s1);
    assert_eq!(cat.rows(None).len(), 10);
    let out = cat.snapshot(&["rollback", &t, "--to-timestamp", &id(s1_ms - 1)], &[]);
    assert_eq!(out.status.code(), Some(2), "no ancestor that old");

    // set-current: any snapshot, by id or by ref.
    let r = cat.ok(&["set-current", &t, "--ref", "dev"]);
    assert_eq!((r["previous_snapshot_id"].as_i64(), r["current_snapshot_id"].as_i64()), (Some(s1), Some(s4)));
    assert_eq!(current(), s4);
    assert_eq!(cat.rows(None).len(), 40);
    let r = cat.ok(&["set-current", &t, "--snapshot-id", &id(s3)]);
    assert_eq!(r["current_snapshot_id"], s3);
    assert_eq!(cat.snapshots()["refs"]["main"]["snapshot_id"], s3);
    let r = cat.ok(&["set-current", &t, "--snapshot-id", &id(s3)]);
    assert_eq!(r["changed"], false);

    // A commit conflict on the first attempt is retried over the reloaded table.
    let out = cat.snapshot(&["set-current", &t, "--snapshot-id", &id(s4)], &[("PRESTIGE_FAILPOINT_ERROR", "iceberg.conflict")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(report(&out)["attempts"], 2);
    assert_eq!(current(), s4);

    // Unknown snapshots and refs exit 5 naming them; main cannot be dropped; a tag is not a branch.
    for args in [
        vec!["rollback", &t, "--to-snapshot", "12345"],
        vec!["set-current", &t, "--snapshot-id", "12345"],
        vec!["tag", "create", &t, "x", "--snapshot-id", "12345"],
        vec!["expire", &t, "--snapshot-id", "12345"],
    ] {
        let out = cat.snapshot(&args, &[]);
        assert_eq!(out.status.code(), Some(5), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("snapshot 12345 does not exist"), "{args:?}");
    }
    let out = cat.snapshot(&["set-current", &t, "--ref", "nope"], &[]);
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ref nope does not exist"));
    let out = cat.snapshot(&["branch", "drop", &t, "main"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("main branch cannot be dropped"));
    let out = cat.snapshot(&["branch", "drop", &t, "first"], &[]);
    assert_eq!(out.status.code(), Some(2));
    // Expiring a snapshot a ref points at is refused.
    let out = cat.snapshot(&["expire", &t, "--snapshot-id", &id(s1)], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("still referenced by first"));

    // Dropping refs: --plan keeps them; then PyIceberg no longer sees them; the snapshots stay.
    cat.ok(&["tag", "drop", &t, "first", "--plan"]);
    assert!(cat.snapshots()["refs"].get("first").is_some());
    let d = cat.ok(&["tag", "drop", &t, "first"]);
    assert_eq!((d["previous_snapshot_id"].as_i64(), d["current_snapshot_id"].as_i64()), (Some(s1), None));
    cat.ok(&["branch", "drop", &t, "dev"]);
    let after = cat.snapshots();
    assert_eq!(after["refs"].as_object().unwrap().keys().collect::<Vec<_>>(), vec!["main"]);
    assert_eq!(after["snapshots"].as_array().unwrap().len(), 4);
    let out = cat.snapshot(&["tag", "drop", &t, "first"], &[]);
    assert_eq!(out.status.code(), Some(5));

    // Expiry honours a branch's own retention: with dev (min-snapshots-to-keep 3) at s4, only s1 can go.
    cat.ok(&["branch", "create", &t, "dev", "--min-snapshots-to-keep", "3"]);
    let e = cat.ok(&["expire", &t, "--older-than", "0s"]);
    assert_eq!(ids(&e["expired_snapshot_ids"]), [s1].into());
    assert_eq!(cat.rows(Some(s2)).len(), 20);
    // A branch whose max-ref-age passed is removed (never main); its snapshots then go too.
    cat.ok(&["branch", "drop", &t, "dev"]);
    cat.ok(&["branch", "create", &t, "stale", "--snapshot-id", &id(s2), "--max-ref-age", "1ms"]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    let e = cat.ok(&["expire", &t, "--older-than", "0s"]);
    assert_eq!(e["removed_refs"], serde_json::json!(["stale"]));
    assert_eq!(ids(&e["expired_snapshot_ids"]), [s2, s3].into());
    let after = cat.snapshots();
    assert_eq!(after["refs"].as_object().unwrap().keys().collect::<Vec<_>>(), vec!["main"]);
    assert_eq!(cat.rows(None).len(), 40);
}

#[test]
fn cherry_pick_applies_a_branch_append_onto_main_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cat = Cat::Sqlite(dir);
    let schema = dir.join("schema.json");
    std::fs::write(&schema, SCHEMA).unwrap();
    let s = schema.to_str().unwrap();
    let out = ingest(&cat, dir, &input(dir, "a.ndjson", 0..10), "sa", &["--create", "--schema", s], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = ingest(&cat, dir, &input(dir, "b.ndjson", 100..105), "sb", &["--branch", "audit"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Main moves on meanwhile: the audit snapshot cannot be fast-forwarded to, only replayed.
    let out = ingest(&cat, dir, &input(dir, "c.ndjson", 200..203), "sc", &[], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let t = cat.table();
    let audit = cat.snapshots()["refs"]["audit"]["snapshot_id"].as_i64().unwrap();
    let head = cat.snapshots()["current_snapshot_id"].as_i64().unwrap();
    assert_eq!(cat.rows(None).len(), 13, "branch data is not on main");

    let plan = cat.ok(&["cherry-pick", &t, "--snapshot-id", &audit.to_string(), "--plan"]);
    assert_eq!(plan["previous_ref"], head);
    assert_eq!(cat.snapshots()["current_snapshot_id"], head, "--plan changes nothing");
    let r = cat.ok(&["cherry-pick", &t, "--snapshot-id", &audit.to_string()]);
    assert_eq!(r["previous_ref"], head);
    assert_eq!(r["changed"], true);
    let new = cat.snapshots()["current_snapshot_id"].as_i64().unwrap();
    assert_ne!(new, head);
    assert_ne!(new, audit);
    let ids: Vec<u64> = cat.rows(None).iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (0..10).chain(100..105).chain(200..203).collect::<Vec<_>>());
    // Again: nothing changes, no row twice.
    let again = cat.ok(&["cherry-pick", &t, "--snapshot-id", &audit.to_string()]);
    assert_eq!(again["changed"], false);
    assert_eq!(cat.rows(None).len(), 18);
}

#[test]
fn a_rollback_refuses_when_main_moves_before_it_lands_instead_of_discarding_the_new_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cat = Cat::Sqlite(dir);
    let schema = dir.join("schema.json");
    std::fs::write(&schema, SCHEMA).unwrap();
    let s = schema.to_str().unwrap();
    let out = ingest(&cat, dir, &input(dir, "a.ndjson", 0..20), "sa", &["--create", "--schema", s, "--max-rows", "10"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let t = cat.table();
    // The rollback plans, then waits right before its commit while another writer commits to main.
    // The oldest snapshot (the metadata lists snapshots in no particular order).
    let snaps = cat.snapshots();
    let first = snaps["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .min_by_key(|s| s["sequence_number"].as_i64())
        .unwrap()["snapshot_id"]
        .as_i64()
        .unwrap();
    assert_ne!(Some(first), snaps["current_snapshot_id"].as_i64(), "two commits were made");
    let gate = dir.join("gate");
    let mut cmd = cat.cmd();
    let rollback = cmd
        .args(["snapshot", "rollback", &t, "--to-snapshot", &first.to_string()])
        .env("PRESTIGE_TEST_PAUSE", format!("iceberg.change_before_commit:{}", gate.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let paused = dir.join("gate.paused");
    let began = std::time::Instant::now();
    let mut rollback = rollback;
    while !paused.exists() {
        if let Some(status) = rollback.try_wait().unwrap() {
            let out = rollback.wait_with_output().unwrap();
            panic!("the rollback ended ({status}) before its commit: {}", String::from_utf8_lossy(&out.stderr));
        }
        assert!(began.elapsed() < std::time::Duration::from_secs(60), "the rollback never reached its commit");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = ingest(&cat, dir, &input(dir, "b.ndjson", 100..105), "sb", &[], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(&gate, b"").unwrap();
    let moved = cat.snapshots()["current_snapshot_id"].as_i64().unwrap();
    let out = rollback.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{err}");
    assert!(err.contains("main moved") && err.contains(&moved.to_string()), "{err}");
    assert_eq!(cat.snapshots()["current_snapshot_id"], moved, "the new commit stays current");
    assert_eq!(cat.rows(None).len(), 25);
}
