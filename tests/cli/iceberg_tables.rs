//! `prestige table`, `prestige snapshot` and `prestige scan --table` on the embedded SQLite catalog (and a REST
//! catalog for tables DuckDB writes): created tables are what PyIceberg reads back; tables PyIceberg and DuckDB
//! write scan equal to PyIceberg's reads at every snapshot, at every snapshot's time and incrementally; snapshot
//! reports agree with the harness; bad input exits with the documented codes and names what is wrong.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{S3Server, iceberg_py, prestige, python, report, shared_s3};

const SCHEMA: &str = r#"{"fields":[
  {"name":"id","type":"int64","nullable":false},
  {"name":"ts","type":"timestamptz"},
  {"name":"name","type":"string"},
  {"name":"geo","type":"struct<city: string, zip: int32>"},
  {"name":"tags","type":"list<string>"},
  {"name":"big","type":"uint64"},
  {"name":"local","type":"timestamp(ms)"}]}"#;

fn catalog_args(dir: &Path) -> Vec<String> {
    vec![
        "--catalog".into(),
        format!("sqlite:///{}", dir.join("catalog.db").display()),
        "--warehouse".into(),
        dir.join("wh").display().to_string(),
    ]
}

fn harness_args(dir: &Path) -> Vec<String> {
    vec!["--sqlite".into(), dir.join("catalog.db").display().to_string(), "--warehouse".into(), dir.join("wh").display().to_string()]
}

/// Where a test's tables live: the SQLite catalog in a temp dir, or the shared SeaweedFS REST catalog.
struct Cat {
    prestige: Vec<String>,
    harness: Vec<String>,
    /// PRESTIGE_CONFIG for the REST catalog, and the server for the S3 environment.
    rest: Option<(std::path::PathBuf, &'static S3Server)>,
}

impl Cat {
    fn sqlite(dir: &Path) -> Cat {
        Cat { prestige: catalog_args(dir), harness: harness_args(dir), rest: None }
    }

    fn rest(dir: &Path, s3: &'static S3Server) -> Cat {
        let config = dir.join("config.yaml");
        let uri = s3.iceberg_uri();
        std::fs::write(
            &config,
            format!(
                "catalog:\n  rest:\n    type: rest\n    uri: {uri}\n    warehouse: warehouse\n    credential: {}:{}\n    \
                 oauth2-server-uri: {uri}/v1/oauth/tokens\n    s3.endpoint: {}\n    s3.region: us-east-1\n    \
                 s3.access-key-id: {}\n    s3.secret-access-key: {}\n    s3.path-style-access: \"true\"\n",
                s3.access_key(),
                s3.secret_key(),
                s3.endpoint(),
                s3.access_key(),
                s3.secret_key()
            ),
        )
        .unwrap();
        Cat { prestige: vec!["--catalog".into(), "rest".into()], harness: s3.iceberg_args(), rest: Some((config, s3)) }
    }

    /// Runs prestige with this catalog; returns the output.
    fn run(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = prestige();
        cmd.args(&self.prestige).args(args);
        if let Some((config, s3)) = &self.rest {
            cmd.env("PRESTIGE_CONFIG", config).envs(s3.envs());
        }
        cmd.output().unwrap()
    }

    /// Runs prestige expecting success; returns stdout as JSON (`--format json` is added).
    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let out = self.run(&all);
        assert!(out.status.success(), "prestige {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        report(&out)
    }

