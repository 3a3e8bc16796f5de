//! Write-audit-publish: `ingest --table --branch --wap-id` stages data PyIceberg cannot see on main; `publish`
//! fast-forwards, refuses (exit 8) when main moved, replays with `--cherry-pick`, publishes one `--wap-id`, and
//! changes nothing the second time; a kill -9 of `publish --cherry-pick` between replays, or of an ingest to a
//! branch, and a rerun leave every row exactly once — on the embedded SQLite catalog and on SeaweedFS's REST one.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::{
    ACCESS_KEY, ICEBERG_WAREHOUSE, S3Server, SECRET_KEY, iceberg_py, prestige_std, py_json, report, shared_s3, write_lines,
};

const SCHEMA: &str = r#"{"fields":[
  {"name":"id","type":"int64","nullable":false},
  {"name":"ts","type":"timestamptz"},
  {"name":"name","type":"string"}]}"#;

/// Row `i` as NDJSON input and as the harness prints it.
fn row(i: u64) -> Value {
    json!({
        "id": i,
        "ts": format!("2026-11-{:02}T{:02}:{:02}:00.000000Z", 20 + i % 4, (i * 7) % 24, i % 60),
        "name": if i.is_multiple_of(7) { Value::Null } else { json!(format!("name-{i}")) },
    })
}

