//! Differential: random NDJSON documents ingested and read back with pyarrow/DuckDB (issue 9 §5a).
//!
//! `py/gen_ndjson_cases.py` writes seeded random cases (and a list of named corner cases); this test feeds each
//! one to `prestige ingest` — from a file or stdin, plain, gzip or zstd, with the inferred schema and with an
//! explicit schema file, `--on-error fail` and `skip`, a rerun after every failed file run — and
//! `py/ndjson_roundtrip.py` checks every outcome against `py/ndjson_oracle.py`, an executable model of the
//! spec (exit codes, refusals, file:line, the prefix before a bad line, the good lines with skip, the inferred
//! Parquet schema, and every value read back with pyarrow, a subset also with DuckDB).
//!
//! Environment: `PRESTIGE_DIFF_SEED` (default 20260917), `PRESTIGE_DIFF_CASES` (default 500 random cases).
//! On failure the work directory is kept under `CARGO_TARGET_TMPDIR`; every failing case has a `repro.sh`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::common::*;

const DEFAULT_SEED: u64 = 20260917;
const DEFAULT_CASES: usize = 500;
/// One process per core at most: the machine is shared.
const WORKERS: usize = 2;
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

fn py_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/py")
}

fn env_or<T: std::str::FromStr>(var: &str, default: T) -> T {
    match std::env::var(var) {
        Ok(v) => v.parse().unwrap_or_else(|_| panic!("{var}={v:?} is not valid")),
        Err(_) => default,
    }
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary with `args`, feeding `stdin`; a run past RUN_TIMEOUT is killed and reported as code -9.
fn run_prestige(args: &[String], state: &str, stdin: Option<&[u8]>) -> Outcome {
    let mut cmd = prestige_std();
    cmd.args(args)
        .env("PRESTIGE_STATE_DIR", state)
        .env("RUST_BACKTRACE", "0")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn prestige");
    let feeder = stdin.map(|data| {
        let mut pipe = child.stdin.take().unwrap();
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data); // the process may stop reading early (refusal): fine
        })
    });
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out_pipe.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err_pipe.read_to_end(&mut s);
        s
    });
    let deadline = Instant::now() + RUN_TIMEOUT;
    let code = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break -9;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    if let Some(f) = feeder {
        let _ = f.join();
    }
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap()).into_owned();
    let mut stderr = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
    if code == -9 {
        stderr.push_str(&format!("\n[differential_ingest: killed after {RUN_TIMEOUT:?}]"));
    }
    Outcome { code, stdout, stderr }
}

fn outcome_json(o: &Outcome) -> Value {
    json!({"code": o.code, "stdout": o.stdout, "stderr": o.stderr})
}

fn compress(kind: &str, data: &[u8]) -> Vec<u8> {
    match kind {
        "none" => data.to_vec(),
        "gzip" => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(data).unwrap();
            enc.finish().unwrap()
        }
        "zstd" => zstd::encode_all(data, 3).unwrap(),
        other => panic!("unknown compression {other}"),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    let Ok(rd) = std::fs::read_dir(from) else { return };
    std::fs::create_dir_all(to).unwrap();
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect()
}

/// Prepares the input of one case and makes all its runs; returns {run name: outcome}.
fn run_case(case: &Value) -> Value {
    let raw = std::fs::read(case["raw"].as_str().unwrap()).unwrap();
    let data = compress(case["compress"].as_str().unwrap(), &raw);
    let stdin = match case["input"].as_str() {
        Some(path) => {
            std::fs::write(path, &data).unwrap();
            None
        }
        None => Some(data),
    };
    let mut results = Map::new();
    for run in case["runs"].as_array().unwrap() {
        let args = strs(&run["args"]);
        let state = run["state"].as_str().unwrap();
        let lake = PathBuf::from(run["lake"].as_str().unwrap());
        let first = run_prestige(&args, state, stdin.as_deref());
        let mut r = outcome_json(&first);
        if run["rerun"].as_bool().unwrap() && first.code != 0 {
            // Keep what the first run left, then run the same command again.
            let snapshot = PathBuf::from(format!("{}.first", lake.display()));
            copy_dir(&lake, &snapshot);
            r["lake_first"] = json!(snapshot.to_str().unwrap());
            let again = run_prestige(&args, state, stdin.as_deref());
            r["rerun"] = outcome_json(&again);
        }
        results.insert(run["name"].as_str().unwrap().to_string(), r);
    }
    Value::Object(results)
}