    /// `scan --table` rows (NDJSON) with the extra flags, normalized and sorted by id.
    fn scan(&self, table: &str, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["scan", "--table", table, "--format", "ndjson"];
        args.extend(extra);
        let out = self.run(&args);
        assert!(out.status.success(), "scan {extra:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        sorted(text.lines().map(|l| serde_json::from_str(l).unwrap()).collect())
    }

    /// The harness (PyIceberg / DuckDB) with this catalog.
    fn py(&self, args: &[&str]) -> Value {
        let mut all: Vec<&str> = self.harness.iter().map(String::as_str).collect();
        all.extend(args);
        iceberg_py(&all, self.rest.as_ref().map(|(_, s)| *s))
    }

    /// PyIceberg's rows for `read TABLE` with the extra flags, normalized and sorted by id.
    fn py_rows(&self, table: &str, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["read", table];
        args.extend(extra);
        sorted(self.py(&args)["rows"].as_array().cloned().unwrap())
    }
}

/// `2026-11-23T11:00:00Z` (prestige's JSON drops a zero fraction) as the harness writes it,
/// `2026-11-23T11:00:00.000000Z`.
fn canonical_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if s.len() < 19 || b[4] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (base, rest) = s.split_at(19);
    let zone = if rest.ends_with('Z') { "Z" } else { "" };
    let frac = rest.trim_end_matches('Z').trim_start_matches('.');
    if !frac.chars().all(|c| c.is_ascii_digit()) || frac.len() > 9 {
        return None;
    }
    let width = frac.len().max(6);
    Some(format!("{base}.{frac:0<width$}{zone}"))
}

/// Decimals are strings in the harness and numbers in prestige's JSON: both become numbers. Timestamps get
/// the harness's fraction digits.
fn normalize(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(canonical_timestamp(&s).unwrap_or(s)),
        Value::Array(a) => Value::Array(a.into_iter().map(normalize).collect()),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("price", Value::String(s)) => json!(s.parse::<f64>().unwrap()),
                        ("price", Value::Number(n)) => json!(n.as_f64().unwrap()),
                        (_, v) => normalize(v),
                    };
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

fn sorted(rows: Vec<Value>) -> Vec<Value> {
    let mut rows: Vec<Value> = rows.into_iter().map(normalize).collect();
    rows.sort_by_key(|r| (r["id"].as_i64(), r.to_string()));
    rows
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The reference table PyIceberg writes (appends, overwrite, delete, add + rename column, partition evolution).
fn pyiceberg_table(cat: &Cat, table: &str) -> Vec<Value> {
    cat.py(&["make-pyiceberg-table", table])["snapshots"].as_array().cloned().unwrap()
}

#[test]
fn create_with_partition_and_sort_specs_shows_them_and_pyiceberg_reads_the_definition() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Cat::sqlite(dir.path());
    let schema = dir.path().join("schema.json");
    std::fs::write(&schema, SCHEMA).unwrap();
    let created = cat.json(&[
        "table",
        "create",
        "db.nested.events",
        "--schema",
        schema.to_str().unwrap(),
        "--partition-by",
        "day(ts), bucket(16, id), truncate(4, name), geo.city",
        "--sort-by",
        "ts desc nulls last, id",
        "--identifier",
        "id",
        "--property",
        "owner=ops",
        "--property",
        "write.target-file-size-bytes=1048576",
    ]);
    let show = cat.json(&["table", "show", "db.nested.events"]);
    assert_eq!(created, show, "create prints the new table as `table show` does");
    assert_eq!(show["table"], "db.nested.events");
    assert_eq!(show["format_version"], 2);
    assert!(show["location"].as_str().unwrap().contains("events"), "{show}");
    assert!(show["uuid"].as_str().unwrap().len() == 36);
    let fields: Vec<(i64, String, String, bool)> = show["schema"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_i64().unwrap(), f["name"].as_str().unwrap().into(), f["type"].as_str().unwrap().into(), f["required"].as_bool().unwrap()))
        .collect();
    let expect = [
        (1, "id", "long", true),
        (2, "ts", "timestamptz", false),
        (3, "name", "string", false),
        (4, "geo", "struct", false),
        (8, "geo.city", "string", false),
        (9, "geo.zip", "int", false),
        (5, "tags", "list", false),
        (10, "tags.element", "string", false),
        (6, "big", "decimal(20, 0)", false),
        (7, "local", "timestamp", false),
    ];
    let expect: Vec<(i64, String, String, bool)> = expect.iter().map(|(i, n, t, r)| (*i, n.to_string(), t.to_string(), *r)).collect();
    assert_eq!(fields, expect);
    assert_eq!(show["schema"]["identifier_fields"], json!(["id"]));
    let spec: Vec<(String, String, String)> = show["partition_spec"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap().into(), f["transform"].as_str().unwrap().into(), f["source"].as_str().unwrap().into()))
        .collect();
    let names = |v: &[(&str, &str, &str)]| v.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect::<Vec<_>>();
    assert_eq!(
        spec,
        names(&[
            ("ts_day", "day", "ts"),
            ("id_bucket", "bucket[16]", "id"),
            ("name_trunc", "truncate[4]", "name"),
            ("geo.city", "identity", "geo.city")
        ])
    );
    let order = &show["sort_order"]["fields"];
    assert_eq!(order[0]["source"], "ts");
    assert_eq!(order[0]["direction"], "desc");
    assert_eq!(order[0]["null_order"], "nulls-last");
    assert_eq!(order[1]["source"], "id");
    assert_eq!(order[1]["direction"], "asc");
    assert_eq!(order[1]["null_order"], "nulls-first");
    assert_eq!(show["properties"]["owner"], "ops");
    assert_eq!(show["current_snapshot"], Value::Null);
    assert_eq!(show["refs"], json!([]));
    assert_eq!(show["health"]["data_files"], 0);
    assert_eq!(show["health"]["target_file_size_bytes"], 1048576);

    // PyIceberg loads the same definition from the catalog.
    let script = r#"
