//! Ingest hardening: panics fail the run, inference rules, resume that never duplicates (issue 9 §1–2).
//!
//! Everything goes through the built binary and is checked the way a user would see it: the exit code, the
//! message on stderr (file, line, key), the JSON report, and the rows read back with pyarrow and DuckDB.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};

use crate::common::*;

// ------------------------------------------------------------------------------------------------------------
// helpers

/// `prestige ingest INPUTS --to DEST --state-dir STATE --format json ARGS...`.
fn ingest(inputs: &[&Path], dest: &str, state: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut c = prestige();
    c.arg("ingest")
        .args(inputs)
        .args(["--to", dest, "--state-dir", state.to_str().unwrap(), "--format", "json"])
        .args(args);
    c
}

fn run(mut c: assert_cmd::Command) -> Output {
    c.output().unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn show(out: &Output) -> String {
    format!("exit {:?}\nstdout:\n{}\nstderr:\n{}", out.status, String::from_utf8_lossy(&out.stdout), stderr(out))
}

/// The `error: ...` line `main` prints (not the panic hook's `thread '...' panicked at` line).
fn error_line(out: &Output) -> String {
    stderr(out).lines().filter(|l| l.starts_with("error:")).collect::<Vec<_>>().join("\n")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ids(rows: &[Value]) -> Vec<u64> {
    rows.iter().map(|r| r["id"].as_u64().unwrap_or_else(|| panic!("row without an integer id: {r}"))).collect()
}

/// Rows ordered by id hold ids 0..n, each exactly once.
fn assert_exactly_once(rows: &[Value], n: u64, what: &str) {
    let got = ids(rows);
    if got != (0..n).collect::<Vec<_>>() {
        let dups = got.windows(2).filter(|w| w[0] == w[1]).count();
        let missing = (0..n).filter(|i| got.binary_search(i).is_err()).count();
        panic!("{what}: expected ids 0..{n} exactly once; got {} rows, {dups} duplicates, {missing} missing", got.len());
    }
}

/// Every visible `*.parquet` under `dir` has a footer; returns how many there are.
fn all_complete(dir: &Path, what: &str) -> usize {
    let files = parquet_files(dir);
    for f in &files {
        assert!(has_footer(&std::fs::read(f).unwrap()), "{what}: footerless file visible: {}", f.display());
    }
    files.len()
}

/// Schema of Parquet files as pyarrow and DuckDB see them (tests/cli/py/hardening_inspect.py).
fn inspect(location: &Path) -> Value {
    py_json("hardening_inspect.py", &[s(location)], None)
}

/// A file of NDJSON lines `{"id": i, ...}` for i in 0..n, with `line(i)` giving each line.
fn write_file(path: &Path, n: u64, line: impl Fn(u64) -> String) {
    let lines: Vec<String> = (0..n).map(line).collect();
    write_lines(path, &lines);
}

/// Replaces line `no` (1-based) of a file with `new` (any length), in place.
fn replace_line(path: &Path, no: usize, new: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[no - 1] = new;
    let mut out = lines.join("\n");
    out.push('\n');
    std::fs::write(path, out).unwrap();
}

/// `text` holds the number `n` as a word of its own (not inside a path or another number).
fn has_count(text: &str, n: u64) -> bool {
    let n = n.to_string();
    text.match_indices(&n).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + n.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '/' || c == '.')
            && !after.is_some_and(|c| c.is_alphanumeric() || c == '/')
    })
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zstd_bytes(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

// ------------------------------------------------------------------------------------------------------------
// 1. a panic in any pipeline stage fails the run

/// ~200-byte lines: 15,000 of them (3 MB) make two 2 MiB chunks, so `ingest.decode:2` hits a later chunk.
fn pad(i: u64) -> String {
    (0..11u64).map(|k| format!("{:016x}", (i * 31 + k).wrapping_mul(0x9E37_79B9_7F4A_7C15))).collect()
}

fn padded_line(i: u64) -> String {
    json!({"id": i, "pad": pad(i)}).to_string()
}

const PANIC_ROWS: u64 = 15_000;

/// What a run that panicked must leave: exit 1, an error naming the panic, no `complete` report.
fn assert_panicked(point: &str, out: &Output) {
    let name = point.split(':').next().unwrap();
    assert_eq!(code(out), 1, "{point}: a panic must fail the run\n{}", show(out));
    let err = error_line(out);
    assert!(
        err.contains("panicked") && err.contains(&format!("injected panic at failpoint {name}")),
        "{point}: the error line must name the internal error (the panic)\n{}",
        show(out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("\"complete\""), "{point}: a failed run reported complete\n{}", show(out));
}

/// The rows present are an exact prefix of the input (ids 0..k in order, content intact), no duplicates.
fn assert_prefix(point: &str, rows: &[Value]) {
    for (k, r) in rows.iter().enumerate() {
        assert_eq!(r["id"], json!(k as u64), "{point}: rows present are not a prefix of the input (row {k})");
        assert_eq!(r["pad"], json!(pad(k as u64)), "{point}: row {k} content differs from its input line");
    }
}

/// Runs `check` for every failpoint and fails afterwards, listing every point that failed (not just the first).
fn each_point(points: &[&str], check: impl Fn(&str)) {
    let mut failed = Vec::new();
    for &point in points {
        if let Err(e) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(point))) {
            let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
            let first = msg.unwrap_or_default().lines().next().unwrap_or_default().to_string();
            failed.push(format!("{point}: {first}"));
        }
    }
    assert!(failed.is_empty(), "{} of {} failpoints failed:\n{}", failed.len(), points.len(), failed.join("\n"));
}

