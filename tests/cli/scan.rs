//! `prestige scan`: results equal DuckDB's for projections and every predicate form over files with evolved
//! schemas (local and S3, json/ndjson/csv), parquet output re-read by pyarrow, pruning that skips data, errors.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::common::*;

const SCHEMA_A: &str = r#"[{"name":"id","type":"int64","nullable":false},{"name":"k","type":"string"},
{"name":"v","type":"float64"},{"name":"n","type":"int32"},{"name":"ts","type":"timestamp(ms, UTC)"},
{"name":"d","type":"date"},{"name":"price","type":"decimal(10, 2)"},{"name":"flag","type":"bool"},
{"name":"tags","type":"list<string>"},{"name":"geo","type":"struct<country: string, city: string>"}]"#;

fn row(id: u64, evolved: bool) -> Value {
    let ks = ["alpha", "bravo", "charlie", "delta", "echo"];
    let countries = ["DE", "FR", "US"];
    let mut r = json!({
        "id": id,
        "k": ks[(id % 5) as usize],
        "v": ((id * 37) % 1000) as f64 / 1000.0,
        "n": if id.is_multiple_of(7) { Value::Null } else { json!((id % 300) as i64 - 100) },
        "ts": format!("2024-01-01T{:02}:{:02}:{:02}.{:03}Z", (id / 3600) % 24, (id / 60) % 60, id % 60, id % 1000),
        "d": format!("2024-01-{:02}", 1 + id % 28),
        "price": format!("{}.{:02}", id % 100, id % 97),
        "flag": id.is_multiple_of(3),
        "tags": (0..id % 3).map(|t| format!("t{t}")).collect::<Vec<_>>(),
        "geo": if id.is_multiple_of(11) { Value::Null } else { json!({"country": countries[(id % 3) as usize], "city": format!("c{}", id % 13)}) },
    });
    if evolved {
        r["extra"] = if id.is_multiple_of(4) { Value::Null } else { json!(format!("x{}", id % 9)) };
    }
    r
}

/// 6 files of 2,000 rows (row groups of 500) under `dir` with prefix `events`; the last 3 add a column `extra`.
fn seed(dir: &Path, tmp: &Path) -> Vec<PathBuf> {
    let schema_a = tmp.join("a.json");
    std::fs::write(&schema_a, SCHEMA_A).unwrap();
    let schema_b = tmp.join("b.json");
    std::fs::write(&schema_b, SCHEMA_A.replace("]", ",{\"name\":\"extra\",\"type\":\"string\"}]")).unwrap();
    for part in 0..2u64 {
        let evolved = part == 1;
        let lines: Vec<String> = (part * 6000..part * 6000 + 6000).map(|i| row(i, evolved).to_string()).collect();
        let input = tmp.join(format!("in{part}.ndjson"));
        write_lines(&input, &lines);
        let schema = if evolved { &schema_b } else { &schema_a };
        let out = prestige()
            .args(["ingest", input.to_str().unwrap(), "--to", dir.to_str().unwrap(), "--prefix", "events"])
            .args(["--schema", schema.to_str().unwrap(), "--max-rows", "2000", "--row-group-rows", "500"])
            .env("PRESTIGE_STATE_DIR", tmp.join("state"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let files = parquet_files(dir);
    assert_eq!(files.len(), 6);
    files
}

/// The seeded files, local and on S3 (uploaded once for all tests of this module).
struct Lake {
    dir: PathBuf,
    files: Vec<PathBuf>,
    bucket: String,
}

fn lake() -> &'static Lake {
    static LAKE: OnceLock<Lake> = OnceLock::new();
    LAKE.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap().keep();
        let dir = tmp.join("lake");
        let files = seed(&dir, &tmp);
        let s3 = shared_s3();
        let bucket = s3.bucket("scan");
        let out = prestige()
            .args(["upload", dir.to_str().unwrap(), "--to", &format!("s3://{bucket}/lake"), "--format", "json"])
            .envs(s3.envs())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        Lake { dir, files, bucket }
    })
}