/// Generates cases (`extra` arguments to the generator), runs them all and checks them; panics with the list
/// of mismatches.
fn differential(label: &str, gen_args: &[String]) {
    let started = Instant::now();
    let seed: u64 = env_or("PRESTIGE_DIFF_SEED", DEFAULT_SEED);
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("differential_ingest");
    std::fs::create_dir_all(&base).unwrap();
    let work = tempfile::Builder::new().prefix(&format!("{label}-seed{seed}-")).tempdir_in(&base).unwrap();
    let dir = work.path();
    let bin = assert_cmd::cargo::cargo_bin("prestige");

    let generator = std::process::Command::new(python())
        .arg(py_dir().join("gen_ndjson_cases.py"))
        .args(["--seed", &seed.to_string(), "--out", dir.to_str().unwrap(), "--bin", bin.to_str().unwrap()])
        .args(gen_args)
        .output()
        .expect("run the generator");
    assert!(generator.status.success(), "generator failed:\n{}", String::from_utf8_lossy(&generator.stderr));
    let cases: Vec<Value> = serde_json::from_slice(&std::fs::read(dir.join("cases.json")).unwrap()).unwrap();
    assert!(!cases.is_empty());
    let generated = started.elapsed();

    // Run the cases on WORKERS threads.
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Map::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let r = run_case(case);
                    results.lock().unwrap().insert(case["id"].as_str().unwrap().to_string(), r);
                }
            });
        }
    });
    let results = Value::Object(results.into_inner().unwrap());
    std::fs::write(dir.join("results.json"), serde_json::to_vec(&results).unwrap()).unwrap();
    let ran = started.elapsed();

    let check = std::process::Command::new(python())
        .arg(py_dir().join("ndjson_roundtrip.py"))
        .arg(dir.join("cases.json"))
        .arg(dir.join("results.json"))
        .output()
        .expect("run the checker");
    assert!(check.status.success(), "checker failed:\n{}", String::from_utf8_lossy(&check.stderr));
    let verdict: Value = serde_json::from_slice(&check.stdout).expect("checker printed JSON");
    let runs = verdict["runs"].as_u64().unwrap();
    let expected_runs: usize = cases.iter().map(|c| c["runs"].as_array().unwrap().len()).sum();
    assert_eq!(runs as usize, expected_runs, "the checker looked at every run");
    eprintln!(
        "differential_ingest {label}: seed {seed}, {} cases, {runs} runs ({} also read with DuckDB), outcomes {}; \
         generate {:.1}s, ingest {:.1}s, check {:.1}s",
        cases.len(),
        verdict["duckdb_runs"],
        verdict["outcomes"],
        generated.as_secs_f64(),
        (ran - generated).as_secs_f64(),
        (started.elapsed() - ran).as_secs_f64()
    );

    let failures = verdict["failures"].as_array().unwrap();
    if failures.is_empty() {
        return;
    }
    let kept = work.keep();
    std::fs::write(kept.join("failures.json"), serde_json::to_vec_pretty(failures).unwrap()).unwrap();
    let mut by_rule: std::collections::BTreeMap<String, Vec<&Value>> = Default::default();
    for f in failures {
        by_rule.entry(f["rule"].as_str().unwrap().to_string()).or_default().push(f);
    }
    let mut msg = format!(
        "{} mismatches in {} of {runs} runs (seed {seed}; rerun with PRESTIGE_DIFF_SEED={seed}); all cases kept in {}, \
         full list in {}\n",
        failures.len(),
        failures.iter().map(|f| (f["case"].as_str(), f["run"].as_str())).collect::<std::collections::BTreeSet<_>>().len(),
        kept.display(),
        kept.join("failures.json").display()
    );
    for (rule, fs) in &by_rule {
        msg.push_str(&format!("\n== {rule}: {} runs\n", fs.len()));
        for f in fs.iter().take(6) {
            let detail: String = f["detail"].as_str().unwrap().chars().take(400).collect();
            msg.push_str(&format!(
                "  {} {} [{}]\n    {}\n    reproducer: {}\n",
                f["case"].as_str().unwrap(),
                f["run"].as_str().unwrap(),
                strs(&f["notes"]).join("; "),
                detail.replace('\n', "\n    "),
                f["repro"].as_str().unwrap()
            ));
        }
        if fs.len() > 6 {
            msg.push_str(&format!("  ... and {} more\n", fs.len() - 6));
        }
    }
    panic!("{msg}");
}

/// The named corners of the spec (uint64, decimal(38,0), -0, 2^53, always-{} → json, BOM, gzip/zstd on stdin,
/// refusals, post-sample bad lines, hard floats): each ingested every way and checked.
#[test]
fn named_corner_cases_round_trip() {
    differential("fixed", &["--fixed".to_string(), "--count".to_string(), "0".to_string()]);
}

/// Hundreds of seeded random documents (nested, empty, missing, conflicting, big numbers, unicode, CRLF, BOM,
/// compressed, stdin) ingested every way and checked value by value.
#[test]
fn random_documents_round_trip() {
    let count: usize = env_or("PRESTIGE_DIFF_CASES", DEFAULT_CASES);
    differential("random", &["--count".to_string(), count.to_string()]);
}