#[test]
fn a_panic_in_any_local_pipeline_stage_fails_the_run_and_a_rerun_is_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("events.ndjson");
    write_file(&input, PANIC_ROWS, padded_line);
    let points = [
        "ingest.read",
        "ingest.chunk",
        "ingest.decode",
        "ingest.decode:2",
        "ingest.encode",
        "ingest.encode:3",
        "ingest.write",
        "ingest.write:2",
    ];
    each_point(&points, |point| {
        let tag = point.replace([':', '.'], "-");
        let lake = tmp.path().join(format!("lake-{tag}"));
        let state = tmp.path().join(format!("state-{tag}"));
        std::fs::create_dir_all(&lake).unwrap();
        let args = ["--prefix", "ev", "--max-rows", "2500", "--threads", "2"];
        let mut c = ingest(&[&input], s(&lake), &state, &args);
        c.env("PRESTIGE_FAILPOINT_PANIC", point);
        let out = run(c);
        assert_panicked(point, &out);
        all_complete(&lake, point);
        let (_, rows) = read_parquet("pyarrow", s(&lake), "id", None);
        assert_prefix(point, &rows);

        let out = run(ingest(&[&input], s(&lake), &state, &args));
        assert_eq!(code(&out), 0, "{point}: rerun without the failpoint\n{}", show(&out));
        assert_eq!(report(&out)["status"], "complete", "{point}");
        all_complete(&lake, point);
        let (_, rows) = read_parquet("duckdb", s(&lake), "id", None);
        assert_exactly_once(&rows, PANIC_ROWS, point);
    });
}

#[test]
fn a_panic_in_an_s3_upload_task_fails_the_run_and_a_rerun_is_exactly_once() {
    let s3 = shared_s3();
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("events.ndjson");
    write_file(&input, PANIC_ROWS, padded_line);
    each_point(&["ingest.upload", "ingest.upload:3"], |point| {
        let bucket = s3.bucket("hardening-upload");
        let dest = format!("s3://{bucket}/raw");
        let state = tmp.path().join(format!("state-{}", point.replace([':', '.'], "-")));
        let args = ["--prefix", "ev", "--max-rows", "2500", "--upload-concurrency", "1"];
        let mut c = ingest(&[&input], &dest, &state, &args);
        c.envs(s3.envs()).env("PRESTIGE_FAILPOINT_PANIC", point);
        let out = run(c);
        assert_panicked(point, &out);
        let objects = s3.list(&bucket, "raw/");
        for (k, _) in &objects {
            assert!(has_footer(&s3.get(&bucket, k)), "{point}: footerless object {k}");
        }
        // A panic in the first upload leaves nothing at all (the empty prefix is trivially exact).
        if !objects.is_empty() {
            let (_, rows) = read_parquet("pyarrow", &dest, "id", Some(s3));
            assert_prefix(point, &rows);
        }

        let mut c = ingest(&[&input], &dest, &state, &args);
        c.envs(s3.envs());
        let out = run(c);
        assert_eq!(code(&out), 0, "{point}: rerun without the failpoint\n{}", show(&out));
        assert_eq!(report(&out)["status"], "complete", "{point}");
        let (_, rows) = read_parquet("duckdb", &dest, "id", Some(s3));
        assert_exactly_once(&rows, PANIC_ROWS, point);
    });
}