/// The embedded SQLite catalog in a temporary directory, or SeaweedFS's REST catalog (a namespace per test).
enum Cat<'a> {
    Sqlite(&'a Path),
    Rest(&'a S3Server, String),
}

impl Cat<'_> {
    fn rest(s3: &S3Server) -> Cat<'_> {
        Cat::Rest(s3, format!("w{}", &uuid::Uuid::new_v4().simple().to_string()[..10]))
    }

    fn table(&self) -> String {
        match self {
            Cat::Sqlite(_) => "db.events".into(),
            Cat::Rest(_, ns) => format!("{ns}.events"),
        }
    }

    fn command(&self) -> std::process::Command {
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
                    .env("PYICEBERG_CATALOG__DEFAULT__CREDENTIAL", format!("{ACCESS_KEY}:{SECRET_KEY}"));
            }
        }
        cmd.args(["--format", "json"]);
        cmd
    }

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

    /// PyIceberg's ids on main (the current snapshot) or on a ref, sorted (duplicates kept).
    fn ids(&self, r#ref: Option<&str>) -> Vec<u64> {
        let t = self.table();
        let mut args = vec!["read", t.as_str(), "--columns", "id"];
        if let Some(r) = r#ref {
            args.extend(["--ref", r]);
        }
        let mut ids: Vec<u64> = self.py(&args)["rows"].as_array().unwrap().iter().map(|r| r["id"].as_u64().unwrap()).collect();
        ids.sort();
        ids
    }

    /// PyIceberg's full rows of a ref, sorted by id.
    fn rows(&self, r#ref: &str) -> Vec<Value> {
        let mut rows = self.py(&["read", &self.table(), "--ref", r#ref])["rows"].as_array().cloned().unwrap();
        rows.sort_by_key(|r| r["id"].as_u64());
        rows
    }

    fn snapshots(&self) -> Value {
        self.py(&["snapshots", &self.table()])
    }

    /// main's head and the number of snapshots, as PyIceberg reads them.
    fn state(&self) -> (Option<i64>, usize) {
        let s = self.snapshots();
        (s["refs"]["main"]["snapshot_id"].as_i64(), s["snapshots"].as_array().unwrap().len())
    }

    /// Runs tests/cli/py/wap_tool.py (PyIceberg writes on a branch) with this catalog.
    fn wap_py(&self, args: &[&str]) -> Value {
        let mut all: Vec<String> = vec![args[0].to_string()];
        match self {
            Cat::Sqlite(dir) => all.extend([
                "--sqlite".into(),
                dir.join("catalog.db").display().to_string(),
                "--warehouse".into(),
                dir.join("wh").display().to_string(),
            ]),
            Cat::Rest(s3, _) => all.extend(s3.iceberg_args()),
        }
        all.extend(args[1..].iter().map(|a| a.to_string()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        py_json("wap_tool.py", &all, match self {
            Cat::Rest(s3, _) => Some(s3),
            Cat::Sqlite(_) => None,
        })
    }

    /// PyIceberg appends rows `ids` to main.
    fn py_append(&self, dir: &Path, ids: std::ops::Range<u64>) {
        let f = dir.join(format!("py-{}.ndjson", ids.start));
        write_lines(&f, &ids.map(|i| row(i).to_string()).collect::<Vec<_>>());
        self.py(&["append", &self.table(), "--rows", f.to_str().unwrap()]);
    }
}

fn input(dir: &Path, ids: std::ops::Range<u64>) -> PathBuf {
    let f = dir.join(format!("in-{}-{}.ndjson", ids.start, ids.end));
    write_lines(&f, &ids.map(|i| row(i).to_string()).collect::<Vec<_>>());
    f
}

fn ingest_env(cat: &Cat, dir: &Path, ids: std::ops::Range<u64>, extra: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let schema = dir.join("schema.json");
    std::fs::write(&schema, SCHEMA).unwrap();
    let mut cmd = cat.command();
    cmd.arg("ingest")
        .arg(input(dir, ids))
        .args(["--table", &cat.table(), "--create", "--partition-by", "bucket(4, id)", "--schema"])
        .arg(&schema)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .args(extra)
        .envs(env.iter().copied());
    cmd.output().unwrap()
}

fn ingest(cat: &Cat, dir: &Path, ids: std::ops::Range<u64>, extra: &[&str]) -> Value {
    let out = ingest_env(cat, dir, ids, extra, &[]);
    assert!(out.status.success(), "ingest {extra:?}: {}", String::from_utf8_lossy(&out.stderr));
    report(&out)
}

fn publish_env(cat: &Cat, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = cat.command();
    cmd.arg("publish").arg(cat.table()).args(args).envs(env.iter().copied());
    cmd.output().unwrap()
}

fn publish(cat: &Cat, args: &[&str]) -> Value {
    let out = publish_env(cat, args, &[]);
    assert!(out.status.success(), "publish {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    report(&out)
}

fn range(a: u64, b: u64) -> Vec<u64> {
    (a..b).collect()
}

fn concat(parts: &[std::ops::Range<u64>]) -> Vec<u64> {
    let mut v: Vec<u64> = parts.iter().flat_map(|r| r.clone()).collect();
    v.sort();
    v
}

#[test]
fn audited_branch_data_stays_off_main_until_published_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    wap_round_trip(&Cat::Sqlite(tmp.path()), tmp.path());
}

#[test]
fn audited_branch_data_stays_off_main_until_published_on_rest() {
    let tmp = tempfile::tempdir().unwrap();
    wap_round_trip(&Cat::rest(shared_s3()), tmp.path());
}

fn wap_round_trip(cat: &Cat, dir: &Path) {
    // main: rows 0..100; the audit branch (created from main's head) gets 100..200 in two snapshots.
    ingest(cat, dir, 0..100, &[]);
    let (main0, _) = cat.state();
    let r = ingest(cat, dir, 100..200, &["--branch", "audit", "--wap-id", "job-1", "--max-rows", "50"]);
    assert_eq!(r["commits"].as_array().unwrap().len(), 2, "{r}");
    assert_eq!((r["branch"].as_str(), r["wap_id"].as_str()), (Some("audit"), Some("job-1")), "{r}");
    let snaps = cat.snapshots();
    let audit_head = snaps["refs"]["audit"]["snapshot_id"].as_i64().expect("the audit branch exists");
    assert_eq!(snaps["refs"]["main"]["snapshot_id"].as_i64(), main0, "main did not move");
    let staged: Vec<&Value> =
        snaps["snapshots"].as_array().unwrap().iter().filter(|s| s["summary"]["wap.id"] == "job-1").collect();
    assert_eq!(staged.len(), 2, "every branch snapshot carries wap.id");
    assert!(staged.iter().any(|s| s["parent_id"].as_i64() == main0), "the branch was cut from main's head");

    // Invisible on main, visible on the branch — to PyIceberg and to prestige's scan --ref.
    assert_eq!(cat.ids(None), range(0, 100), "PyIceberg: main is unchanged");
    assert_eq!(cat.ids(Some("audit")), range(0, 200), "PyIceberg: the branch has both");
    let mut scan = cat.command();
    let out = scan.args(["scan", "--table", &cat.table(), "--ref", "audit", "--format", "ndjson"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 200, "prestige scan --ref audit");

    // --plan says what would move and moves nothing.
    let plan = publish(cat, &["--branch", "audit", "--plan"]);
    assert_eq!(plan["plan"], true);
    assert_eq!(plan["fast_forward"], true);
    assert_eq!(plan["changed"], true);
    assert_eq!(plan["updated_ref"].as_i64(), Some(audit_head));
    assert_eq!(plan["snapshots_published"].as_array().unwrap().len(), 2);
    assert_eq!(cat.state().0, main0, "--plan changed nothing");

    // Publish: main fast-forwards to the branch head.
    let p = publish(cat, &["--branch", "audit"]);
    assert_eq!((p["branch_updated"].as_str(), p["fast_forward"].as_bool(), p["changed"].as_bool()), (Some("main"), Some(true), Some(true)));
    assert_eq!(p["previous_ref"].as_i64(), main0);
    assert_eq!(p["updated_ref"].as_i64(), Some(audit_head));
    let (head, count) = cat.state();
    assert_eq!(head, Some(audit_head), "PyIceberg: main's head is the branch head");
    assert_eq!(cat.ids(None), range(0, 200), "PyIceberg: main has the published rows");

    // Again: nothing changes, and it says so.
    let again = publish(cat, &["--branch", "audit"]);
    assert_eq!(again["changed"], false, "{again}");
    assert!(again["snapshots_published"].as_array().unwrap().is_empty());
    assert_eq!(cat.state(), (head, count), "no new snapshot, main unchanged");

    // main moves (a PyIceberg append) while the branch gets more data: publish refuses with exit 8.
    ingest(cat, dir, 200..260, &["--branch", "audit", "--wap-id", "job-2", "--max-rows", "20"]);
    cat.py_append(dir, 1000..1010);
    let before = cat.snapshots();
    let out = publish_env(cat, &["--branch", "audit"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(8), "{err}");
    assert!(err.contains("--cherry-pick") && err.contains("fork point") && err.contains("main has moved"), "{err}");
    let fork = audit_head.to_string();
    assert!(err.contains(&fork), "names the fork point: {err}");
    assert_eq!(cat.snapshots(), before, "the refused publish changed nothing");

    // --cherry-pick replays the branch's three new snapshots, each exactly once.
    let plan = publish(cat, &["--branch", "audit", "--cherry-pick", "--plan"]);
    assert_eq!(plan["snapshots_published"].as_array().unwrap().len(), 3, "{plan}");
    assert_eq!(cat.snapshots(), before, "--plan changed nothing");
    let p = publish(cat, &["--branch", "audit", "--cherry-pick"]);
    assert_eq!((p["changed"].as_bool(), p["fast_forward"].as_bool()), (Some(true), Some(false)), "{p}");
    let published = p["snapshots_published"].as_array().unwrap();
    assert_eq!(published.len(), 3);
    assert_eq!(cat.ids(None), concat(&[0..260, 1000..1010]), "PyIceberg: old main + branch rows, each once");
    let expected: Vec<Value> = concat(&[0..260, 1000..1010]).into_iter().map(row).collect();
    assert_eq!(cat.rows("main"), expected, "PyIceberg reads every published row as written");
    let snaps = cat.snapshots();
    assert_eq!(snaps["refs"]["main"]["snapshot_id"], p["updated_ref"]);
    for pair in published {
        let new = snaps["snapshots"].as_array().unwrap().iter().find(|s| s["snapshot_id"] == pair["snapshot_id"]).unwrap();
        assert_eq!(new["operation"], "append");
        assert_eq!(new["summary"]["source-snapshot-id"], pair["source_snapshot_id"].to_string());
        assert_eq!(new["summary"]["published-wap-id"], "job-2");
    }

    // Publishing again, with or without --cherry-pick: nothing changes, exit 0.
    let count = snaps["snapshots"].as_array().unwrap().len();
    for args in [&["--branch", "audit", "--cherry-pick"][..], &["--branch", "audit"][..]] {
        let again = publish(cat, args);
        assert_eq!(again["changed"], false, "{args:?}: {again}");
        assert_eq!(cat.state().1, count, "{args:?}: no new snapshot");
    }

    // --wap-id publishes the one snapshot carrying it, not its parent on the branch.
    ingest(cat, dir, 300..310, &["--branch", "staging", "--wap-id", "job-3"]);
    ingest(cat, dir, 310..320, &["--branch", "staging", "--wap-id", "job-4"]);
    let p = publish(cat, &["--wap-id", "job-4"]);
    assert_eq!(p["changed"], true, "{p}");
    assert_eq!(p["snapshots_published"].as_array().unwrap().len(), 1);
    assert_eq!(cat.ids(None), concat(&[0..260, 310..320, 1000..1010]), "PyIceberg: only job-4's rows were published");
    let count = cat.state().1;
    let again = publish(cat, &["--wap-id", "job-4"]);
    assert_eq!(again["changed"], false, "{again}");
    assert_eq!(cat.state().1, count, "publishing a wap id twice adds nothing");
    // A wap id on no snapshot, and one on several, are refused.
    let out = publish_env(cat, &["--wap-id", "no-such-job"], &[]);
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    let out = publish_env(cat, &["--wap-id", "job-2"], &[]);
    assert!(out.status.success(), "job-2 is published already: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(report(&out)["changed"], false);
    ingest(cat, dir, 400..420, &["--branch", "twice", "--wap-id", "job-5", "--max-rows", "10"]);
    let out = publish_env(cat, &["--wap-id", "job-5"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("2 snapshots") && err.contains("job-5"), "{err}");
    assert_eq!(cat.state().1, count + 2, "only the branch's two snapshots were added");
    assert_eq!(cat.ids(None), concat(&[0..260, 310..320, 1000..1010]), "main unchanged by the refusals");
}

#[test]
fn a_kill_between_cherry_picked_snapshots_and_a_rerun_publish_every_row_exactly_once() {
    for rest in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let cat = if rest { Cat::rest(shared_s3()) } else { Cat::Sqlite(dir) };
        ingest(&cat, dir, 0..50, &[]);
        ingest(&cat, dir, 50..130, &["--branch", "audit", "--max-rows", "20"]);
        cat.py_append(dir, 1000..1005);
        // Killed after the second of four replays.
        let out = publish_env(&cat, &["--branch", "audit", "--cherry-pick"], &[("PRESTIGE_FAILPOINT", "iceberg.publish_between:2")]);
        assert!(!out.status.success(), "rest={rest}: the failpoint must kill the run");
        assert_eq!(cat.ids(None), concat(&[0..90, 1000..1005]), "rest={rest}: two replays landed before the kill");
        let p = publish(&cat, &["--branch", "audit", "--cherry-pick"]);
        assert_eq!(p["snapshots_published"].as_array().unwrap().len(), 2, "rest={rest}: the rerun replays the rest: {p}");
        assert_eq!(cat.ids(None), concat(&[0..130, 1000..1005]), "rest={rest}: every row exactly once");
        let expected: Vec<Value> = concat(&[0..130, 1000..1005]).into_iter().map(row).collect();
        assert_eq!(cat.rows("main"), expected, "rest={rest}: PyIceberg reads main fully");
        let sources: Vec<String> = cat.snapshots()["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["summary"]["source-snapshot-id"].as_str().map(str::to_string))
            .collect();
        let mut unique = sources.clone();
        unique.sort();
        unique.dedup();
        assert_eq!((sources.len(), unique.len()), (4, 4), "rest={rest}: each branch snapshot picked once");
        assert_eq!(publish(&cat, &["--branch", "audit", "--cherry-pick"])["changed"], false, "rest={rest}");
    }
}

#[test]
fn an_ingest_to_a_branch_killed_around_its_commit_and_rerun_lands_exactly_once_on_the_branch() {
    let cases = [(false, "iceberg.after_commit:2"), (false, "iceberg.before_commit:2"), (true, "iceberg.after_commit:2")];
    for (rest, point) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let cat = if rest { Cat::rest(shared_s3()) } else { Cat::Sqlite(dir) };
        ingest(&cat, dir, 0..40, &[]);
        let args = ["--branch", "audit", "--wap-id", "load-1", "--max-rows", "30"];
        let out = ingest_env(&cat, dir, 40..140, &args, &[("PRESTIGE_FAILPOINT", point)]);
        assert!(!out.status.success(), "{point} rest={rest}: the failpoint must kill the run");
        ingest(&cat, dir, 40..140, &args);
        let what = format!("{point} rest={rest}");
        assert_eq!(cat.ids(Some("audit")), range(0, 140), "{what}: every row once on the branch");
        assert_eq!(cat.ids(None), range(0, 40), "{what}: main unchanged");
        let snaps = cat.snapshots();
        let mut commit_ids: Vec<&str> =
            snaps["snapshots"].as_array().unwrap().iter().filter_map(|s| s["summary"]["prestige.commit-id"].as_str()).collect();
        let n = commit_ids.len();
        commit_ids.sort();
        commit_ids.dedup();
        assert_eq!(commit_ids.len(), n, "{what}: no commit id twice");
        assert!(
            snaps["snapshots"].as_array().unwrap().iter().filter(|s| s["summary"]["wap.id"] == "load-1").count() >= 4,
            "{what}: the branch's snapshots carry wap.id"
        );
    }
}

#[test]
fn concurrent_ingests_creating_the_same_branch_both_land() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cat = Cat::Sqlite(dir);
    ingest(&cat, dir, 0..10, &[]);
    let spawn = |ids: std::ops::Range<u64>, state: &str| {
        let schema = dir.join("schema.json");
        let mut cmd = cat.command();
        cmd.arg("ingest")
            .arg(input(dir, ids))
            .args(["--table", &cat.table(), "--branch", "audit", "--schema"])
            .arg(&schema)
            .arg("--state-dir")
            .arg(dir.join(state))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd.spawn().unwrap()
    };
    let children = [spawn(10..60, "s1"), spawn(60..110, "s2"), spawn(110..160, "s3")];
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(cat.ids(Some("audit")), range(0, 160), "every writer's rows on the branch, cut from main");
    assert_eq!(cat.ids(None), range(0, 10));
}

#[test]
fn a_pyiceberg_staged_write_publishes_by_wap_id_and_a_delete_on_the_branch_blocks_cherry_pick() {
    for rest in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let cat = if rest { Cat::rest(shared_s3()) } else { Cat::Sqlite(dir) };
        ingest(&cat, dir, 0..20, &[]);
        ingest(&cat, dir, 30..40, &["--branch", "audit"]);
        // A Spark-style staged write by another engine: PyIceberg appends to the branch with wap.id.
        let rows = dir.join("staged.ndjson");
        write_lines(&rows, &(20..30).map(|i| row(i).to_string()).collect::<Vec<_>>());
        let staged = cat.wap_py(&["append", &cat.table(), "--branch", "audit", "--wap-id", "py-1", "--rows", rows.to_str().unwrap()]);
        let staged_id = staged["snapshot_id"].as_i64().unwrap();
        cat.py_append(dir, 1000..1005);
        let deleted = cat.wap_py(&["delete", &cat.table(), "--branch", "audit", "--where", "id >= 35"]);
        assert_ne!(deleted["operation"], "append", "rest={rest}: {deleted}");
        assert_eq!(cat.ids(Some("audit")), range(0, 35), "rest={rest}");

        // The branch holds a delete: --cherry-pick refuses before publishing anything.
        let before = cat.snapshots();
        let out = publish_env(&cat, &["--branch", "audit", "--cherry-pick"], &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "rest={rest}: {err}");
        // PyIceberg's delete may drop whole files (a delete snapshot) before rewriting others (overwrite): the
        // first non-append is named.
        let named = before["snapshots"].as_array().unwrap().iter().find(|s| {
            s["operation"] != "append" && err.contains(&format!("snapshot {} ", s["snapshot_id"]))
        });
        assert!(named.is_some() && err.contains("only append"), "rest={rest}: {deleted} {err}");
        assert_eq!(cat.snapshots(), before, "rest={rest}: nothing was published");

        // The staged write alone publishes by its wap id: replayed onto main (its parent is not main's head).
        let p = publish(&cat, &["--wap-id", "py-1", "--branch", "audit"]);
        assert_eq!((p["changed"].as_bool(), p["fast_forward"].as_bool()), (Some(true), Some(false)), "rest={rest}: {p}");
        assert_eq!(p["snapshots_published"][0]["source_snapshot_id"].as_i64(), Some(staged_id));
        assert_eq!(cat.ids(None), concat(&[0..30, 1000..1005]), "rest={rest}: PyIceberg reads main + the staged rows once");
        let snaps = cat.snapshots();
        let head = snaps["snapshots"].as_array().unwrap().iter().find(|s| s["snapshot_id"] == p["updated_ref"]).unwrap();
        assert_eq!(head["summary"]["published-wap-id"], "py-1");
        assert_eq!(head["summary"]["source-snapshot-id"], staged_id.to_string());
        assert_eq!(publish(&cat, &["--wap-id", "py-1"])["changed"], false, "rest={rest}");
    }
}