import json, sys
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.schema import index_by_id
cat = SqlCatalog("default", uri="sqlite:///" + sys.argv[1], warehouse="file://" + sys.argv[2])
t = cat.load_table(sys.argv[3])
s = t.schema()
print(json.dumps({
  "fields": [[i, s.find_column_name(i), str(f.field_type), f.required] for i, f in sorted(index_by_id(s).items())],
  "identifier": sorted(s.identifier_field_names()),
  "spec": [[f.name, str(f.transform), s.find_column_name(f.source_id)] for f in t.spec().fields],
  "sort": [[s.find_column_name(f.source_id), str(f.direction), str(f.null_order)] for f in t.sort_order().fields],
  "properties": t.properties,
  "format_version": t.format_version,
  "rows": t.scan().to_arrow().num_rows,
}))
"#;
    let out = std::process::Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(dir.path().join("catalog.db"))
        .arg(dir.path().join("wh"))
        .arg("db.nested.events")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let py: Value = serde_json::from_slice(&out.stdout).unwrap();
    let py_fields: Vec<(i64, String, bool)> = py["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f[0].as_i64().unwrap(), f[1].as_str().unwrap().to_string(), f[3].as_bool().unwrap()))
        .collect();
    let mut ours: Vec<(i64, String, bool)> = expect.iter().map(|(i, n, _, r)| (*i, n.clone(), *r)).collect();
    ours.sort();
    assert_eq!(py_fields, ours);
    let py_type = |name: &str| py["fields"].as_array().unwrap().iter().find(|f| f[1] == name).unwrap()[2].as_str().unwrap().to_string();
    assert_eq!(py_type("big"), "decimal(20, 0)");
    assert_eq!(py_type("ts"), "timestamptz");
    assert_eq!(py_type("local"), "timestamp");
    assert_eq!(py["identifier"], json!(["id"]));
    assert_eq!(
        py["spec"],
        json!([["ts_day", "day", "ts"], ["id_bucket", "bucket[16]", "id"], ["name_trunc", "truncate[4]", "name"], ["geo.city", "identity", "geo.city"]])
    );
    assert_eq!(py["sort"][0][0], "ts");
    assert!(py["sort"][0][1].as_str().unwrap().to_lowercase().contains("desc"), "{py}");
    assert!(py["sort"][0][2].as_str().unwrap().to_lowercase().contains("last"), "{py}");
    assert!(py["sort"][1][2].as_str().unwrap().to_lowercase().contains("first"), "{py}");
    assert_eq!(py["properties"]["owner"], "ops");
    assert_eq!(py["format_version"], 2);
    assert_eq!(py["rows"], 0);

    // The namespace was created (nested), and `table list` shows the table under it.
    let list = cat.json(&["table", "list"]);
    let nss: Vec<&str> = list["namespaces"].as_array().unwrap().iter().map(|n| n["namespace"].as_str().unwrap()).collect();
    assert_eq!(nss, ["db", "db.nested"]);
    assert_eq!(list["namespaces"][1]["tables"], json!(["db.nested.events"]));
    assert_eq!(cat.json(&["table", "list", "db.nested"])["namespaces"][0]["tables"], json!(["db.nested.events"]));
}

