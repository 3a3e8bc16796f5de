//! `prestige ingest`: interop with pyarrow and DuckDB, rotation, inference, compression, policies, resume.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;

pub const INTEROP_SCHEMA: &str = r#"{"fields": [
  {"name": "id", "type": "int64", "nullable": false},
  {"name": "i8", "type": "int8"},
  {"name": "i16", "type": "int16"},
  {"name": "i32", "type": "int32"},
  {"name": "u32", "type": "uint32"},
  {"name": "f32", "type": "float32"},
  {"name": "f64", "type": "float64"},
  {"name": "flag", "type": "bool"},
  {"name": "name", "type": "string"},
  {"name": "ts", "type": "timestamp(us, UTC)"},
  {"name": "ts_ms", "type": "timestamp(ms)"},
  {"name": "day", "type": "date"},
  {"name": "price", "type": "decimal(10, 2)"},
  {"name": "tags", "type": "list<string>"},
  {"name": "nums", "type": "list<int64>"},
  {"name": "user", "type": "struct<uid: int64, handle: string, tags: list<string>>"}
]}"#;

const NAMES: [&str; 6] = ["ana", "Björk Guðmundsdóttir", "日本語テキスト", "emoji 🎉✓", "quote \" and \\ slash", "tab\tnew\nline"];
const OFFSETS: [&str; 5] = ["Z", "+05:30", "-08:00", "+00:00", "+14:00"];

/// Deterministic rows covering every type of the interop schema, with nulls and missing keys.
pub fn interop_rows(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut r = serde_json::Map::new();
            r.insert("id".into(), json!(i as i64));
            let null = |k: usize| i % k == 0;
            r.insert("i8".into(), if null(7) { Value::Null } else { json!((i % 250) as i64 - 125) });
            r.insert("i16".into(), json!((i as i64 * 37) % 30000 - 15000));
            r.insert("i32".into(), json!((i as i64 * 7919) % 2_000_000_000 - 1_000_000_000));
            r.insert("u32".into(), json!((i as u64 * 104729) % 4_000_000_000));
            r.insert("f32".into(), json!((i % 1000) as f64 * 0.25));
            if !null(11) {
                r.insert("f64".into(), json!(i as f64 * 1.000001 - 500.5));
            }
            r.insert("flag".into(), if null(5) { Value::Null } else { json!(i % 2 == 0) });
            r.insert("name".into(), json!(format!("{} #{i}", NAMES[i % NAMES.len()])));
            let secs = 1_700_000_000 + i as i64 * 61;
            let t = chrono::DateTime::from_timestamp(secs, (i as u32 % 1000) * 1_000_000).unwrap();
            let off = OFFSETS[i % OFFSETS.len()];
            let fixed = chrono::FixedOffset::east_opt(match off {
                "+05:30" => 5 * 3600 + 1800,
                "-08:00" => -8 * 3600,
                "+14:00" => 14 * 3600,
                _ => 0,
            })
            .unwrap();
            let local = t.with_timezone(&fixed).format("%Y-%m-%dT%H:%M:%S%.3f").to_string();
            r.insert("ts".into(), json!(format!("{local}{off}")));
            r.insert("ts_ms".into(), if null(13) { Value::Null } else { json!(secs * 1000 + 7) });
            let day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new((i % 2000) as u64);
            r.insert("day".into(), json!(day.format("%Y-%m-%d").to_string()));
            r.insert("price".into(), json!(format!("{}.{:02}", i % 100000, i % 100)));
            r.insert(
                "tags".into(),
                if null(9) { Value::Null } else { json!((0..i % 4).map(|k| format!("t{k}")).collect::<Vec<_>>()) },
            );
            r.insert("nums".into(), json!((0..i % 3).map(|k| (k * i) as i64).collect::<Vec<_>>()));
            r.insert(
                "user".into(),
                if null(17) {
                    Value::Null
                } else {
                    json!({"uid": i * 3, "handle": if i % 4 == 0 { Value::Null } else { json!(format!("@u{i}")) },
                           "tags": ["x", NAMES[i % NAMES.len()]]})
                },
            );
            Value::Object(r)
        })
        .collect()
}