/// Runs `prestige scan` with `args` writing to a file in `format`; returns the output path.
fn scan_to(location: &str, format: &str, args: &[&str], s3: bool) -> PathBuf {
    let out = tempfile::NamedTempFile::new().unwrap().into_temp_path().keep().unwrap();
    let mut c = prestige();
    c.args(["scan", location, "--format", format, "--out", out.to_str().unwrap()]).args(args);
    if s3 {
        c.envs(shared_s3().envs());
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "scan {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    out
}

/// Compares prestige's output with DuckDB's for the same query over the local copies of the files.
fn check(format: &str, output: &Path, columns: Option<&str>, filter: Option<&str>, limit: Option<u64>) -> Value {
    let mut args: Vec<String> = vec!["--format".into(), format.into(), "--output".into(), output.display().to_string()];
    if let Some(c) = columns {
        args.extend(["--columns".into(), c.into()]);
    }
    if let Some(w) = filter {
        args.extend(["--where".into(), w.into()]);
    }
    if let Some(l) = limit {
        args.extend(["--limit".into(), l.to_string()]);
    }
    args.extend(lake().files.iter().map(|f| f.display().to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    py_json("scan_compare.py", &refs, None)
}

/// (columns, where, limit): projections, every predicate form, limits, nulls, timestamps, nested and evolved columns.
const QUERIES: &[(Option<&str>, Option<&str>, Option<u64>)] = &[
    (Some("id,k,v,n,ts,d,price,flag,extra"), None, None),
    (Some("id,k,v"), Some("id = 1234"), None),
    (Some("id,v"), Some("id >= 100 AND id < 300"), None),
    (Some("id,k"), Some("k IN ('alpha', 'echo')"), None),
    (Some("id,k"), Some("k NOT IN ('alpha', 'echo') AND id < 2000"), None),
    (Some("id,n"), Some("n IS NULL"), None),
    (Some("id,n,v"), Some("n IS NOT NULL AND v > 0.5 AND n <= -50"), None),
    (Some("id,k"), Some("id BETWEEN 10 AND 20 OR k = 'bravo' AND id > 11900"), None),
    (Some("id,v"), Some("NOT (v < 0.25) OR id = 3"), None),
    (Some("id,k"), Some("k LIKE 'ch%' AND id < 500"), None),
    (Some("id,k"), Some("k ILIKE '%LT_' AND id > 11000"), None),
    (Some("id,ts"), Some("ts >= TIMESTAMP '2024-01-01 01:00:00' AND ts < '2024-01-01T01:30:00Z'"), None),
    (Some("id,d"), Some("d = DATE '2024-01-03' OR d > '2024-01-27'"), None),
    (Some("id,price"), Some("price > 95.5 AND price <= 99"), None),
    (Some("id,geo.country,geo.city"), Some("geo.country = 'DE' AND geo.city IN ('c1', 'c2')"), None),
    (Some("id,flag"), Some("flag AND id < 100"), None),
    (Some("id,extra"), Some("extra IS NULL"), None),
    (Some("id,extra,k"), Some("extra = 'x3' OR extra > 'x7'"), None),
    (Some("id,n"), Some("n > 2.5 AND n < 10"), None),
    (Some("id,k,v"), Some("v > 0.9"), Some(7)),
    (Some("id"), None, Some(2500)),
];

#[test]
fn results_equal_duckdb_for_every_query_form_local_and_s3() {
    let l = lake();
    let dir = l.dir.to_str().unwrap();
    let s3_dir = format!("s3://{}/lake", l.bucket);
    let mut compared = 0;
    for (i, (cols, filter, limit)) in QUERIES.iter().enumerate() {
        // Rotate formats and stores so each query is checked in one of json/ndjson/csv, local or S3,
        // and the first few in every combination.
        let combos: Vec<(&str, bool)> = if i < 3 {
            vec![("json", false), ("ndjson", false), ("csv", false), ("json", true), ("ndjson", true), ("csv", true)]
        } else {
            let f = ["json", "ndjson", "csv"][i % 3];
            vec![(f, false), (["ndjson", "csv", "json"][i % 3], true)]
        };
        for (format, on_s3) in combos {
            // CSV holds nested values as display text: compare nested projections in JSON forms only.
            if format == "csv" && cols.is_some_and(|c| c.contains("geo.")) {
                continue;
            }
            let mut args: Vec<String> = Vec::new();
            if let Some(c) = cols {
                args.extend(["--columns".into(), c.to_string()]);
            }
            if let Some(w) = filter {
                args.extend(["--where".into(), w.to_string()]);
            }
            if let Some(n) = limit {
                args.extend(["--limit".into(), n.to_string()]);
            }
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let loc = if on_s3 { s3_dir.as_str() } else { dir };
            let out = scan_to(loc, format, &refs, on_s3);
            let r = check(format, &out, *cols, *filter, *limit);
            assert_eq!(r["ok"], true, "query {i} {cols:?} {filter:?} {limit:?} as {format} (s3: {on_s3}): {r}");
            compared += 1;
        }
    }
    assert!(compared >= 40, "compared {compared} query runs");
    // Unsupported operators are refused with a usage error, not guessed at.
    let o = prestige().args(["scan", dir, "--where", "id % 2 = 0"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unsupported operator"));
}

#[test]
fn all_columns_with_nested_values_equal_duckdb_and_parquet_output_rereads_equal() {
    let l = lake();
    let dir = l.dir.to_str().unwrap();
    for format in ["json", "ndjson"] {
        let out = scan_to(dir, format, &[], false);
        let r = check(format, &out, None, None, None);
        assert_eq!(r["ok"], true, "{format}: {r}");
        assert_eq!(r["duckdb_rows"], 12000);
    }
    // Parquet output: pyarrow reads back exactly the rows DuckDB reads from the sources (evolved schema included).
    let out = scan_to(dir, "parquet", &["--where", "id >= 5000 AND id < 7000"], false);
    let r = check("parquet", &out, None, Some("id >= 5000 AND id < 7000"), None);
    assert_eq!(r["ok"], true, "parquet: {r}");
    assert_eq!(r["prestige_rows"], 2000);
    let out = scan_to(&format!("s3://{}/lake", l.bucket), "parquet", &[], true);
    let r = check("parquet", &out, None, None, None);
    assert_eq!(r["ok"], true, "parquet from S3: {r}");
}

#[test]
fn on_a_terminal_rows_print_as_a_table_and_piped_as_ndjson() {
    let l = lake();
    let bin = assert_cmd::cargo::cargo_bin("prestige");
    let cmd = format!("{} scan {} --columns id,k --where 'id < 3' --no-progress", bin.display(), l.dir.display());
    // script(1) gives the command a pseudo-terminal, here one that reports a width of 0 columns.
    let o = std::process::Command::new("script").args(["-qec", &cmd, "/dev/null"]).env_remove("COLUMNS").output().unwrap();
    let shown = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{shown}");
    let header = shown.lines().find(|line| line.contains("id")).unwrap_or_default();
    assert!(header.contains('│') && header.contains(" k "), "no table header with both columns on one line:\n{shown}");
    assert!(shown.lines().any(|line| line.trim() == "3 rows"), "no row-count footer:\n{shown}");
    // The same command into a pipe prints NDJSON.
    let o = prestige().args(["scan", l.dir.to_str().unwrap(), "--columns", "id,k", "--where", "id < 3"]).output().unwrap();
    let lines: Vec<Value> = String::from_utf8_lossy(&o.stdout).lines().map(|x| serde_json::from_str(x).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|r| r["id"].as_i64().unwrap() < 3 && r.get("k").is_some()));
}

#[test]
fn selection_by_prefix_time_window_globs_and_single_objects() {
    let l = lake();
    // A private copy: this test adds foreign and stray files that other tests must not see.
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("lake");
    std::fs::create_dir(&copy).unwrap();
    for f in &l.files {
        std::fs::copy(f, copy.join(f.file_name().unwrap())).unwrap();
    }
    let dir = copy.to_str().unwrap();
    let names: Vec<String> = l.files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
    let ts: Vec<i64> = names.iter().map(|n| n.split('.').nth(1).unwrap().parse().unwrap()).collect();
    let count = |args: &[&str], s3: bool| -> u64 {
        let mut c = prestige();
        c.args(["scan", "--count", "--format", "json"]).args(args);
        if s3 {
            c.envs(shared_s3().envs());
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        report(&o)["rows"].as_u64().unwrap()
    };
    assert_eq!(count(&[dir], false), 12000);
    assert_eq!(count(&[dir, "--prefix", "events"], false), 12000);
    // A foreign prefix and a stray file in the same folder are never picked up by --prefix.
    std::fs::copy(&l.files[0], copy.join("events_other.1700000000000.parquet")).unwrap();
    std::fs::write(copy.join("events.1700000000001.txt"), "not parquet").unwrap();
    assert_eq!(count(&[dir, "--prefix", "events"], false), 12000);
    let after_second = ts[1].to_string();
    assert_eq!(count(&[dir, "--prefix", "events", "--start", &after_second], false), 8000);
    let upto_third = ts[2].to_string();
    assert_eq!(count(&[dir, "--prefix", "events", "--start", &after_second, "--end", &upto_third], false), 2000);
    let pattern = format!("{dir}/events.*.parquet");
    assert_eq!(count(&[&pattern], false), 12000);
    assert_eq!(count(&[l.files[0].to_str().unwrap(), l.files[5].to_str().unwrap()], false), 4000);
    assert_eq!(count(&[l.files[0].to_str().unwrap(), "--where", "id < 10"], false), 10);
    let obj = format!("s3://{}/lake/{}", l.bucket, names[3]);
    assert_eq!(count(&[&obj], true), 2000);
    let s3_glob = format!("s3://{}/lake/events.*.parquet", l.bucket);
    assert_eq!(count(&[&s3_glob, "--where", "extra IS NOT NULL"], true), 4500);
    std::fs::remove_file(copy.join("events_other.1700000000000.parquet")).unwrap();

    // --schema prints the unified schema: `extra` from the later files, nullable.
    let o = prestige().args(["scan", dir, "--schema", "--format", "json"]).output().unwrap();
    let s = report(&o);
    let fields: Vec<&str> = s["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(fields, ["id", "k", "v", "n", "ts", "d", "price", "flag", "tags", "geo", "extra"]);
    assert_eq!(s["fields"][4]["type"], "timestamp(ms, UTC)");
}

#[test]
fn a_selective_filter_on_a_sorted_column_reads_a_small_fraction_of_the_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sorted");
    // 300,000 rows sorted by id, in 3 files of 20 row groups; the payload compresses poorly, like real data.
    let lines: Vec<String> = (0..300_000u64)
        .map(|i| {
            let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            json!({"id": i, "payload": format!("{:016x}{:016x}", h, h.rotate_left(29) ^ i)}).to_string()
        })
        .collect();
    let input = tmp.path().join("in.ndjson");
    write_lines(&input, &lines);
    let out = prestige()
        .args(["ingest", input.to_str().unwrap(), "--to", dir.to_str().unwrap(), "--prefix", "big"])
        .args(["--max-rows", "100000", "--row-group-rows", "5000"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stats = |filter: &str| -> (Value, usize) {
        let o = prestige()
            .args(["scan", dir.to_str().unwrap(), "--where", filter, "--stats", "--format", "ndjson"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let err = String::from_utf8_lossy(&o.stderr);
        let line = err.lines().rev().find(|l| l.starts_with('{')).expect("stats line on stderr");
        let rows = String::from_utf8_lossy(&o.stdout).lines().count();
        (serde_json::from_str(line).unwrap(), rows)
    };
    let (s, rows) = stats("id BETWEEN 123400 AND 123499");
    assert_eq!(rows, 100);
    assert_eq!(s["rows_out"], 100);
    assert_eq!(s["row_groups"], 60);
    assert_eq!(s["row_groups_pruned"], 59, "{s}");
    assert_eq!(s["files_pruned"], 2, "{s}");
    let (read, total) = (s["bytes_read"].as_f64().unwrap(), s["bytes_total"].as_f64().unwrap());
    assert!(read < total * 0.05, "read {read} of {total} bytes: {s}");
    // The same scan without a filter reads (nearly) everything: the counter measures real reads.
    let (all, rows) = stats("id >= 0");
    assert_eq!(rows, 300_000);
    assert!(all["bytes_read"].as_f64().unwrap() > total * 0.9, "{all}");
    // A filter no row group can satisfy reads only footers.
    let (none, rows) = stats("id > 1000000");
    assert_eq!((rows, none["files_pruned"].as_u64()), (0, Some(3)));
    assert!(none["bytes_read"].as_f64().unwrap() < total * 0.05, "{none}");
}

#[test]
fn bad_expressions_missing_inputs_and_corrupt_files_fail_clearly() {
    let l = lake();
    let dir = l.dir.to_str().unwrap();
    let run = |args: &[&str]| {
        let o = prestige().arg("scan").args(args).envs(shared_s3().envs()).output().unwrap();
        (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (code, err) = run(&[dir, "--where", "nope = 1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no column \"nope\""), "{err}");
    let (code, err) = run(&[dir, "--where", "k = 3"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot compare"), "{err}");
    let (code, err) = run(&[dir, "--where", "ts > 'yesterday'"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("yesterday"), "{err}");
    let (code, err) = run(&[dir, "--where", "id = = 1"]);
    assert_eq!(code, 2, "{err}");
    let (code, err) = run(&[dir, "--columns", "id,missing"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("missing"), "{err}");
    let (code, err) = run(&["/nonexistent/lake"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("/nonexistent/lake"), "{err}");
    let (code, err) = run(&["s3://no-such-bucket-prestige/x"]);
    assert_eq!(code, 5, "{err}");
    // No credentials anywhere: one short error at once, no retries, no dump of SDK internals.
    let tmp = tempfile::tempdir().unwrap();
    let nowhere = tmp.path().join("no-such-file");
    let o = prestige()
        .args(["scan", &format!("s3://{}/lake", l.bucket)])
        .envs(shared_s3().envs().into_iter().filter(|(k, _)| !k.starts_with("AWS_ACCESS_KEY") && !k.starts_with("AWS_SECRET")))
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_CONFIG_FILE", &nowhere)
        .env("AWS_SHARED_CREDENTIALS_FILE", &nowhere)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(err.contains(&format!("s3://{}", l.bucket)) && err.contains("no usable AWS credentials"), "{err}");
    assert!(!err.contains("retrying") && !err.contains("DispatchFailure") && err.len() < 600, "{err}");
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("broken.parquet");
    std::fs::write(&bad, b"PAR1 this is not parquet").unwrap();
    let (code, err) = run(&[bad.to_str().unwrap()]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("broken.parquet"), "{err}");
    // A schema conflict between files names the file.
    let conflict = tmp.path().join("conflict");
    std::fs::create_dir(&conflict).unwrap();
    std::fs::copy(&l.files[0], conflict.join("a.parquet")).unwrap();
    let out = prestige()
        .args(["ingest", "--to", conflict.to_str().unwrap(), "--prefix", "z"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .write_stdin("{\"id\": \"text\"}\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let (code, err) = run(&[&format!("{}/*.parquet", conflict.display())]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("z.") && err.contains("\"id\""), "{err}");
    // The table format (what a terminal shows) truncates long values and counts rows.
    let o = prestige().args(["scan", dir, "--format", "table", "--columns", "id,k", "--limit", "3"]).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.trim_end().ends_with("3 rows"), "{text}");
    // `| head` closes the pipe early: a quiet success.
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{} scan {dir} --format ndjson | head -n 2", assert_cmd::cargo::cargo_bin("prestige").display()))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 2);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("error"), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Ingests `lines` with `schema` into `dir` (prefix `events`, row groups of `rg` rows).
fn ingest_rows(dir: &Path, tmp: &Path, schema: &str, lines: &[String], rg: u64) {
    let sp = tmp.join(format!("schema-{}.json", uuid::Uuid::new_v4().simple()));
    std::fs::write(&sp, schema).unwrap();
    let input = tmp.join(format!("in-{}.ndjson", uuid::Uuid::new_v4().simple()));
    write_lines(&input, lines);
    let out = prestige()
        .args(["ingest", input.to_str().unwrap(), "--to", dir.to_str().unwrap(), "--prefix", "events"])
        .args(["--schema", sp.to_str().unwrap(), "--row-group-rows", &rg.to_string()])
        .env("PRESTIGE_STATE_DIR", tmp.join("state"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `scan --count` of `location` with `--where w`, and the `--stats` line.
fn count_where(location: &str, w: &str) -> (u64, Value) {
    let o = prestige().args(["scan", location, "--count", "--format", "json", "--stats", "--where", w]).output().unwrap();
    assert!(o.status.success(), "--where {w}: {}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    let stats = err.lines().rev().find(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).unwrap_or(Value::Null);
    (report(&o)["rows"].as_u64().unwrap(), stats)
}

#[test]
fn where_compares_literals_exactly_in_filters_and_in_pruning() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lake");
    let schema = r#"[{"name":"id","type":"int64"},{"name":"p","type":"decimal(5, 1)"},{"name":"i","type":"int8"},
        {"name":"u","type":"uint64"},{"name":"t","type":"timestamp(ms, UTC)"},{"name":"f","type":"float32"},
        {"name":"d","type":"date"},{"name":"us","type":"timestamp(us)"}]"#;
    let lines: Vec<String> = [
        r#"{"id":0,"p":"50.0","i":-128,"u":0,"t":"2024-05-01T00:00:00.000Z","f":1.1,"d":"2024-05-01","us":"2024-05-01T00:00:00.000001"}"#,
        r#"{"id":1,"p":"50.1","i":127,"u":18446744073709551615,"t":"2024-05-01T00:00:00.001Z","f":2.5,"d":"2024-05-02","us":"2024-05-01T00:00:00.000002"}"#,
        r#"{"id":2,"p":"-50.1","i":2,"u":5,"t":"2024-04-30T23:59:59.999Z","f":-0.5,"d":"2024-04-30","us":"1969-12-31T23:59:59.999999"}"#,
        r#"{"id":3,"p":null,"i":null,"u":null,"t":null,"f":null,"d":null,"us":null}"#,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // One row per row group and page: a wrongly rounded literal would prune rows away as well as filter them.
    ingest_rows(&dir, tmp.path(), schema, &lines, 1);
    let loc = dir.to_str().unwrap();
    // (predicate, matching rows) — the counts DuckDB gives over the same data (nulls never match), except for
    // literals finer than a microsecond, which DuckDB truncates and prestige compares exactly.
    let cases: &[(&str, u64)] = &[
        ("p = 50.05", 0),
        ("p > 50.05", 1),
        ("p >= 50.05", 1),
        ("p < 50.05", 2),
        ("p <= 50.05", 2),
        ("p <> 50.05", 3),
        ("50.05 < p", 1),
        ("p = 50.1", 1),
        ("p = 50.10000", 1),
        ("p IN (50.05, 50.1)", 1),
        ("p NOT IN (50.05, 49.95)", 3),
        ("p BETWEEN 50.01 AND 50.09", 0),
        ("p NOT BETWEEN 50.01 AND 50.09", 3),
        ("p BETWEEN -50.15 AND 50.05", 2),
        ("p < -50.05", 1),
        ("p > -50.15", 3),
        ("p < 1e40", 3),
        ("p > -1e40", 3),
        ("p = 1e40", 0),
        ("p <> 1e40", 3),
        ("p > 9999.95", 0),
        ("p < 9999.95", 3),
        ("NOT (p = 50.05)", 3),
        ("NOT (p > 1e40)", 3),
        ("p < 123456789012345678901234567890.5", 3),
        ("i = 300", 0),
        ("i < 300", 3),
        ("i <> 300", 3),
        ("i > -129", 3),
        ("i >= -128.5", 3),
        ("i < -128.5", 0),
        ("i > 2.5", 1),
        ("i = 2.5", 0),
        ("i < 2.5", 2),
        ("i <> 2.5", 3),
        ("i = 2.0", 1),
        ("NOT (i = 2.5)", 3),
        ("i BETWEEN 1.5 AND 2.5", 1),
        ("i > -128.5 AND i < -127.5", 1),
        ("i IN (2.5, 127, 300)", 1),
        ("u > -1", 3),
        ("u = 18446744073709551615", 1),
        ("u > 18446744073709551614.5", 1),
        ("u < 0.5", 1),
        ("u = 18446744073709551616", 0),
        ("u < 18446744073709551616", 3),
        ("t = '2024-05-01T00:00:00.0005Z'", 0),
        ("t > '2024-05-01T00:00:00.0005Z'", 1),
        ("t < '2024-05-01T00:00:00.0005Z'", 2),
        ("t <= '2024-05-01T00:00:00.000999Z'", 2),
        ("t >= '2024-05-01T00:00:00.000999Z'", 1),
        ("t = '2024-05-01T00:00:00.001Z'", 1),
        ("t <> '2024-05-01T00:00:00.0005Z'", 3),
        ("t BETWEEN '2024-04-30T23:59:59.9995Z' AND '2024-05-01T00:00:00.0005Z'", 1),
        ("t > TIMESTAMP '1500-01-01 00:00:00'", 3),
        ("t < '9999-12-31T23:59:59.999999Z'", 3),
        ("us = '2024-05-01T00:00:00.0000015'", 0),
        ("us > '2024-05-01 00:00:00.0000015'", 1),
        ("us < '1970-01-01'", 1),
        ("f = 1.1", 1),
        ("f > 1.1", 1),
        ("f < 1.1", 1),
        ("f = 1.1e0", 0),
        ("f > 1.1e0", 2),
        ("f = 2.5", 1),
        ("d > TIMESTAMP '2024-05-01 10:00:00'", 1),
        ("d = TIMESTAMP '2024-05-01 10:00:00'", 0),
        ("d >= '2024-05-01'", 2),
        ("d < TIMESTAMP '2024-05-01 00:00:00.000001'", 2),
    ];
    let mut wrong = Vec::new();
    for (w, want) in cases {
        let (got, _) = count_where(loc, w);
        if got != *want {
            wrong.push(format!("{w}: {got} rows, expected {want}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Pruning sees the same exact values: nothing can equal 50.05, so no row group is read at all ...
    let (_, s) = count_where(loc, "p = 50.05");
    assert_eq!((s["row_groups"].as_u64(), s["row_groups_pruned"].as_u64()), (Some(4), Some(4)), "{s}");
    // ... and only the row group holding 50.1 can be above 50.05.
    let (_, s) = count_where(loc, "p > 50.05");
    assert_eq!(s["row_groups_pruned"].as_u64(), Some(3), "{s}");
}

#[test]
fn directory_and_glob_scans_skip_originals_kept_by_compaction_locally_and_on_s3() {
    let s3 = shared_s3();
    let tmp = tempfile::tempdir().unwrap();
    let bucket = s3.bucket("keep-scan");
    let local = tmp.path().join("lake");
    let remote = format!("s3://{bucket}/lake");
    let schema = r#"[{"name":"id","type":"int64"},{"name":"k","type":"string"}]"#;
    for dest in [local.to_str().unwrap(), remote.as_str()] {
        for part in 0..3u64 {
            let lines: Vec<String> = (part * 100..part * 100 + 100).map(|i| json!({"id": i, "k": format!("k{}", i % 7)}).to_string()).collect();
            let sp = tmp.path().join("schema.json");
            std::fs::write(&sp, schema).unwrap();
            let input = tmp.path().join(format!("in-{}-{part}.ndjson", dest.len()));
            write_lines(&input, &lines);
            let out = prestige()
                .args(["ingest", input.to_str().unwrap(), "--to", dest, "--prefix", "events", "--schema", sp.to_str().unwrap()])
                .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
                .envs(s3.envs())
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let out = prestige()
            .args(["compact", dest, "--prefix", "events", "--keep-originals", "--format", "json"])
            .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
            .envs(s3.envs())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(report(&out)["files_processed"], 3);
    }
    let keys: Vec<String> = s3.list(&bucket, "lake/").into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys.iter().filter(|k| k.ends_with(".parquet.processed")).count(), 3, "{keys:?}");
    let originals: Vec<PathBuf> =
        parquet_files(&local).into_iter().filter(|p| !p.to_string_lossy().ends_with(".c.parquet")).collect();
    assert_eq!(originals.len(), 3);
    let count = |args: &[&str]| -> u64 {
        let o = prestige().args(["scan", "--count", "--format", "json"]).args(args).envs(s3.envs()).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        report(&o)["rows"].as_u64().unwrap()
    };
    let local_glob = format!("{}/*.parquet", local.display());
    let local_deep = format!("{}/**/events.*.parquet", local.display());
    let remote_glob = format!("{remote}/events.*.parquet");
    for loc in [local.to_str().unwrap(), &local_glob, &local_deep, &remote, &remote_glob] {
        assert_eq!(count(&[loc]), 300, "{loc}: every row once (the compaction output, not the kept originals too)");
        assert_eq!(count(&[loc, "--where", "id >= 0"]), 300, "{loc} with a filter");
    }
    for loc in [local.to_str().unwrap(), &remote] {
        assert_eq!(count(&[loc, "--prefix", "events"]), 300, "{loc} with --prefix");
    }
    // A kept original named explicitly is still read.
    assert_eq!(count(&[originals[0].to_str().unwrap()]), 100);
    let first_remote = keys.iter().find(|k| k.ends_with(".parquet") && !k.ends_with(".c.parquet")).unwrap();
    assert_eq!(count(&[&format!("s3://{bucket}/{first_remote}")]), 100);
}

#[test]
fn out_file_format_and_compression_follow_the_extension_or_are_refused() {
    let l = lake();
    let dir = l.dir.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let run = |out: &Path, extra: &[&str]| {
        prestige()
            .args(["scan", dir, "--columns", "id,k", "--where", "id < 50", "--out", out.to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap()
    };
    let decode = |bytes: Vec<u8>, name: &str| -> String {
        use std::io::Read;
        let mut s = String::new();
        if name.ends_with(".gz") {
            flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_string(&mut s).unwrap();
        } else if name.ends_with(".zst") {
            s = String::from_utf8(zstd::decode_all(&bytes[..]).unwrap()).unwrap();
        } else {
            s = String::from_utf8(bytes).unwrap();
        }
        s
    };
    let rows_of = |text: &str, csv: bool| -> Vec<i64> {
        let mut ids: Vec<i64> = if csv {
            let mut lines = text.lines();
            assert_eq!(lines.next(), Some("id,k"), "{text}");
            lines.map(|l| l.split(',').next().unwrap().parse().unwrap()).collect()
        } else if text.trim_start().starts_with('[') {
            serde_json::from_str::<Vec<Value>>(text).unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect()
        } else {
            text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_i64().unwrap()).collect()
        };
        ids.sort_unstable();
        ids
    };
    let want: Vec<i64> = (0..50).collect();
    for (name, format) in [
        ("a.csv.gz", "csv"),
        ("a.ndjson.gz", "ndjson"),
        ("a.jsonl.gz", "ndjson"),
        ("a.csv.zst", "csv"),
        ("a.ndjson.zst", "ndjson"),
        ("a.jsonl", "ndjson"),
        ("a.json.gz", "json"),
        ("A.CSV", "csv"),
    ] {
        let out = tmp.path().join(name);
        let o = run(&out, &[]);
        assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
        let text = decode(std::fs::read(&out).unwrap(), &name.to_lowercase());
        assert_eq!(rows_of(&text, format == "csv"), want, "{name} as {format}");
        if format == "json" {
            assert!(text.trim_start().starts_with('['), "{name}: {text}");
        }
    }
    // --format and the extension agreeing is fine; disagreeing, or an extension naming no format, is refused
    // (exit 2, naming the extension) and leaves no file behind.
    let out = tmp.path().join("b.csv.gz");
    let o = run(&out, &["--format", "csv"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (name, extra, says) in [
        ("c.txt", &[][..], ".txt"),
        ("c.csv.bz2", &[][..], ".bz2"),
        ("noextension", &[][..], "no extension"),
        ("c.gz", &[][..], ".gz"),
        ("c.ndjson", &["--format", "csv"][..], ".ndjson"),
        ("c.csv.gz", &["--format", "json"][..], ".csv.gz"),
        ("c.parquet.zst", &[][..], ".zst"),
    ] {
        let out = tmp.path().join(name);
        let o = run(&out, extra);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name} {extra:?}: {err}");
        assert!(err.contains(says), "{name}: {err}");
        assert!(!out.exists(), "{name} was written");
    }
    let o = run(&tmp.path().join("d.txt"), &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(".csv.gz") && err.contains(".parquet") && err.contains(".ndjson"), "lists the supported ones: {err}");
    // An explicit --format writes to any other name.
    let out = tmp.path().join("e.txt");
    let o = run(&out, &["--format", "csv"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(rows_of(&std::fs::read_to_string(&out).unwrap(), true), want);
    let names: Vec<String> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "temporary files left: {names:?}");
}

#[test]
fn a_panic_in_a_reader_task_fails_the_scan_with_exit_1_and_no_result() {
    let l = lake();
    let dir = l.dir.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str], at: &str| {
        prestige()
            .args(["scan", dir, "--no-progress"])
            .args(args)
            .env("PRESTIGE_FAILPOINT_PANIC", format!("scan.read:{at}"))
            .output()
            .unwrap()
    };
    // Rows, the first file's reader panicking or a later one's, one file at a time or several.
    for (at, concurrency) in [("1", "1"), ("3", "1"), ("6", "4")] {
        let o = run(&["--format", "ndjson", "--concurrency", concurrency, "--stats"], at);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "reader {at}: {err}");
        assert!(err.contains("internal error") && err.contains("scan reader") && err.contains("injected panic"), "{err}");
        assert!(!err.lines().any(|l| l.starts_with('{')), "a failed scan printed its stats: {err}");
        let rows = String::from_utf8_lossy(&o.stdout).lines().count();
        assert!(rows < 12000, "reader {at}: all {rows} rows printed");
    }
    // A count never prints a number, a table never its row-count footer, --out never leaves a file.
    let o = run(&["--count", "--where", "id >= 0", "--format", "json"], "2");
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.is_empty(), "{}", String::from_utf8_lossy(&o.stdout));
    let o = run(&["--format", "table", "--columns", "id"], "2");
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("rows"), "{}", String::from_utf8_lossy(&o.stdout));
    let out = tmp.path().join("rows.parquet");
    let o = run(&["--out", out.to_str().unwrap()], "4");
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none(), "a file was left behind");
    // Unarmed (another failpoint name), the same scans succeed: the failure above is the panic's.
    let o = prestige().args(["scan", dir, "--count", "--where", "id >= 0", "--format", "json"]).env("PRESTIGE_FAILPOINT_PANIC", "elsewhere").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(report(&o)["rows"], 12000);
}