/// The original bug: `{}` on every line panicked a decode thread, and the run still reported complete, 0 rows.
#[test]
fn an_always_empty_object_on_every_line_loads_every_row() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("extra.ndjson");
    write_file(&input, 3000, |i| format!(r#"{{"id":{i},"extra":{{}}}}"#));
    let lake = tmp.path().join("lake");
    let out = run(ingest(&[&input], s(&lake), &tmp.path().join("state"), &[]));
    assert_eq!(code(&out), 0, "{}", show(&out));
    let rep = report(&out);
    assert_eq!(rep["status"], "complete");
    assert_eq!(rep["rows"], 3000, "{rep}");
    let (_, rows) = read_parquet("duckdb", s(&lake), "id", None);
    assert_exactly_once(&rows, 3000, "duckdb");
    assert!(rows.iter().all(|r| r["extra"] == "{}"), "extra must read back as \"{{}}\": {}", rows[0]);
}

// ------------------------------------------------------------------------------------------------------------
// 2. empty objects and lists

#[test]
fn a_key_that_is_always_an_empty_object_becomes_a_json_column() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("meta.ndjson");
    write_file(&input, 50, |i| format!(r#"{{"id":{i},"meta":{{}}}}"#));
    let lake = tmp.path().join("lake");
    let out = run(ingest(&[&input], s(&lake), &tmp.path().join("state"), &[]));
    assert_eq!(code(&out), 0, "{}", show(&out));
    let rep = report(&out);
    assert_eq!(rep["rows"], 50, "{rep}");
    let meta_type = rep["schema"]["fields"].as_array().and_then(|f| f.iter().find(|f| f["name"] == "meta")).map(|f| f["type"].clone());
    assert_eq!(meta_type, Some(json!("json")), "report schema: {}", rep["schema"]);

    let (_, rows) = read_parquet("pyarrow", s(&lake), "id", None);
    assert_exactly_once(&rows, 50, "pyarrow");
    assert!(rows.iter().all(|r| r["meta"] == "{}"), "pyarrow must read the string \"{{}}\": {}", rows[0]);
    let (_, rows) = read_parquet("duckdb", s(&lake), "id", None);
    assert!(rows.iter().all(|r| r["meta"] == "{}"), "duckdb: {}", rows[0]);

    let info = inspect(&lake);
    for f in info["files"].as_array().unwrap() {
        let line = f["parquet"].as_str().unwrap().lines().find(|l| l.contains(" meta")).unwrap_or("").to_string();
        assert!(line.to_uppercase().contains("(JSON)"), "Parquet logical type of meta is not JSON: {}", f["parquet"]);
        assert_eq!(f["duckdb"]["meta"], "JSON", "DuckDB type of meta: {f}");
    }
}

#[test]
fn sometimes_empty_objects_become_structs_and_empty_lists_and_nested_empties_load() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("shapes.ndjson");
    let lines = [
        r#"{"id":0,"s":{},"l":[],"a":{"b":{}},"c":[{}]}"#,
        r#"{"id":1,"s":{"x":1},"l":[],"a":{"b":{}},"c":[{},{}]}"#,
        r#"{"id":2,"s":{},"l":[],"a":{"b":{}},"c":[]}"#,
    ];
    write_lines(&input, &lines.map(String::from));
    let lake = tmp.path().join("lake");
    let out = run(ingest(&[&input], s(&lake), &tmp.path().join("state"), &[]));
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(report(&out)["rows"], 3);
    for engine in ["pyarrow", "duckdb"] {
        let (_, rows) = read_parquet(engine, s(&lake), "id", None);
        assert_exactly_once(&rows, 3, engine);
        assert_eq!(rows[0]["s"], json!({"x": null}), "{engine}: {{}} in a struct column reads as x null");
        assert_eq!(rows[1]["s"], json!({"x": 1}), "{engine}");
        for r in &rows {
            assert_eq!(r["l"], json!([]), "{engine}: an always-empty list reads back as an empty list: {r}");
            assert_eq!(r["a"], json!({"b": "{}"}), "{engine}: nested empty object: {r}");
        }
        assert_eq!(rows[0]["c"], json!(["{}"]), "{engine}: [{{}}]");
        assert_eq!(rows[1]["c"], json!(["{}", "{}"]), "{engine}");
        assert_eq!(rows[2]["c"], json!([]), "{engine}");
    }
    let info = inspect(&lake);
    let arrow = &info["files"][0]["arrow"];
    assert!(arrow["s"].as_str().unwrap().starts_with("struct<x: int64"), "s: {arrow}");
}

#[test]
fn an_explicit_json_column_keeps_any_json_value() {
    let tmp = tempfile::tempdir().unwrap();
    let schema = tmp.path().join("schema.json");
    std::fs::write(&schema, r#"[{"name":"id","type":"int64","nullable":false},{"name":"doc","type":"json"}]"#).unwrap();
    let values = [
        json!(1),
        json!(-2.5),
        json!("text é ✓ \"quoted\""),
        json!(true),
        json!([1, "a", null, {"b": []}]),
        json!({"k": {"n": [true, false]}, "z": 1e3}),
        json!({}),
        json!([]),
        json!(12345678901234567890u64),
    ];
    let input = tmp.path().join("docs.ndjson");
    let mut lines: Vec<String> = values.iter().enumerate().map(|(i, v)| format!(r#"{{"id":{i},"doc":{v}}}"#)).collect();
    lines.push(format!(r#"{{"id":{},"doc":null}}"#, values.len()));
    write_lines(&input, &lines);
    let lake = tmp.path().join("lake");
    let out = run(ingest(&[&input], s(&lake), &tmp.path().join("state"), &["--schema", s(&schema)]));
    assert_eq!(code(&out), 0, "{}", show(&out));
    for engine in ["pyarrow", "duckdb"] {
        let (_, rows) = read_parquet(engine, s(&lake), "id", None);
        assert_exactly_once(&rows, values.len() as u64 + 1, engine);
        for (v, r) in values.iter().zip(&rows) {
            let text = r["doc"].as_str().unwrap_or_else(|| panic!("{engine}: doc is not text: {r}"));
            let back: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{engine}: {text:?} is not JSON: {e}"));
            assert_eq!(&back, v, "{engine}: json column text {text:?}");
        }
        let last = &rows[values.len()]["doc"];
        assert!(last.is_null() || last == "null", "{engine}: null reads back as {last}");
    }
}

// ------------------------------------------------------------------------------------------------------------
// 3. inference rules

#[test]
fn inferred_numbers_are_exact_or_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let case = |name: &str, values: &[&str]| -> (PathBuf, Output) {
        let input = tmp.path().join(format!("{name}.ndjson"));
        let lines: Vec<String> = values.iter().enumerate().map(|(i, v)| format!(r#"{{"id":{i},"v":{v}}}"#)).collect();
        write_lines(&input, &lines);
        let lake = tmp.path().join(format!("lake-{name}"));
        let out = run(ingest(&[&input], s(&lake), &state, &["--max-rows", "1"]));
        (lake, out)
    };
    let v_type = |out: &Output| -> Value {
        let rep = report(out);
        rep["schema"]["fields"].as_array().unwrap().iter().find(|f| f["name"] == "v").unwrap()["type"].clone()
    };

    // ints + floats → float64, every value exact.
    let (lake, out) = case("mixed", &["1", "2.5", "-3", "9007199254740992", "0.1"]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(v_type(&out), "float64");
    let (_, rows) = read_parquet("pyarrow", s(&lake), "id", None);
    let got: Vec<f64> = rows.iter().map(|r| r["v"].as_f64().unwrap()).collect();
    assert_eq!(got, [1.0, 2.5, -3.0, 9007199254740992.0, 0.1]);
    assert!(inspect(&lake)["files"].as_array().unwrap().iter().all(|f| f["arrow"]["v"] == "double"));

    // Above int64, within uint64 → uint64, read back exactly.
    let (lake, out) = case("unsigned", &["1", "18446744073709551615", "9223372036854775808"]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(v_type(&out), "uint64");
    for engine in ["pyarrow", "duckdb"] {
        let (_, rows) = read_parquet(engine, s(&lake), "id", None);
        let got: Vec<Value> = rows.iter().map(|r| r["v"].clone()).collect();
        assert_eq!(got, [json!(1u64), json!(18446744073709551615u64), json!(9223372036854775808u64)], "{engine}");
    }

    // A negative integer beyond int64 → decimal(38, 0), read back exactly.
    let (lake, out) = case("negative", &["-9223372036854775809", "5", "-99999999999999999999999999999999999999"]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(v_type(&out), "decimal(38, 0)");
    for engine in ["pyarrow", "duckdb"] {
        let (_, rows) = read_parquet(engine, s(&lake), "id", None);
        let got: Vec<Value> = rows.iter().map(|r| r["v"].clone()).collect();
        assert_eq!(got, [json!("-9223372036854775809"), json!("5"), json!("-99999999999999999999999999999999999999")], "{engine}");
    }

    // Integers a float64 cannot hold mixed with floats, and integers of 40 digits: refused before writing.
    for (name, values, key_line) in [
        ("inexact", &["1.5", "2", "9007199254740993"][..], "inexact.ndjson:3"),
        ("huge", &["1", "1234567890123456789012345678901234567890"][..], "huge.ndjson:2"),
    ] {
        let (lake, out) = case(name, values);
        assert_eq!(code(&out), 4, "{name}: {}", show(&out));
        let err = error_line(&out);
        assert!(err.contains("\"v\"") && err.contains(key_line), "{name}: the message names key v and {key_line}\n{}", show(&out));
        assert!(parquet_files(&lake).is_empty(), "{name}: files were written before the refusal");
    }
}

#[test]
fn conflicting_kinds_at_a_key_are_refused_before_any_file_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let cases: [(&str, &[&str], &str, &str); 2] = [
        ("intstr", &["1", "2", "3", r#""four""#, "5"], "intstr.ndjson:1", "intstr.ndjson:4"),
        ("scalarlist", &["1", "[2]", "3"], "scalarlist.ndjson:1", "scalarlist.ndjson:2"),
    ];
    for (name, values, first, second) in cases {
        let input = tmp.path().join(format!("{name}.ndjson"));
        let lines: Vec<String> = values.iter().enumerate().map(|(i, v)| format!(r#"{{"id":{i},"v":{v}}}"#)).collect();
        write_lines(&input, &lines);
        for policy in ["fail", "skip"] {
            let lake = tmp.path().join(format!("lake-{name}-{policy}"));
            let out = run(ingest(&[&input], s(&lake), &state, &["--max-rows", "1", "--on-error", policy]));
            let what = format!("{name} --on-error {policy}");
            assert_eq!(code(&out), 4, "{what}: a conflict is refused (no row silently dropped)\n{}", show(&out));
            let err = error_line(&out);
            for needle in ["\"v\"", first, second, "--schema"] {
                assert!(err.contains(needle), "{what}: the message must contain {needle:?}\n{}", show(&out));
            }
            assert!(parquet_files(&lake).is_empty(), "{what}: files were written before the refusal: {:?}", parquet_files(&lake));
        }
    }
}

// ------------------------------------------------------------------------------------------------------------
// 4. timestamp(s) columns

#[test]
fn timestamp_seconds_columns_are_parquet_timestamps() {
    let tmp = tempfile::tempdir().unwrap();
    let schema = tmp.path().join("schema.json");
    std::fs::write(
        &schema,
        r#"[{"name":"id","type":"int64"},{"name":"ts","type":"timestamp(s)"},{"name":"tz","type":"timestamp(s, UTC)"}]"#,
    )
    .unwrap();
    let input = tmp.path().join("ts.ndjson");
    write_lines(
        &input,
        &[
            r#"{"id":0,"ts":"2024-01-02T03:04:05Z","tz":"2024-01-02T05:04:05+02:00"}"#.to_string(),
            r#"{"id":1,"ts":1700000000,"tz":1700000000}"#.to_string(),
        ],
    );
    let lake = tmp.path().join("lake");
    let out = run(ingest(&[&input], s(&lake), &tmp.path().join("state"), &["--schema", s(&schema)]));
    assert_eq!(code(&out), 0, "{}", show(&out));
    for engine in ["pyarrow", "duckdb"] {
        let (_, rows) = read_parquet(engine, s(&lake), "id", None);
        assert_eq!(rows[0]["ts"], json!(1_704_164_645_000_000i64), "{engine}: {}", rows[0]);
        assert_eq!(rows[0]["tz"], json!(1_704_164_645_000_000i64), "{engine}: {}", rows[0]);
        assert_eq!(rows[1]["ts"], json!(1_700_000_000_000_000i64), "{engine}: {}", rows[1]);
        assert_eq!(rows[1]["tz"], json!(1_700_000_000_000_000i64), "{engine}: {}", rows[1]);
    }
    for f in inspect(&lake)["files"].as_array().unwrap() {
        let (ts, tz) = (f["arrow"]["ts"].as_str().unwrap(), f["arrow"]["tz"].as_str().unwrap());
        assert!(ts.starts_with("timestamp[ms"), "ts must be a Parquet timestamp (ms), pyarrow sees {ts}");
        assert!(tz.starts_with("timestamp[ms") && tz.contains("UTC"), "tz: pyarrow sees {tz}");
        assert!(f["duckdb"]["ts"].as_str().unwrap().starts_with("TIMESTAMP"), "DuckDB: {f}");
    }

    // Sub-second input to a seconds column is a bad line, not truncated.
    let sub = tmp.path().join("subsecond.ndjson");
    write_lines(
        &sub,
        &[
            r#"{"id":0,"ts":"2024-01-02T03:04:05Z","tz":null}"#.to_string(),
            r#"{"id":1,"ts":"2024-01-02T03:04:05.500Z","tz":null}"#.to_string(),
        ],
    );
    let out = run(ingest(&[&sub], s(&tmp.path().join("lake2")), &tmp.path().join("state"), &["--schema", s(&schema)]));
    assert_eq!(code(&out), 4, "{}", show(&out));
    assert!(error_line(&out).contains("subsecond.ndjson:2"), "{}", show(&out));
}

// ------------------------------------------------------------------------------------------------------------
// 5. compressed and odd input

#[test]
fn gzip_and_zstd_are_recognised_by_content_on_stdin_and_under_any_name_and_a_bom_is_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let mut text = String::new();
    for i in 0..500 {
        text.push_str(&format!("{{\"id\":{i},\"name\":\"n{i}\"}}\n"));
    }
    let check = |what: &str, lake: &Path, out: &Output, n: u64| {
        assert_eq!(code(out), 0, "{what}\n{}", show(out));
        assert_eq!(report(out)["rows"], n, "{what}");
        let (_, rows) = read_parquet("duckdb", s(lake), "id", None);
        assert_exactly_once(&rows, n, what);
        assert_eq!(rows[0]["name"], "n0", "{what}");
    };
    for (what, data) in [("gzip", gzip(text.as_bytes())), ("zstd", zstd_bytes(text.as_bytes()))] {
        let lake = tmp.path().join(format!("lake-stdin-{what}"));
        let mut c = ingest(&[], s(&lake), &state, &[]);
        c.write_stdin(data.clone());
        let out = run(c);
        check(&format!("{what} on stdin"), &lake, &out, 500);
    }
    let gz_txt = tmp.path().join("data.txt");
    std::fs::write(&gz_txt, gzip(text.as_bytes())).unwrap();
    let zst_bare = tmp.path().join("data");
    std::fs::write(&zst_bare, zstd_bytes(text.as_bytes())).unwrap();
    for (what, path) in [("gzip named .txt", &gz_txt), ("zstd without extension", &zst_bare)] {
        let lake = tmp.path().join(format!("lake-{}", path.file_name().unwrap().to_string_lossy()));
        let out = run(ingest(&[path], s(&lake), &state, &[]));
        check(what, &lake, &out, 500);
    }
    // A UTF-8 byte order mark before the first line: the first row loads.
    let bom = tmp.path().join("bom.ndjson");
    let mut data = vec![0xef, 0xbb, 0xbf];
    data.extend_from_slice(text.as_bytes());
    std::fs::write(&bom, &data).unwrap();
    let lake = tmp.path().join("lake-bom");
    let out = run(ingest(&[&bom], s(&lake), &state, &[]));
    check("BOM", &lake, &out, 500);
    // The BOM, gzipped, on stdin.
    let lake = tmp.path().join("lake-bom-gz");
    let mut c = ingest(&[], s(&lake), &state, &[]);
    c.write_stdin(gzip(&data));
    let out = run(c);
    check("gzipped BOM on stdin", &lake, &out, 500);
}

#[test]
fn nan_infinity_and_top_level_arrays_are_named_bad_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let schema = tmp.path().join("schema.json");
    std::fs::write(&schema, r#"[{"name":"id","type":"int64"},{"name":"v","type":"float64"}]"#).unwrap();
    let cases: [(&str, &str, &[&str], &str); 3] = [
        ("nan", r#"{"id":1,"v":NaN}"#, &["nan.ndjson:2", "\"v\"", "NaN"], "inferred"),
        ("inf", r#"{"id":1,"v":-Infinity}"#, &["inf.ndjson:2", "\"v\"", "Infinity"], "schema"),
        ("array", r#"[1,2]"#, &["array.ndjson:2", "expected a JSON object on each line, got an array"], "inferred"),
    ];
    for (name, bad, needles, how) in cases {
        let input = tmp.path().join(format!("{name}.ndjson"));
        write_lines(&input, &[r#"{"id":0,"v":1.5}"#.to_string(), bad.to_string(), r#"{"id":2,"v":2.5}"#.to_string()]);
        let lake = tmp.path().join(format!("lake-{name}"));
        let mut args = vec![];
        if how == "schema" {
            args = vec!["--schema", s(&schema)];
        }
        let out = run(ingest(&[&input], s(&lake), &state, &args));
        assert_eq!(code(&out), 4, "{name}\n{}", show(&out));
        let err = error_line(&out);
        for n in needles {
            assert!(err.contains(n), "{name}: the message must contain {n:?}\n{}", show(&out));
        }
        all_complete(&lake, name);
    }
}

// ------------------------------------------------------------------------------------------------------------
// 6. resume that never duplicates

fn small_line(i: u64) -> String {
    format!(r#"{{"id":{i}}}"#)
}

/// 150,000 lines, line 100,001 bad: the failed run keeps 100,000 rows in five complete files.
fn fail_at_line_100001(tmp: &Path, name: &str, bad: &str) -> (PathBuf, PathBuf, PathBuf) {
    let input = tmp.join(format!("{name}.ndjson"));
    write_file(&input, 150_000, |i| if i == 100_000 { bad.to_string() } else { small_line(i) });
    let lake = tmp.join(format!("lake-{name}"));
    let state = tmp.join(format!("state-{name}"));
    let out = run(ingest(&[&input], s(&lake), &state, &["--max-rows", "20000", "--on-error", "fail"]));
    assert_eq!(code(&out), 4, "{name}\n{}", show(&out));
    assert!(error_line(&out).contains(&format!("{name}.ndjson:100001")), "{name}\n{}", show(&out));
    assert_eq!(all_complete(&lake, name), 5, "{name}: 100,000 rows in files of 20,000");
    let (_, rows) = read_parquet("duckdb", s(&lake), "id", None);
    assert_exactly_once(&rows, 100_000, name);
    (input, lake, state)
}

#[test]
fn fixing_a_bad_line_in_place_and_rerunning_resumes_without_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    // The same byte length (malformed → fixed) and a different one (a string id → a number).
    for (name, bad) in [("same_length", r#"{"id":1000x0}"#), ("other_length", r#"{"id":"100000"}"#)] {
        let (input, lake, state) = fail_at_line_100001(tmp.path(), name, bad);
        replace_line(&input, 100_001, &small_line(100_000));
        let out = run(ingest(&[&input], s(&lake), &state, &["--max-rows", "20000", "--on-error", "fail"]));
        assert_eq!(code(&out), 0, "{name}: rerun after fixing the line\n{}", show(&out));
        let rep = report(&out);
        assert_eq!(rep["status"], "complete", "{name}");
        assert_eq!(rep["resumed"], true, "{name}");
        assert_eq!(rep["rows"], 50_000, "{name}: the rerun writes only the rows after the resume point");
        all_complete(&lake, name);
        let (_, rows) = read_parquet("duckdb", s(&lake), "id", None);
        assert_exactly_once(&rows, 150_000, name);
    }
}

#[test]
fn an_input_that_grew_after_a_complete_run_ingests_only_the_new_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("growing.ndjson");
    write_file(&input, 1000, small_line);
    let lake = tmp.path().join("lake");
    let state = tmp.path().join("state");
    let args = ["--max-rows", "400"];
    let out = run(ingest(&[&input], s(&lake), &state, &args));
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(report(&out)["rows"], 1000);

    let out = run(ingest(&[&input], s(&lake), &state, &args));
    assert_eq!(code(&out), 0, "unchanged input\n{}", show(&out));
    assert_eq!(report(&out)["status"], "already_ingested");

    let mut f = std::fs::OpenOptions::new().append(true).open(&input).unwrap();
    for i in 1000..1500 {
        writeln!(f, "{}", small_line(i)).unwrap();
    }
    drop(f);
    let out = run(ingest(&[&input], s(&lake), &state, &args));
    assert_eq!(code(&out), 0, "grown input\n{}", show(&out));
    let rep = report(&out);
    assert_eq!(rep["status"], "complete", "{rep}");
    assert_eq!(rep["rows"], 500, "only the appended lines are ingested: {rep}");
    let (_, rows) = read_parquet("duckdb", s(&lake), "id", None);
    assert_exactly_once(&rows, 1500, "after growth");

    let out = run(ingest(&[&input], s(&lake), &state, &args));
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(report(&out)["status"], "already_ingested");
    let (_, rows) = read_parquet("duckdb", s(&lake), "id", None);
    assert_exactly_once(&rows, 1500, "after the last rerun");
}

#[test]
fn an_input_changed_before_the_resume_point_is_refused_without_suggesting_duplication() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("edited.ndjson");
    write_file(&input, 30_000, |i| if i == 20_000 { r#"{"id":"20000"}"#.to_string() } else { small_line(i) });
    let lake = tmp.path().join("lake");
    let state = tmp.path().join("state");
    let args = ["--max-rows", "5000"];
    let out = run(ingest(&[&input], s(&lake), &state, &args));
    assert_eq!(code(&out), 4, "{}", show(&out));
    assert_eq!(all_complete(&lake, "first run"), 4);

    // Line 5 is edited (same length) and the bad line fixed: the rows already written no longer match.
    replace_line(&input, 5, r#"{"id":9}"#);
    replace_line(&input, 20_001, &small_line(20_000));
    let out = run(ingest(&[&input], s(&lake), &state, &args));
    assert_eq!(code(&out), 2, "an input changed before the resume point is refused\n{}", show(&out));
    let no_duplicating_advice = |out: &Output, what: &str| {
        let err = stderr(out);
        assert!(
            !err.contains("pass --restart to ingest them again"),
            "{what}: --restart alone would ingest the 20,000 stored rows a second time\n{err}"
        );
        if err.contains("--force") {
            assert!(
                err.contains("delete") || err.contains("remove"),
                "{what}: suggesting --force without removing the stored files duplicates their rows\n{err}"
            );
        }
        assert!(err.contains("edited.ndjson"), "{what}: the message names the input\n{err}");
    };
    no_duplicating_advice(&out, "edited line 5");
    assert_eq!(all_complete(&lake, "refused rerun"), 4, "the refused rerun wrote nothing");

    // Shorter than what was ingested: refused the same way.
    let full = std::fs::read(&input).unwrap();
    std::fs::write(&input, &full[..1000]).unwrap();
    let out = run(ingest(&[&input], s(&lake), &state, &args));
    assert_eq!(code(&out), 2, "an input cut short before the resume point is refused\n{}", show(&out));
    no_duplicating_advice(&out, "truncated");
    std::fs::write(&input, &full).unwrap();
    assert_eq!(all_complete(&lake, "refused rerun"), 4, "the refused rerun wrote nothing");

    // What the old message suggested must not duplicate either: --restart with the files still there is refused.
    let mut restart = args.to_vec();
    restart.push("--restart");
    let out = run(ingest(&[&input], s(&lake), &state, &restart));
    assert_eq!(code(&out), 2, "--restart with the journal's files present\n{}", show(&out));
    let (_, rows) = read_parquet("duckdb", s(&lake), "id", None);
    assert_exactly_once(&rows, 20_000, "after the refusals");
}

// ------------------------------------------------------------------------------------------------------------
// 7. --restart while the journal's files are present

#[test]
fn restart_is_refused_while_the_journals_files_are_present_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("again.ndjson");
    write_file(&input, 1000, small_line);
    let lake = tmp.path().join("lake");
    let state = tmp.path().join("state");
    let out = run(ingest(&[&input], s(&lake), &state, &["--max-rows", "400"]));
    assert_eq!(code(&out), 0, "{}", show(&out));
    let keys: Vec<String> =
        report(&out)["files"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap().to_string()).collect();
    assert_eq!(keys.len(), 3);

    let out = run(ingest(&[&input], s(&lake), &state, &["--max-rows", "400", "--restart"]));
    assert_eq!(code(&out), 2, "--restart with the files still present\n{}", show(&out));
    let err = stderr(&out);
    for k in &keys {
        assert!(err.contains(k.as_str()), "the refusal names {k}\n{err}");
    }
    assert!(err.contains("--force"), "the refusal says what --force does\n{err}");
    let (_, rows) = read_parquet("duckdb", s(&lake), "id", None);
    assert_exactly_once(&rows, 1000, "after the refused --restart");

    let out = run(ingest(&[&input], s(&lake), &state, &["--max-rows", "400", "--restart", "--force"]));
    assert_eq!(code(&out), 0, "--restart --force\n{}", show(&out));
    let rep = report(&out);
    assert_eq!(rep["status"], "complete", "{rep}");
    assert_eq!(rep["rows"], 1000, "{rep}");

    // Once the files are gone, --restart alone ingests again.
    std::fs::remove_dir_all(&lake).unwrap();
    let out = run(ingest(&[&input], s(&lake), &state, &["--max-rows", "400", "--restart"]));
    assert_eq!(code(&out), 0, "--restart with no files left\n{}", show(&out));
    let (_, rows) = read_parquet("duckdb", s(&lake), "id", None);
    assert_exactly_once(&rows, 1000, "after --restart");
}

// ------------------------------------------------------------------------------------------------------------
// 8. a rerun whose flags change the schema

fn killed(out: &Output) -> bool {
    use std::os::unix::process::ExitStatusExt;
    out.status.signal() == Some(9)
}

/// All files under `lake` have one schema (pyarrow), and DuckDB unions them.
fn one_schema(lake: &Path) -> Value {
    let info = inspect(lake);
    let files = info["files"].as_array().unwrap();
    for f in files {
        assert_eq!(f["arrow"], files[0]["arrow"], "{} and {} differ in schema", f["file"], files[0]["file"]);
    }
    assert!(info["union"].get("error").is_none(), "DuckDB cannot union the files: {}", info["union"]);
    info
}

#[test]
fn a_rerun_with_a_different_explicit_schema_is_refused_naming_the_column() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a.schema.json"), tmp.path().join("b.schema.json"));
    std::fs::write(&a, r#"[{"name":"id","type":"int64"},{"name":"price","type":"int64"}]"#).unwrap();
    std::fs::write(&b, r#"[{"name":"id","type":"int64"},{"name":"price","type":"float64"}]"#).unwrap();
    let input = tmp.path().join("prices.ndjson");
    write_file(&input, 3000, |i| format!(r#"{{"id":{i},"price":{}}}"#, i * 3));
    let lake = tmp.path().join("lake");
    let state = tmp.path().join("state");
    let mut c = ingest(&[&input], s(&lake), &state, &["--schema", s(&a), "--max-rows", "500"]);
    c.env("PRESTIGE_FAILPOINT", "ingest.after_publish:2");
    let out = run(c);
    assert!(killed(&out), "expected the failpoint to kill the first run\n{}", show(&out));
    let before = all_complete(&lake, "killed run");
    assert!(before >= 1);

    let out = run(ingest(&[&input], s(&lake), &state, &["--schema", s(&b), "--max-rows", "500"]));
    assert_ne!(code(&out), 0, "a resume with a different column type is refused\n{}", show(&out));
    assert!(error_line(&out).contains("price"), "the refusal names the column\n{}", show(&out));
    assert_eq!(all_complete(&lake, "refused rerun"), before, "the refused rerun wrote no file");
    one_schema(&lake);

    let out = run(ingest(&[&input], s(&lake), &state, &["--schema", s(&a), "--max-rows", "500"]));
    assert_eq!(code(&out), 0, "{}", show(&out));
    let info = one_schema(&lake);
    assert_eq!(info["union"]["price"], "BIGINT");
    let (_, rows) = read_parquet("duckdb", s(&lake), "id", None);
    assert_exactly_once(&rows, 3000, "after the resume");
}

#[test]
fn an_inferred_rerun_with_other_flags_reuses_the_journals_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("objs.ndjson");
    // With --infer-rows 10, `o` is always {} in the sample → json; a sample of 1000 would make it struct<x>.
    write_file(&input, 3000, |i| if i < 10 { format!(r#"{{"id":{i},"o":{{}}}}"#) } else { format!(r#"{{"id":{i},"o":{{"x":{i}}}}}"#) });
    let lake = tmp.path().join("lake");
    let state = tmp.path().join("state");
    let mut c = ingest(&[&input], s(&lake), &state, &["--infer-rows", "10", "--max-rows", "500"]);
    c.env("PRESTIGE_FAILPOINT", "ingest.after_publish:2");
    let out = run(c);
    assert!(killed(&out), "expected the failpoint to kill the first run\n{}", show(&out));
    assert!(all_complete(&lake, "killed run") >= 1);

    let out = run(ingest(&[&input], s(&lake), &state, &["--infer-rows", "1000", "--max-rows", "500"]));
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(report(&out)["resumed"], true);
    let info = one_schema(&lake);
    assert_eq!(info["union"]["o"], "JSON", "the journal's schema (o: json) is kept: {}", info["union"]);
    let (_, rows) = read_parquet("duckdb", s(&lake), "id", None);
    assert_exactly_once(&rows, 3000, "after the resume");
    let o: Value = serde_json::from_str(rows[20]["o"].as_str().unwrap()).unwrap();
    assert_eq!(o, json!({"x": 20}));
    let scan = prestige().args(["scan", s(&lake), "--count", "--format", "json"]).output().unwrap();
    assert_eq!(code(&scan), 0, "scan of the prefix\n{}", show(&scan));
    assert_eq!(report(&scan)["rows"], 3000);
}

// ------------------------------------------------------------------------------------------------------------
// 9. "already ingested" while none of the journal's files are present

#[test]
fn already_ingested_with_every_file_gone_warns() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("gone.ndjson");
    write_file(&input, 100, small_line);
    let lake = tmp.path().join("lake");
    let state = tmp.path().join("state");
    let out = run(ingest(&[&input], s(&lake), &state, &[]));
    assert_eq!(code(&out), 0, "{}", show(&out));
    // Unchanged and present: no warning.
    let out = run(ingest(&[&input], s(&lake), &state, &[]));
    assert_eq!(report(&out)["status"], "already_ingested");
    assert!(!stderr(&out).to_lowercase().contains("warn"), "no warning while the files are there\n{}", show(&out));

    std::fs::remove_dir_all(&lake).unwrap();
    let out = run(ingest(&[&input], s(&lake), &state, &[]));
    assert_eq!(code(&out), 0, "{}", show(&out));
    let err = stderr(&out).to_lowercase();
    assert!(
        err.contains("warn")
            && ["missing", "not present", "none of", "no longer", "not found", "deleted", "gone"].iter().any(|w| err.contains(w)),
        "a warning says the journal's files are not at the destination\n{}",
        show(&out)
    );
}

// ------------------------------------------------------------------------------------------------------------
// 10. --max-line-bytes is exact

#[test]
fn max_line_bytes_is_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    // A line of exactly `len` bytes (without its newline).
    let line_of = |id: u64, len: usize| -> String {
        let head = format!(r#"{{"id":{id},"s":""#);
        let fill = len - head.len() - 2;
        format!("{head}{}\"}}", "x".repeat(fill))
    };
    for (name, len, ok) in [("exact", 100usize, true), ("over", 101, false), ("huge", 2_000_000, false)] {
        let input = tmp.path().join(format!("{name}.ndjson"));
        let lines = [line_of(0, 40), line_of(1, len), line_of(2, 40)];
        assert_eq!(lines[1].len(), len);
        write_lines(&input, &lines);
        let lake = tmp.path().join(format!("lake-{name}"));
        let out = run(ingest(&[&input], s(&lake), &state, &["--max-line-bytes", "100"]));
        if ok {
            assert_eq!(code(&out), 0, "{name}: a line of exactly 100 bytes passes\n{}", show(&out));
            assert_eq!(report(&out)["rows"], 3);
        } else {
            assert_eq!(code(&out), 4, "{name}: a line of {len} bytes fails\n{}", show(&out));
            assert!(error_line(&out).contains(&format!("{name}.ndjson:2")), "{name}: names the line\n{}", show(&out));
            all_complete(&lake, name);
        }
    }
}

// ------------------------------------------------------------------------------------------------------------
// 11. skip / dead-letter accounting

#[test]
fn skip_or_dead_letter_with_no_good_line_fails_with_the_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let schema = tmp.path().join("schema.json");
    std::fs::write(&schema, r#"[{"name":"id","type":"int64"}]"#).unwrap();
    let input = tmp.path().join("allbad.ndjson");
    write_file(&input, 7, |i| format!(r#"{{"id":"s{i}"}}"#));
    let dead = tmp.path().join("dead.ndjson");
    for (what, extra) in [("skip", vec!["--on-error", "skip"]), ("dead-letter", vec!["--dead-letter", s(&dead)])] {
        let lake = tmp.path().join(format!("lake-{what}"));
        let mut args = vec!["--schema", s(&schema)];
        args.extend(extra);
        let out = run(ingest(&[&input], s(&lake), &state, &args));
        assert_eq!(code(&out), 4, "{what}: no good line at all\n{}", show(&out));
        assert!(has_count(&error_line(&out), 7), "{what}: the message gives the count of bad lines (7)\n{}", show(&out));
        assert!(parquet_files(&lake).is_empty(), "{what}");
    }
    let dead_lines = std::fs::read_to_string(&dead).unwrap();
    assert_eq!(dead_lines.lines().count(), 7, "every bad line is dead-lettered");
}

#[test]
fn skipped_lines_are_counted_on_stderr_and_max_bad_lines_stops_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let schema = tmp.path().join("schema.json");
    std::fs::write(&schema, r#"[{"name":"id","type":"int64"}]"#).unwrap();
    let input = tmp.path().join("somebad.ndjson");
    // 20 lines, the last 3 bad (15%).
    write_file(&input, 20, |i| if i >= 17 { format!(r#"{{"id":"s{i}"}}"#) } else { small_line(i) });
    let sch = s(&schema).to_string();
    let go = |name: &str, extra: &[&str]| -> (PathBuf, Output) {
        let lake = tmp.path().join(format!("lake-{name}"));
        let mut args = vec!["--schema", sch.as_str(), "--on-error", "skip"];
        args.extend_from_slice(extra);
        (lake.clone(), run(ingest(&[&input], s(&lake), &state, &args)))
    };

    let (lake, out) = go("plain", &[]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(report(&out)["bad_lines_skipped"], 3);
    let counted = stderr(&out).lines().any(|l| l.to_lowercase().contains("skip") && has_count(l, 3));
    assert!(counted, "the skip count is printed on stderr\n{}", show(&out));
    let (_, rows) = read_parquet("duckdb", s(&lake), "id", None);
    assert_exactly_once(&rows, 17, "plain skip");

    for (name, limit, ok) in [("n2", "2", false), ("n3", "3", true), ("p10", "10%", false), ("p20", "20%", true)] {
        let (_, out) = go(name, &["--max-bad-lines", limit]);
        if ok {
            assert_eq!(code(&out), 0, "--max-bad-lines {limit} with 3 of 20 bad\n{}", show(&out));
            assert_eq!(report(&out)["bad_lines_skipped"], 3);
        } else {
            assert_eq!(code(&out), 4, "--max-bad-lines {limit} with 3 of 20 bad is exceeded\n{}", show(&out));
        }
    }
    // After a stop at the limit, a rerun with a higher one writes no row twice.
    let (lake, out) = go("n2", &["--max-bad-lines", "5"]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let (_, rows) = read_parquet("duckdb", s(&lake), "id", None);
    assert_exactly_once(&rows, 17, "rerun after --max-bad-lines was exceeded");
}

/// `-v` says what ingest is doing: the inputs, the inferred schema and every file it wrote; the human summary of
/// a rerun of a complete run never suggests `--restart` (which would write the rows a second time).
#[test]
fn verbose_logs_progress_and_a_complete_rerun_suggests_nothing_that_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("events.ndjson");
    write_file(&input, 3000, small_line);
    let lake = tmp.path().join("lake");
    let state = tmp.path().join("state");
    let mut c = ingest(&[&input], s(&lake), &state, &["--max-rows", "1000"]);
    c.arg("-v");
    let out = run(c);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("ingesting 1 input(s) into"), "{err}");
    assert!(err.contains("inferred the schema from"), "{err}");
    let written: Vec<&str> = err.lines().filter(|l| l.contains("wrote ") && l.contains(".parquet")).collect();
    assert_eq!(written.len(), 3, "one line per written file:\n{err}");
    let files = all_complete(&lake, "verbose");
    assert_eq!(files, 3);

    // The same command again, with the human output: nothing to do, and no hint at --restart.
    let out = prestige()
        .args(["ingest", s(&input), "--to", s(&lake), "--state-dir", s(&state), "--max-rows", "1000", "--format", "table"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", show(&out));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(text.contains("already ingested"), "{text}");
    assert!(!text.contains("--restart"), "a complete rerun must not suggest --restart:\n{text}");
}