/// What an independent reader must return for a source row: timestamps in epoch µs, nulls for missing keys.
fn expected(row: &Value, columns: &[&str]) -> Value {
    let mut out = serde_json::Map::new();
    for c in columns {
        let v = row.get(*c).cloned().unwrap_or(Value::Null);
        let v = match (*c, &v) {
            ("ts", Value::String(s)) => json!(chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros()),
            ("ts_ms", Value::Number(n)) => json!(n.as_i64().unwrap() * 1000),
            _ => v,
        };
        out.insert(c.to_string(), v);
    }
    Value::Object(out)
}

const COLUMNS: [&str; 16] =
    ["id", "i8", "i16", "i32", "u32", "f32", "f64", "flag", "name", "ts", "ts_ms", "day", "price", "tags", "nums", "user"];

/// Compares reader rows to the source column by column.
pub fn assert_rows_match(engine: &str, got: &[Value], source: &[Value]) {
    assert_eq!(got.len(), source.len(), "{engine}: row count");
    for (g, s) in got.iter().zip(source) {
        let want = expected(s, &COLUMNS);
        for c in COLUMNS {
            let (a, b) = (&g[c], &want[c]);
            let same = match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) if c.starts_with('f') => (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                _ => a == b,
            };
            assert!(same, "{engine}: row id={} column {c}: read {a}, source {b}", s["id"]);
        }
    }
}

fn ingest_file(dir: &Path, rows: &[Value]) -> std::path::PathBuf {
    let p = dir.join("in.ndjson");
    write_lines(&p, &rows.iter().map(|r| r.to_string()).collect::<Vec<_>>());
    p
}

