//! Bad input never crashes and never loses data silently: each case gets its documented exit code and a
//! message naming the file / line / key, and no footerless file becomes visible.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::common::*;

const SCHEMA: &str = r#"[{"name":"id","type":"int64","nullable":false},{"name":"name","type":"string"}]"#;

struct Case {
    code: i32,
    stderr: String,
}

fn run(tmp: &Path, args: &[&str], stdin: Option<Vec<u8>>, envs: Vec<(&'static str, String)>) -> Case {
    let mut c = prestige();
    c.arg("ingest").args(args).env("PRESTIGE_STATE_DIR", tmp.join("state")).envs(envs);
    if let Some(s) = stdin {
        c.write_stdin(s);
    }
    let out = c.output().unwrap();
    Case { code: out.status.code().unwrap_or(-1), stderr: String::from_utf8_lossy(&out.stderr).into_owned() }
}

/// Every visible Parquet file under `dir` is complete.
fn all_complete(dir: &Path) {
    for f in parquet_files(dir) {
        assert!(has_footer(&std::fs::read(&f).unwrap()), "footerless file visible: {}", f.display());
    }
}

fn setup(tmp: &Path) -> (String, String) {
    let schema = tmp.join("schema.json");
    std::fs::write(&schema, SCHEMA).unwrap();
    (schema.to_str().unwrap().to_string(), tmp.join("lake").to_str().unwrap().to_string())
}

fn file_with(tmp: &Path, name: &str, lines: &[&[u8]]) -> String {
    let p = tmp.join(name);
    let mut f = std::fs::File::create(&p).unwrap();
    for l in lines {
        f.write_all(l).unwrap();
        f.write_all(b"\n").unwrap();
    }
    p.to_str().unwrap().to_string()
}

#[test]
fn malformed_json_names_file_line_and_snippet() {
    let tmp = tempfile::tempdir().unwrap();
    let (schema, lake) = setup(tmp.path());
    let f = file_with(tmp.path(), "broken.ndjson", &[br#"{"id":1,"name":"a"}"#, br#"{"id":2,"name":"b""#, br#"{"id":3}"#]);
    let c = run(tmp.path(), &[&f, "--to", &lake, "--schema", &schema], None, vec![]);
    assert_eq!(c.code, 4, "{}", c.stderr);
    assert!(c.stderr.contains("broken.ndjson:2:"), "{}", c.stderr);
    assert!(c.stderr.contains(r#"{\"id\":2"#), "snippet missing: {}", c.stderr);
    all_complete(Path::new(&lake));
    // Rows before the bad line were kept, in complete files.
    let (_, rows) = read_parquet("pyarrow", &lake, "id", None);
    assert_eq!(rows.len(), 1);
}

#[test]
fn wrong_type_names_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let (schema, lake) = setup(tmp.path());
    let f = file_with(tmp.path(), "types.ndjson", &[br#"{"id":"7","name":"a"}"#]);
    let c = run(tmp.path(), &[&f, "--to", &lake, "--schema", &schema], None, vec![]);
    assert_eq!(c.code, 4, "{}", c.stderr);
    assert!(c.stderr.contains("types.ndjson:1:") && c.stderr.contains("\"id\""), "{}", c.stderr);
    assert!(c.stderr.contains("expected int64, got string"), "{}", c.stderr);
    let f = file_with(tmp.path(), "float.ndjson", &[br#"{"id":1.5}"#]);
    let c = run(tmp.path(), &[&f, "--to", &lake, "--schema", &schema], None, vec![]);
    assert_eq!(c.code, 4, "a float must not be truncated into an int column: {}", c.stderr);
    assert!(parquet_files(Path::new(&lake)).is_empty());
}

#[test]
fn unknown_key_with_explicit_schema_names_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let (schema, lake) = setup(tmp.path());
    let f = file_with(tmp.path(), "extra.ndjson", &[br#"{"id":1,"name":"a","colour":"red"}"#]);
    let c = run(tmp.path(), &[&f, "--to", &lake, "--schema", &schema], None, vec![]);
    assert_eq!(c.code, 4, "{}", c.stderr);
    assert!(c.stderr.contains("extra.ndjson:1:") && c.stderr.contains("unknown key \"colour\""), "{}", c.stderr);
    assert!(parquet_files(Path::new(&lake)).is_empty());
}

#[test]
fn invalid_utf8_names_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (schema, lake) = setup(tmp.path());
    let f = file_with(tmp.path(), "latin1.ndjson", &[br#"{"id":1,"name":"ok"}"#, b"{\"id\":2,\"name\":\"caf\xe9\"}"]);
    let c = run(tmp.path(), &[&f, "--to", &lake, "--schema", &schema], None, vec![]);
    assert_eq!(c.code, 4, "{}", c.stderr);
    assert!(c.stderr.contains("latin1.ndjson:2:"), "{}", c.stderr);
    all_complete(Path::new(&lake));
}

#[test]
fn empty_input_writes_nothing_and_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, lake) = setup(tmp.path());
    let f = file_with(tmp.path(), "empty.ndjson", &[]);
    std::fs::write(&f, b"").unwrap();
    let out = prestige()
        .args(["ingest", &f, "--to", &lake, "--format", "json"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let rep = report(&out);
    assert_eq!(rep["rows"], 0);
    assert_eq!(rep["files_written"], 0);
    let out = prestige()
        .args(["ingest", "--to", &lake, "--format", "json"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .write_stdin("\n\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(report(&out)["rows"], 0);
    assert!(parquet_files(Path::new(&lake)).is_empty());
}

#[test]
fn ten_mib_line_loads_and_a_line_limit_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (schema, lake) = setup(tmp.path());
    let big = json!({"id": 2, "name": "y".repeat(10 << 20)}).to_string();
    let f = file_with(tmp.path(), "big.ndjson", &[br#"{"id":1,"name":"a"}"#, big.as_bytes(), br#"{"id":3}"#]);
    let c = run(tmp.path(), &[&f, "--to", &lake, "--schema", &schema], None, vec![]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    let (_, rows) = read_parquet("pyarrow", &lake, "id", None);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1]["name"].as_str().unwrap().len(), 10 << 20);

    let lake2 = tmp.path().join("lake2");
    let c = run(
        tmp.path(),
        &[&f, "--to", lake2.to_str().unwrap(), "--schema", &schema, "--max-line-bytes", "1MiB", "--restart"],
        None,
        vec![],
    );
    assert_eq!(c.code, 4, "{}", c.stderr);
    assert!(c.stderr.contains("big.ndjson:2:") && c.stderr.contains("--max-line-bytes"), "{}", c.stderr);
    all_complete(&lake2);
}

#[test]
fn missing_bucket_and_wrong_credentials_are_storage_errors() {
    let s3 = shared_s3();
    let tmp = tempfile::tempdir().unwrap();
    let f = file_with(tmp.path(), "in.ndjson", &[br#"{"id":1}"#]);
    let c = run(tmp.path(), &[&f, "--to", "s3://no-such-bucket-prestige/x"], None, s3.envs());
    assert_eq!(c.code, 5, "{}", c.stderr);
    assert!(c.stderr.contains("s3://no-such-bucket-prestige") && c.stderr.contains("does not exist"), "{}", c.stderr);

    let bucket = s3.bucket("creds");
    let mut envs = s3.envs();
    envs.retain(|(k, _)| *k != "AWS_SECRET_ACCESS_KEY");
    envs.push(("AWS_SECRET_ACCESS_KEY", "definitely-wrong-secret".into()));
    let c = run(tmp.path(), &[&f, "--to", &format!("s3://{bucket}/x")], None, envs);
    assert_eq!(c.code, 5, "{}", c.stderr);
    assert!(c.stderr.contains(&format!("s3://{bucket}")) && c.stderr.contains("access denied"), "{}", c.stderr);
    assert!(!c.stderr.contains("definitely-wrong-secret"), "the secret leaked: {}", c.stderr);
    assert!(s3.list(&bucket, "").is_empty());
}

#[test]
fn unwritable_destination_names_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let f = file_with(tmp.path(), "in.ndjson", &[br#"{"id":1}"#]);
    // A directory below a regular file cannot be created, even by root.
    let blocker = tmp.path().join("blocker");
    std::fs::write(&blocker, b"").unwrap();
    let dest = blocker.join("lake");
    let c = run(tmp.path(), &[&f, "--to", dest.to_str().unwrap()], None, vec![]);
    assert_eq!(c.code, 5, "{}", c.stderr);
    assert!(c.stderr.contains(dest.to_str().unwrap()), "{}", c.stderr);
}

#[test]
fn bad_flags_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let lake = tmp.path().join("lake");
    let lake = lake.to_str().unwrap();
    for (args, needle) in [
        (vec!["--compression", "brotli"], "unsupported compression"),
        (vec!["--compression", "zstd:99"], "compression level"),
        (vec!["--max-bytes", "12 parsecs"], "invalid size"),
        (vec!["--max-age", "soon"], "invalid duration"),
        (vec!["--max-rows", "0"], "max-rows"),
        (vec!["--on-error", "dead-letter"], "--dead-letter"),
    ] {
        let mut all = vec!["--to", lake];
        all.extend(args.iter().copied());
        let c = run(tmp.path(), &all, Some(b"{}\n".to_vec()), vec![]);
        assert_eq!(c.code, 2, "{args:?}: {}", c.stderr);
        assert!(c.stderr.contains(needle), "{args:?}: {}", c.stderr);
    }
    let bad_schema = tmp.path().join("bad.schema.json");
    std::fs::write(&bad_schema, r#"{"fields":[{"name":"a","type":"int65"}]}"#).unwrap();
    let c = run(tmp.path(), &["--to", lake, "--schema", bad_schema.to_str().unwrap()], Some(b"{}\n".to_vec()), vec![]);
    assert_eq!(c.code, 2, "{}", c.stderr);
    assert!(c.stderr.contains("bad.schema.json") && c.stderr.contains("int65"), "{}", c.stderr);
    assert!(!Path::new(lake).exists() || parquet_files(Path::new(lake)).is_empty());
}

#[test]
fn truncated_gzip_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, lake) = setup(tmp.path());
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..20000 {
        writeln!(enc, "{}", json!({"id": i, "name": format!("row {i}")})).unwrap();
    }
    let gz = enc.finish().unwrap();
    let p = tmp.path().join("cut.ndjson.gz");
    std::fs::write(&p, &gz[..gz.len() / 2]).unwrap();
    let c = run(tmp.path(), &[p.to_str().unwrap(), "--to", &lake], None, vec![]);
    assert_eq!(c.code, 4, "{}", c.stderr);
    assert!(c.stderr.contains("cut.ndjson.gz"), "{}", c.stderr);
    all_complete(Path::new(&lake));
}

#[test]
fn missing_input_file_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, lake) = setup(tmp.path());
    let missing = tmp.path().join("nope.ndjson");
    let c = run(tmp.path(), &[missing.to_str().unwrap(), "--to", &lake], None, vec![]);
    assert_eq!(c.code, 5, "{}", c.stderr);
    assert!(c.stderr.contains("nope.ndjson"), "{}", c.stderr);
}