#[test]
fn pyiceberg_tables_scan_like_pyiceberg_at_every_snapshot_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Cat::sqlite(dir.path());
    let snaps = pyiceberg_table(&cat, "ns.ref");
    assert!(snaps.len() >= 5, "{snaps:?}");
    for s in &snaps {
        let id = s["snapshot_id"].as_i64().unwrap().to_string();
        let ms = s["timestamp_ms"].as_i64().unwrap();
        let want = cat.py_rows("ns.ref", &["--snapshot-id", &id]);
        let got = cat.scan("ns.ref", &["--snapshot-id", &id]);
        assert_eq!(got, want, "snapshot {id} ({})", s["operation"]);
        for at in [ms, ms + 1] {
            let want = cat.py_rows("ns.ref", &["--as-of-ms", &at.to_string()]);
            let got = cat.scan("ns.ref", &["--at-timestamp", &at.to_string()]);
            assert_eq!(got, want, "--at-timestamp {at} (snapshot {id})");
        }
    }
    // The current snapshot, the main ref, and an RFC 3339 time after the last commit.
    let current = cat.py_rows("ns.ref", &[]);
    assert_eq!(cat.scan("ns.ref", &[]), current);
    assert_eq!(cat.scan("ns.ref", &["--ref", "main"]), current);
    assert_eq!(cat.scan("ns.ref", &["--at-timestamp", "2999-01-01T00:00:00Z"]), current);

    // Filters and projections agree with PyIceberg's (prestige prunes with them, then filters exactly).
    for (ours, theirs) in [
        ("id >= 20 AND amount < 45.0", "id >= 20 and amount < 45.0"),
        ("label LIKE 'name-3%' OR id < 5", "label like 'name-3%' or id < 5"),
        ("day = DATE '2026-11-05'", "day = '2026-11-05'"),
        ("ts >= '2026-11-23T15:00:00Z' AND label IS NOT NULL", "ts >= '2026-11-23T15:00:00+00:00' and label is not null"),
    ] {
        let want = cat.py_rows("ns.ref", &["--where", theirs]);
        assert!(!want.is_empty(), "{theirs} selects rows");
        assert_eq!(cat.scan("ns.ref", &["--where", ours]), want, "--where {ours}");
    }
    let first = snaps[0]["snapshot_id"].as_i64().unwrap().to_string();
    let want = cat.py_rows("ns.ref", &["--snapshot-id", &first, "--columns", "id,name", "--where", "id > 4"]);
    assert_eq!(cat.scan("ns.ref", &["--snapshot-id", &first, "--columns", "id,name", "--where", "id > 4"]), want);
    // Nested columns by path.
    let rows = cat.scan("ns.ref", &["--columns", "id,info.a", "--where", "info.a >= 300"]);
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r.as_object().unwrap().len(), 2);
        assert_eq!(r["info.a"].as_i64().unwrap(), r["id"].as_i64().unwrap() * 10);
    }

    // --count from metadata without a filter, by reading with one; --limit; --schema.
    let count = cat.json(&["scan", "--table", "ns.ref", "--count"]);
    assert_eq!(count["rows"].as_u64().unwrap(), current.len() as u64);
    let out = cat.run(&["scan", "--table", "ns.ref", "--count", "--stats", "--format", "json"]);
    let stats: Value = serde_json::from_str(stderr(&out).lines().last().unwrap()).unwrap();
    assert_eq!(stats["count_from_metadata"], true, "{stats}");
    let filtered = cat.json(&["scan", "--table", "ns.ref", "--count", "--where", "id >= 20 AND amount < 45.0"]);
    assert_eq!(filtered["rows"].as_u64().unwrap(), cat.py_rows("ns.ref", &["--where", "id >= 20 and amount < 45.0"]).len() as u64);
    assert_eq!(cat.scan("ns.ref", &["--limit", "3"]).len(), 3);
    let schema = cat.json(&["scan", "--table", "ns.ref", "--schema"]);
    let cols: Vec<&str> = schema["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(cols, ["id", "ts", "amount", "label", "price", "day", "info", "tags", "attrs", "extra"]);
    let old = cat.json(&["scan", "--table", "ns.ref", "--schema", "--snapshot-id", &first]);
    assert_eq!(old["fields"][3]["name"], "name", "an old snapshot reads with its own schema");

    // --stats names pruning: a selective filter on the bucket/day-partitioned table skips files.
    let out = cat.run(&["scan", "--table", "ns.ref", "--where", "id = 33", "--stats", "--format", "ndjson"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stats: Value = serde_json::from_str(stderr(&out).lines().last().unwrap()).unwrap();
    assert!(stats["data_files_pruned"].as_u64().unwrap() > 0, "{stats}");
    assert_eq!(stats["rows_out"], 1);
    assert_eq!(stats["pruning_predicate"], "id = 33");

    // Every output format works (CSV flattens nested values; Parquet round-trips through pyarrow).
    let csv = cat.run(&["scan", "--table", "ns.ref", "--format", "csv", "--columns", "id,label,info"]);
    assert!(csv.status.success());
    assert_eq!(String::from_utf8_lossy(&csv.stdout).lines().count(), current.len() + 1);
    let pq = dir.path().join("out.parquet");
    let out = cat.run(&["scan", "--table", "ns.ref", "--out", pq.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (_, rows) = crate::common::read_parquet("pyarrow", pq.to_str().unwrap(), "id", None);
    assert_eq!(rows.len(), current.len());
}

#[test]
fn incremental_scans_equal_pyiceberg_incremental_append_scans() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Cat::sqlite(dir.path());
    let snaps = pyiceberg_table(&cat, "ns.inc");
    let ids: Vec<String> = snaps.iter().map(|s| s["snapshot_id"].as_i64().unwrap().to_string()).collect();
    let ops: Vec<&str> = snaps.iter().map(|s| s["operation"].as_str().unwrap()).collect();
    // Ranges of appends only (the reference table: append, append, overwrite, append, overwrite, append,
    // append, delete).
    let mut checked = 0;
    for a in 0..ids.len() {
        for b in a + 1..ids.len() {
            if ops[a + 1..=b].iter().any(|o| *o != "append") {
                continue;
            }
            let want = cat.py_rows("ns.inc", &["--since", &ids[a], "--until", &ids[b]]);
            let got = cat.scan("ns.inc", &["--since-snapshot", &ids[a], "--until-snapshot", &ids[b]]);
            assert_eq!(got, want, "since {} until {}", ids[a], ids[b]);
            assert!(!got.is_empty());
            checked += 1;
        }
    }
    assert!(checked >= 3, "{ops:?}");
    // Until defaults to the current snapshot; the last snapshot is a delete, so a range up to it is refused.
    let last = ids.len() - 1;
    assert_eq!(ops[last], "delete");
    let out = cat.run(&["scan", "--table", "ns.inc", "--since-snapshot", &ids[last - 1]]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(&ids[last]) && stderr(&out).contains("delete"), "{}", stderr(&out));
    // An empty range reads nothing; --count of a range comes from the manifests.
    assert!(cat.scan("ns.inc", &["--since-snapshot", &ids[last], "--until-snapshot", &ids[last]]).is_empty());
    let n = cat.json(&["scan", "--table", "ns.inc", "--since-snapshot", &ids[0], "--until-snapshot", &ids[1], "--count"]);
    assert_eq!(n["rows"], 10);
    // The start must be an ancestor of the end.
    let out = cat.run(&["scan", "--table", "ns.inc", "--since-snapshot", &ids[3], "--until-snapshot", &ids[1]]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not an ancestor"), "{}", stderr(&out));
    let out = cat.run(&["scan", "--table", "ns.inc", "--since-snapshot", "12345"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("snapshot 12345"), "{}", stderr(&out));
}

#[test]
fn snapshot_list_show_and_refs_agree_with_the_harness() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Cat::sqlite(dir.path());
    pyiceberg_table(&cat, "ns.snaps");
    let theirs = cat.py(&["snapshots", "ns.snaps"]);
    let list = cat.json(&["snapshot", "list", "ns.snaps"]);
    assert_eq!(list["table"], "ns.snaps");
    assert_eq!(list["ref"], "main");
    assert_eq!(list["current_snapshot_id"], theirs["current_snapshot_id"]);
    let ours = list["snapshots"].as_array().unwrap();
    let mut expected: Vec<Value> = theirs["snapshots"].as_array().unwrap().clone();
    expected.sort_by_key(|s| std::cmp::Reverse(s["sequence_number"].as_i64()));
    assert_eq!(ours.len(), expected.len());
    for (o, t) in ours.iter().zip(&expected) {
        for k in ["snapshot_id", "parent_id", "sequence_number", "timestamp_ms", "operation", "schema_id"] {
            assert_eq!(o[k], t[k], "{k} of {}", t["snapshot_id"]);
        }
        let num = |k: &str| t["summary"][k].as_str().map(|v| json!(v.parse::<u64>().unwrap())).unwrap_or(Value::Null);
        assert_eq!(o["added_records"], num("added-records"));
        assert_eq!(o["deleted_records"], num("deleted-records"));
        assert_eq!(o["total_records"], num("total-records"));
        assert_eq!(o["added_data_files"], num("added-data-files"));
        assert_eq!(o["deleted_data_files"], num("deleted-data-files"));
        assert_eq!(o["commit_id"], Value::Null, "PyIceberg's snapshots have no prestige commit id");
        let ms = o["timestamp_ms"].as_i64().unwrap();
        let rfc = chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        assert_eq!(o["timestamp"], rfc);
        let is_current = o["snapshot_id"] == theirs["current_snapshot_id"];
        assert_eq!(o["refs"], if is_current { json!(["main"]) } else { json!([]) });

        let show = cat.json(&["snapshot", "show", "ns.snaps", &t["snapshot_id"].to_string()]);
        assert_eq!(show["snapshot_id"], t["snapshot_id"]);
        assert_eq!(show["manifest_list"], t["manifest_list"]);
        assert_eq!(show["schema_id"], t["schema_id"]);
        assert_eq!(show["summary"], t["summary"]);
        let manifests = show["manifests"].as_array().unwrap();
        assert!(!manifests.is_empty());
        // The data manifests' live rows add up to the snapshot's total.
        let live: u64 = manifests
            .iter()
            .filter(|m| m["content"] == "data")
            .map(|m| m["added_rows"].as_u64().unwrap() + m["existing_rows"].as_u64().unwrap())
            .sum();
        assert_eq!(json!(live), num("total-records"), "snapshot {}", t["snapshot_id"]);
    }
    // --all lists the same snapshots (one lineage here).
    let all = cat.json(&["snapshot", "list", "ns.snaps", "--all"]);
    assert_eq!(all["snapshots"].as_array().unwrap().len(), ours.len());
    assert_eq!(all["ref"], Value::Null);

    let refs = cat.json(&["snapshot", "refs", "ns.snaps"]);
    assert_eq!(refs["refs"].as_array().unwrap().len(), theirs["refs"].as_object().unwrap().len());
    assert_eq!(refs["refs"][0]["name"], "main");
    assert_eq!(refs["refs"][0]["type"], "branch");
    assert_eq!(refs["refs"][0]["snapshot_id"], theirs["refs"]["main"]["snapshot_id"]);

    // `table show` summarizes the current snapshot and the table's health.
    let show = cat.json(&["table", "show", "ns.snaps"]);
    let current = &expected[0];
    assert_eq!(show["current_snapshot"]["snapshot_id"], current["snapshot_id"]);
    assert_eq!(show["current_snapshot"]["summary"], current["summary"]);
    assert_eq!(show["metadata_location"], theirs["metadata_location"]);
    assert_eq!(show["format_version"], theirs["format_version"]);
    let h = &show["health"];
    let total = |k: &str| current["summary"][k].as_str().unwrap().parse::<u64>().unwrap();
    assert_eq!(h["data_files"], total("total-data-files"));
    assert_eq!(h["records"], total("total-records"));
    assert_eq!(h["data_bytes"], total("total-files-size"));
    assert_eq!(h["delete_files"], 0);
    assert_eq!(h["snapshots"], expected.len());
    assert_eq!(h["files_under_25pct_target"], h["data_files"], "small files are all under 25% of 512 MiB");
    assert!(h["manifests"].as_u64().unwrap() >= 1);
    assert_eq!(show["partition_spec"]["spec_id"], 1, "the evolved spec is the default");
    let spec: Vec<&str> = show["partition_spec"]["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(spec, ["id_bucket", "ts_day", "label"]);
}

#[test]
fn properties_and_drop_with_purge() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Cat::sqlite(dir.path());
    pyiceberg_table(&cat, "ns.props");
    let r = cat.json(&["table", "properties", "ns.props", "--set", "a=1", "--set", "b=two words"]);
    assert_eq!(r["committed"], true);
    assert_eq!(r["properties"]["a"], "1");
    let r = cat.json(&["table", "properties", "ns.props", "--unset", "a", "--unset", "never-set"]);
    assert_eq!(r["unset"], json!(["a"]));
    assert!(r["properties"].get("a").is_none());
    let r = cat.json(&["table", "properties", "ns.props", "--set", "b=two words"]);
    assert_eq!(r["committed"], false, "nothing to change makes no commit");
    let out = cat.run(&["table", "properties", "ns.props", "--set", "format-version=3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("format-version"), "{}", stderr(&out));
    // PyIceberg sees the properties; the data is unchanged.
    let script = r#"
import json, sys
from pyiceberg.catalog.sql import SqlCatalog
cat = SqlCatalog("default", uri="sqlite:///" + sys.argv[1], warehouse="file://" + sys.argv[2])
print(json.dumps(cat.load_table(sys.argv[3]).properties))
"#;
    let out = std::process::Command::new(python())
        .args(["-c", script])
        .arg(dir.path().join("catalog.db"))
        .arg(dir.path().join("wh"))
        .arg("ns.props")
        .output()
        .unwrap();
    let props: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(props["b"], "two words");
    assert!(props.get("a").is_none());

    let table_dir = dir.path().join("wh/ns/props");
    let files_before = walk(&table_dir);
    let plan = cat.json(&["table", "drop", "ns.props", "--purge", "--plan"]);
    assert_eq!(plan["dropped"], false);
    let planned: u64 = plan["files"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(planned as usize, files_before, "every file under the table is referenced by its metadata");
    assert_eq!(walk(&table_dir), files_before, "--plan changes nothing");
    let dropped = cat.json(&["table", "drop", "ns.props", "--purge"]);
    assert_eq!(dropped["dropped"], true);
    assert_eq!(dropped["deleted"].as_u64().unwrap(), planned);
    assert_eq!(dropped["failed"], json!([]));
    assert_eq!(walk(&table_dir), 0);
    let out = cat.run(&["table", "show", "ns.props"]);
    assert_eq!(out.status.code(), Some(5));
    // Without --purge the files stay.
    pyiceberg_table(&cat, "ns.keep");
    let keep_dir = dir.path().join("wh/ns/keep");
    let n = walk(&keep_dir);
    cat.json(&["table", "drop", "ns.keep"]);
    assert_eq!(walk(&keep_dir), n);
    assert_eq!(cat.json(&["table", "list", "ns"])["namespaces"][0]["tables"], json!([]));
}

fn walk(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .map(|e| e.unwrap().path())
        .map(|p| if p.is_dir() { walk(&p) } else { 1 })
        .sum()
}

#[test]
fn bad_input_exits_with_the_documented_codes_and_names_the_culprit() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Cat::sqlite(dir.path());
    let schema = dir.path().join("schema.json");
    std::fs::write(&schema, SCHEMA).unwrap();
    let snaps = pyiceberg_table(&cat, "ns.t");
    let first_ms = snaps[0]["timestamp_ms"].as_i64().unwrap();
    let check = |args: &[&str], code: i32, needles: &[&str]| {
        let out = cat.run(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        for n in needles {
            assert!(err.contains(n), "{args:?}: {err:?} should mention {n:?}");
        }
        assert!(out.stdout.is_empty(), "{args:?} printed {}", String::from_utf8_lossy(&out.stdout));
    };
    // Unknown tables and namespaces: 5.
    check(&["scan", "--table", "ns.nope"], 5, &["ns.nope", "does not exist"]);
    check(&["table", "show", "zz.nope"], 5, &["zz.nope", "namespace zz"]);
    check(&["snapshot", "list", "ns.nope"], 5, &["ns.nope"]);
    check(&["table", "drop", "ns.nope"], 5, &["ns.nope"]);
    check(&["table", "list", "nope"], 5, &["namespace nope"]);
    // Invalid identifiers: 2.
    check(&["scan", "--table", "justaname"], 2, &["justaname", "NAMESPACE.TABLE"]);
    check(&["table", "show", "a..b"], 2, &["a..b"]);
    // Bad definitions: 2, naming the term.
    let create = |extra: &[&str]| {
        let mut a = vec!["table", "create", "ns.new", "--schema", schema.to_str().unwrap()];
        a.extend(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    for (extra, needles) in [
        (vec!["--partition-by", "day(name)"], vec!["day(name)", "string"]),
        (vec!["--partition-by", "bucket(x, id)"], vec!["bucket(x, id)", "number"]),
        (vec!["--partition-by", "month(nope)"], vec!["nope", "no column"]),
        (vec!["--partition-by", "frob(id)"], vec!["frob", "unknown transform"]),
        (vec!["--sort-by", "ts sideways"], vec!["ts sideways"]),
        (vec!["--identifier", "name"], vec!["name", "required"]),
        (vec!["--format-version", "3"], vec!["format-version 3", "not supported"]),
    ] {
        let args = create(&extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        check(&args, 2, &needles);
    }
    check(&["table", "create", "ns.t", "--schema", schema.to_str().unwrap()], 2, &["ns.t", "already exists"]);
    // Nothing was created by the failed attempts.
    let list = cat.json(&["table", "list", "ns"]);
    assert_eq!(list["namespaces"][0]["tables"], json!(["ns.t"]));
    // Unknown snapshots and refs: 5; a time before the first snapshot: 2.
    check(&["scan", "--table", "ns.t", "--snapshot-id", "424242"], 5, &["snapshot 424242", "ns.t"]);
    check(&["snapshot", "show", "ns.t", "424242"], 5, &["snapshot 424242"]);
    check(&["scan", "--table", "ns.t", "--ref", "nope"], 5, &["ref nope", "main"]);
    check(&["snapshot", "list", "ns.t", "--ref", "nope"], 5, &["ref nope"]);
    let before = (first_ms - 1000).to_string();
    check(&["scan", "--table", "ns.t", "--at-timestamp", &before], 2, &["--at-timestamp", "no snapshot at or before", "ns.t"]);
    // Bad --where / --columns: 2.
    check(&["scan", "--table", "ns.t", "--where", "nope = 1"], 2, &["nope"]);
    check(&["scan", "--table", "ns.t", "--columns", "id,nope"], 2, &["nope"]);
    // --table with Parquet-only flags is a usage error.
    check(&["scan", "--table", "ns.t", "--prefix", "x"], 2, &["--prefix"]);
}

#[test]
fn duckdb_tables_with_position_deletes_scan_like_pyiceberg_over_rest() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = shared_s3();
    let cat = Cat::rest(dir.path(), s3);
    let table = format!("duck{}.t", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let snaps = cat.py(&["make-duckdb-table", &table])["snapshots"].as_array().cloned().unwrap();
    assert!(snaps.len() >= 5, "{snaps:?}");
    let show = cat.json(&["table", "show", &table]);
    assert!(show["health"]["delete_files"].as_u64().unwrap() > 0, "DuckDB's DELETE/UPDATE leave delete files: {show}");
    for s in &snaps {
        let id = s["snapshot_id"].as_i64().unwrap().to_string();
        let want = cat.py_rows(&table, &["--snapshot-id", &id]);
        assert_eq!(cat.scan(&table, &["--snapshot-id", &id]), want, "snapshot {id} ({})", s["operation"]);
        let at = s["timestamp_ms"].as_i64().unwrap().to_string();
        assert_eq!(cat.scan(&table, &["--at-timestamp", &at]), cat.py_rows(&table, &["--as-of-ms", &at]));
    }
    let current = cat.py_rows(&table, &[]);
    assert_eq!(cat.scan(&table, &[]), current);
    // DELETE removed ids 5, 10, …, 30 (35 was inserted afterwards).
    assert!(current.iter().all(|r| r["id"].as_i64().unwrap() % 5 != 0 || r["id"] == 35), "deleted rows never show");
    let updated = cat.scan(&table, &["--where", "name LIKE '%-updated'"]);
    assert!(!updated.is_empty());
    assert_eq!(updated, cat.py_rows(&table, &["--where", "amount > 100"]), "UPDATE's rows");
    // With delete files, --count reads (and still agrees).
    let out = cat.run(&["scan", "--table", &table, "--count", "--stats", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(report(&out)["rows"].as_u64().unwrap(), current.len() as u64);
    let stats: Value = serde_json::from_str(stderr(&out).lines().last().unwrap()).unwrap();
    assert_eq!(stats["count_from_metadata"], false, "{stats}");
    assert!(stats["delete_files"].as_u64().unwrap() > 0, "{stats}");
    // Snapshot reports over REST.
    let list = cat.json(&["snapshot", "list", &table]);
    assert_eq!(list["snapshots"].as_array().unwrap().len(), snaps.len());

    // Properties, then drop with purge: the server purges (or prestige deletes what is left); nothing fails.
    let r = cat.json(&["table", "properties", &table, "--set", "owner=ops"]);
    assert_eq!(r["properties"]["owner"], "ops");
    let dropped = cat.json(&["table", "drop", &table, "--purge"]);
    assert_eq!(dropped["dropped"], true);
    assert_eq!(dropped["failed"], json!([]), "{dropped}");
    let out = cat.run(&["scan", "--table", &table]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
}

#[test]
fn tables_created_over_rest_are_what_pyiceberg_loads() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Cat::rest(dir.path(), shared_s3());
    let schema = dir.path().join("schema.json");
    std::fs::write(&schema, SCHEMA).unwrap();
    let table = format!("rest{}.inner.events", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let created = cat.json(&[
        "table",
        "create",
        &table,
        "--schema",
        schema.to_str().unwrap(),
        "--partition-by",
        "day(ts), bucket(8, id)",
        "--sort-by",
        "id",
    ]);
    assert_eq!(created["table"], table.as_str());
    assert!(created["location"].as_str().unwrap().starts_with("s3://"), "{created}");
    let spec: Vec<&str> = created["partition_spec"]["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(spec, ["ts_day", "id_bucket"]);
    let theirs = cat.py(&["snapshots", &table]);
    assert_eq!(theirs["format_version"], 2);
    assert_eq!(theirs["location"], created["location"]);
    assert_eq!(cat.py(&["read", &table])["count"], 0);
    let ns = table.rsplit_once('.').unwrap().0;
    let top = ns.split('.').next().unwrap();
    let list = cat.json(&["table", "list", top]);
    let listed: Vec<&str> = list["namespaces"].as_array().unwrap().iter().map(|n| n["namespace"].as_str().unwrap()).collect();
    assert_eq!(listed, [top, ns]);
    assert_eq!(list["namespaces"][1]["tables"], json!([table]));
    assert_eq!(cat.json(&["table", "drop", &table])["dropped"], true);
}