#[test]
fn interop_local_pyarrow_and_duckdb_read_every_value() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = interop_rows(5000);
    let input = ingest_file(tmp.path(), &rows);
    let schema = tmp.path().join("schema.json");
    std::fs::write(&schema, INTEROP_SCHEMA).unwrap();
    let out_dir = tmp.path().join("lake");
    let out = prestige()
        .args(["ingest", input.to_str().unwrap(), "--to", out_dir.to_str().unwrap(), "--prefix", "events"])
        .args(["--schema", schema.to_str().unwrap(), "--max-rows", "1500", "--format", "json"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rep = report(&out);
    assert_eq!(rep["rows"], 5000);
    assert_eq!(rep["files_written"], 4);
    for engine in ["pyarrow", "duckdb"] {
        let (files, got) = read_parquet(engine, out_dir.to_str().unwrap(), "id", None);
        assert_eq!(files, 4);
        assert_rows_match(engine, &got, &rows);
    }
}

#[test]
fn interop_s3_from_stdin_pyarrow_and_duckdb_read_every_value() {
    let s3 = shared_s3();
    let bucket = s3.bucket("interop");
    let tmp = tempfile::tempdir().unwrap();
    let rows = interop_rows(3000);
    let schema = tmp.path().join("schema.json");
    std::fs::write(&schema, INTEROP_SCHEMA).unwrap();
    let mut input = rows.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("\n");
    input.push('\n');
    let dest = format!("s3://{bucket}/raw/events");
    let out = prestige()
        .args(["ingest", "--to", &dest, "--prefix", "ev", "--schema", schema.to_str().unwrap(), "--max-rows", "1000"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .envs(s3.envs())
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rep = report(&out);
    assert_eq!(rep["files_written"], 3);
    let keys = s3.list(&bucket, "raw/events/");
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(keys.iter().all(|(k, _)| k.starts_with("raw/events/ev.") && k.ends_with(".parquet")));
    for engine in ["pyarrow", "duckdb"] {
        let (files, got) = read_parquet(engine, &dest, "id", Some(s3));
        assert_eq!(files, 3);
        assert_rows_match(engine, &got, &rows);
    }
    // Staged copies are removed once their upload is verified.
    let staging = tmp.path().join("state/staging");
    let left: Vec<_> = walkdir(&staging);
    assert!(left.is_empty(), "staging not cleaned: {left:?}");
}

fn walkdir(d: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(d) {
        for e in rd.flatten() {
            if e.path().is_dir() {
                out.extend(walkdir(&e.path()));
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

fn simple_lines(n: usize, pad: usize) -> Vec<String> {
    (0..n)
        .map(|i| json!({"id": i, "msg": format!("{}-{}", "x".repeat(pad), i * 7919 % 1000003), "v": (i as f64) * 0.5}).to_string())
        .collect()
}

#[test]
fn rotation_by_rows_is_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.ndjson");
    write_lines(&input, &simple_lines(10_000, 10));
    let lake = tmp.path().join("lake");
    let out = prestige()
        .args(["ingest", input.to_str().unwrap(), "--to", lake.to_str().unwrap(), "--max-rows", "3000", "--format", "json"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rep = report(&out);
    let counts: Vec<u64> = rep["files"].as_array().unwrap().iter().map(|f| f["rows"].as_u64().unwrap()).collect();
    assert_eq!(counts, vec![3000, 3000, 3000, 1000]);
    // The files' own footers agree (pyarrow reads each file).
    let files = parquet_files(&lake);
    assert_eq!(files.len(), 4);
    let mut per_file: Vec<usize> = files
        .iter()
        .map(|f| read_parquet("pyarrow", f.to_str().unwrap(), "id", None).1.len())
        .collect();
    per_file.sort();
    assert_eq!(per_file, vec![1000, 3000, 3000, 3000]);
    // Names: data.{millis}.{writer}-{seq}.parquet with a parseable timestamp.
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        let parts: Vec<&str> = name.split('.').collect();
        assert_eq!(parts[0], "data");
        assert!(parts[1].parse::<i64>().unwrap() > 1_600_000_000_000, "{name}");
        assert_eq!(parts.last(), Some(&"parquet"));
    }
}

#[test]
fn rotation_by_bytes_within_ten_percent() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.ndjson");
    // Poorly compressible text so files need many rows: about 10 MiB of Parquet in all.
    let lines: Vec<String> = (0..120_000u64)
        .map(|i| {
            let h = i.wrapping_mul(0x9E3779B97F4A7C15);
            json!({"id": i, "a": format!("{:016x}{:016x}", h, h.rotate_left(17)), "b": h % 1000}).to_string()
        })
        .collect();
    write_lines(&input, &lines);
    for (target, label) in [(512u64 << 10, "512KiB"), (1 << 20, "1MiB")] {
        let lake = tmp.path().join(format!("lake-{label}"));
        let out = prestige()
            .args(["ingest", input.to_str().unwrap(), "--to", lake.to_str().unwrap(), "--max-bytes", label])
            .env("PRESTIGE_STATE_DIR", tmp.path().join(format!("state-{label}")))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let rep = report(&out);
        let files = rep["files"].as_array().unwrap();
        assert!(files.len() >= 3, "{label}: {} files", files.len());
        let total: u64 = files.iter().map(|f| f["rows"].as_u64().unwrap()).sum();
        assert_eq!(total, 120_000);
        // Every file but the last (by name = sealing order) is within ±10% of the target on disk.
        let paths = parquet_files(&lake);
        for p in &paths[..paths.len() - 1] {
            let size = std::fs::metadata(p).unwrap().len() as f64;
            let ratio = size / target as f64;
            assert!((0.9..=1.1).contains(&ratio), "{label}: {} is {size} bytes ({ratio:.3} of target)", p.display());
        }
    }
}

#[test]
fn rotation_by_age_closes_files_without_new_input() {
    let tmp = tempfile::tempdir().unwrap();
    let lake = tmp.path().join("lake");
    let mut child = prestige_std()
        .args(["ingest", "--to", lake.to_str().unwrap(), "--prefix", "slow", "--max-age", "1s", "--format", "json"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for batch in 0..3 {
        for i in 0..5 {
            writeln!(stdin, "{}", json!({"id": batch * 5 + i, "batch": batch})).unwrap();
        }
        stdin.flush().unwrap();
        // No more input for a while: the open file must be closed by age and appear.
        let deadline = Instant::now() + Duration::from_secs(10);
        while parquet_files(&lake).len() < batch + 1 {
            assert!(Instant::now() < deadline, "batch {batch}: no file appeared while the producer was idle");
            std::thread::sleep(Duration::from_millis(100));
        }
        let files = parquet_files(&lake);
        let (_, rows) = read_parquet("pyarrow", files.last().unwrap().to_str().unwrap(), "id", None);
        assert_eq!(rows.len(), 5, "batch {batch}");
        assert!(rows.iter().all(|r| r["batch"] == batch));
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(report(&out)["rows"], 15);
    assert_eq!(parquet_files(&lake).len(), 3);
}

#[test]
fn inferred_schema_gz_and_zst_inputs_and_rerun_adds_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let lines = simple_lines(4000, 3);
    let first: String = lines[..2500].iter().map(|l| format!("{l}\n")).collect();
    // The second file's last line has no newline: it still counts.
    let second: String = lines[2500..].join("\n");
    let gz = tmp.path().join("a.ndjson.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::default());
    enc.write_all(first.as_bytes()).unwrap();
    enc.finish().unwrap();
    let zst = tmp.path().join("b.ndjson.zst");
    std::fs::write(&zst, zstd::encode_all(second.as_bytes(), 3).unwrap()).unwrap();
    let lake = tmp.path().join("lake");
    let run = || {
        prestige()
            .args(["ingest", gz.to_str().unwrap(), zst.to_str().unwrap(), "--to", lake.to_str().unwrap(), "--format", "json"])
            .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
            .output()
            .unwrap()
    };
    let out = run();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rep = report(&out);
    assert_eq!(rep["rows"], 4000);
    let types: Vec<(String, String)> = rep["schema"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap().into(), f["type"].as_str().unwrap().into()))
        .collect();
    assert_eq!(types, vec![("id".into(), "int64".into()), ("msg".into(), "string".into()), ("v".into(), "float64".into())]);
    let (_, rows) = read_parquet("duckdb", lake.to_str().unwrap(), "id", None);
    let ids: Vec<u64> = rows.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (0..4000).collect::<Vec<_>>());

    // Same inputs again: nothing is added.
    let again = run();
    assert!(again.status.success());
    assert_eq!(report(&again)["status"], "already_ingested");
    assert_eq!(parquet_files(&lake).len(), 1);

    // --restart alone would duplicate the rows still at the destination: refused, naming the file.
    let restart = |force: bool| {
        let mut args = vec!["ingest", gz.to_str().unwrap(), zst.to_str().unwrap(), "--to", lake.to_str().unwrap(), "--restart"];
        if force {
            args.push("--force");
        }
        prestige().args(args).env("PRESTIGE_STATE_DIR", tmp.path().join("state")).output().unwrap()
    };
    let out = restart(false);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let file = parquet_files(&lake)[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(err.contains(&file) && err.contains("--force"), "{err}");
    assert_eq!(parquet_files(&lake).len(), 1);
    // --restart --force ingests them again on purpose.
    let out = restart(true);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(parquet_files(&lake).len(), 2);
}

#[test]
fn skip_and_dead_letter_policies_count_bad_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("mixed.ndjson");
    let mut lines = simple_lines(100, 1);
    lines[10] = "{\"id\": 10, \"msg\": 5, \"v\": 1.0}".into();
    lines[20] = "not json".into();
    lines[30] = "{\"id\": 30, \"msg\": \"x\", \"v\": 1.0, \"extra\": true}".into();
    write_lines(&input, &lines);
    let schema = tmp.path().join("s.json");
    std::fs::write(&schema, r#"[{"name":"id","type":"int64"},{"name":"msg","type":"string"},{"name":"v","type":"float64"}]"#).unwrap();

    let out = prestige()
        .args(["ingest", input.to_str().unwrap(), "--to", tmp.path().join("skip").to_str().unwrap()])
        .args(["--schema", schema.to_str().unwrap(), "--on-error", "skip", "--format", "json"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state1"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rep = report(&out);
    assert_eq!(rep["rows"], 97);
    assert_eq!(rep["bad_lines_skipped"], 3);

    let dl = tmp.path().join("dead/letters.ndjson");
    let out = prestige()
        .args(["ingest", input.to_str().unwrap(), "--to", tmp.path().join("dl").to_str().unwrap()])
        .args(["--schema", schema.to_str().unwrap(), "--dead-letter", dl.to_str().unwrap(), "--format", "json"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state2"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rep = report(&out);
    assert_eq!(rep["rows"], 97);
    assert_eq!(rep["bad_lines_dead_lettered"], 3);
    let dead: Vec<Value> =
        std::fs::read_to_string(&dl).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(dead.iter().map(|d| d["line"].as_u64().unwrap()).collect::<Vec<_>>(), vec![11, 21, 31]);
    assert_eq!(dead[1]["raw"], "not json");
    assert!(dead[0]["error"].as_str().unwrap().contains("msg"), "{}", dead[0]["error"]);
    assert!(dead[2]["error"].as_str().unwrap().contains("extra"), "{}", dead[2]["error"]);
    assert!(dead.iter().all(|d| d["file"].as_str().unwrap().ends_with("mixed.ndjson")));
}

#[test]
fn sigterm_finishes_the_current_file_and_exits_130() {
    let tmp = tempfile::tempdir().unwrap();
    let lake = tmp.path().join("lake");
    let mut child = prestige_std()
        .args(["ingest", "--to", lake.to_str().unwrap(), "--format", "json"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for i in 0..50 {
        writeln!(stdin, "{}", json!({"id": i})).unwrap();
    }
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    let rep = report(&out);
    assert_eq!(rep["status"], "interrupted");
    assert_eq!(rep["rows"], 50);
    let (_, rows) = read_parquet("pyarrow", lake.to_str().unwrap(), "id", None);
    assert_eq!(rows.len(), 50);
}

#[test]
fn help_and_version() {
    let out = prestige().arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("prestige "));
    let out = prestige().args(["ingest", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--to", "--prefix", "--schema", "--max-rows", "--max-bytes", "--max-age", "--on-error", "--state-dir"] {
        assert!(help.contains(flag), "ingest --help lacks {flag}");
    }
    // Secrets from the environment never show in help.
    let out = prestige()
        .args(["ingest", "--help"])
        .env("AWS_ENDPOINT_URL", "http://user:supersecret@host:9000")
        .env("AWS_PROFILE", "secret-profile-name")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(!help.contains("supersecret") && !help.contains("secret-profile-name"));
}

#[test]
fn a_second_run_of_the_same_inputs_waits_its_turn_with_exit_6() {
    let tmp = tempfile::tempdir().unwrap();
    // A named pipe as the input keeps the first run busy (and its journal locked) until we write to it.
    let fifo = tmp.path().join("feed.ndjson");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let lake = tmp.path().join("lake");
    let first = prestige_std()
        .args(["ingest", fifo.to_str().unwrap(), "--to", lake.to_str().unwrap(), "--format", "json"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let second = prestige()
        .args(["ingest", fifo.to_str().unwrap(), "--to", lake.to_str().unwrap()])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(6), "{}", String::from_utf8_lossy(&second.stderr));
    assert!(String::from_utf8_lossy(&second.stderr).contains("another ingest of the same inputs is running"));
    let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    writeln!(w, "{}", json!({"id": 1})).unwrap();
    drop(w);
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(report(&out)["rows"], 1);
}
