//! `prestige compact`: row conservation across stores, target sizes and evolved schemas; prefix isolation and
//! stray keys; plan = run; the lock; kill -9 at every step of the protocol followed by a rerun.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;

/// Ingests `files` small files of `rows` rows each into `dest` under prefix `events` (and one `events_other`).
/// With `evolved`, odd files carry an extra column and a float32 column where even files have float64.
fn seed(dest: &str, tmp: &Path, files: usize, rows: usize, evolved: bool, s3: Option<&S3Server>) -> Vec<Value> {
    let mut all: Vec<Value> = Vec::new();
    let mut starts = Vec::new();
    for f in 0..files {
        let odd = evolved && f % 2 == 1;
        let schema = if odd {
            r#"[{"name":"id","type":"int64"},{"name":"k","type":"int64"},{"name":"ver","type":"int64"},{"name":"v","type":"float32"},{"name":"s","type":"string"},{"name":"extra","type":"string"}]"#
        } else {
            r#"[{"name":"id","type":"int64"},{"name":"k","type":"int64"},{"name":"ver","type":"int64"},{"name":"v","type":"float64"},{"name":"s","type":"string"}]"#
        };
        let sp = tmp.join(format!("schema-{f}.json"));
        std::fs::write(&sp, schema).unwrap();
        starts.push(all.len());
        let mut lines = String::new();
        let mut rows_here = Vec::new();
        for r in 0..rows {
            let id = f * rows + r;
            let mut row = json!({"id": id, "k": id % 997, "ver": id, "v": (id % 1000) as f64 * 0.5,
                                 "s": format!("row {id} {}", "x".repeat(id % 7))});
            if odd {
                row["extra"] = json!(format!("e{id}"));
            }
            rows_here.push(row);
        }
        // Exact copies of the first tenth of the file two before (same schema): duplicates to remove.
        if f >= 2 {
            let copies: Vec<Value> = all[starts[f - 2]..starts[f - 2] + rows / 10].to_vec();
            rows_here.extend(copies);
        }
        for row in rows_here {
            lines.push_str(&row.to_string());
            lines.push('\n');
            all.push(row);
        }
        let mut c = prestige();
        c.args(["ingest", "--to", dest, "--prefix", "events", "--schema", sp.to_str().unwrap()])
            .env("PRESTIGE_STATE_DIR", tmp.join("state"))
            .write_stdin(lines);
        if let Some(s) = s3 {
            c.envs(s.envs());
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::thread::sleep(Duration::from_millis(3)); // distinct millisecond timestamps
    }
    let mut c = prestige();
    c.args(["ingest", "--to", dest, "--prefix", "events_other"]).env("PRESTIGE_STATE_DIR", tmp.join("state"));
    if let Some(s) = s3 {
        c.envs(s.envs());
    }
    assert!(c.write_stdin("{\"id\": -1}\n").output().unwrap().status.success());
    all
}

fn compact(dest: &str, tmp: &Path, args: &[&str], s3: Option<&S3Server>) -> (i32, Value, String) {
    let mut c = prestige();
    c.args(["compact", dest, "--prefix", "events", "--format", "json"]).args(args).env("PRESTIGE_STATE_DIR", tmp.join("state"));
    if let Some(s) = s3 {
        c.envs(s.envs());
    }
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let rep = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), rep, stderr)
}

/// The rows a compaction must leave for `mode` (`none`, `exact`, `key`), in id order.
fn expected(source: &[Value], mode: &str) -> Vec<Value> {
    let mut out: Vec<Value> = match mode {
        "exact" => {
            let mut seen = std::collections::HashSet::new();
            source.iter().filter(|r| seen.insert(r.to_string())).cloned().collect()
        }
        "key" => {
            let mut best: std::collections::BTreeMap<i64, &Value> = Default::default();
            for r in source {
                let k = r["k"].as_i64().unwrap();
                if best.get(&k).is_none_or(|b| r["ver"].as_i64() >= b["ver"].as_i64()) {
                    best.insert(k, r);
                }
            }
            best.into_values().cloned().collect()
        }
        _ => source.to_vec(),
    };
    out.sort_by_key(|r| r["id"].as_i64().unwrap());
    out
}

/// Reads every `events.*.parquet` (not `events_other`) with DuckDB and compares with `want` row by row.
fn assert_exactly(dest: &str, want: &[Value], s3: Option<&S3Server>, evolved: bool) {
    let (_, rows) = read_parquet("duckdb", dest, "id", s3);
    let rows: Vec<&Value> = rows.iter().filter(|r| r["id"].as_i64().unwrap() >= 0).collect();
    assert_eq!(rows.len(), want.len(), "row count");
    for (g, s) in rows.iter().zip(want) {
        for c in ["id", "k", "ver", "s"] {
            assert_eq!(g[c], s[c], "id {} column {c}", s["id"]);
        }
        assert_eq!(g["v"].as_f64(), s["v"].as_f64(), "id {}", s["id"]);
        if evolved {
            assert_eq!(g.get("extra").cloned().unwrap_or(Value::Null), s.get("extra").cloned().unwrap_or(Value::Null));
        }
    }
}

fn data_keys_local(dir: &Path, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!("{prefix}.")) && n.ends_with(".parquet"))
        .collect();
    v.sort();
    v
}

#[test]
fn rows_are_conserved_across_stores_target_sizes_and_schemas() {
    let tmp = tempfile::tempdir().unwrap();
    let s3 = shared_s3();
    for store in ["local", "s3"] {
        for evolved in [false, true] {
            for ((target, label), dedup) in [("64KiB", "tiny"), ("256KiB", "medium"), ("64MiB", "large")]
                .into_iter()
                .flat_map(|t| ["none", "exact", "key"].map(|d| (t, d)))
            {
                let case = format!("{store}-{label}-{dedup}-{}", if evolved { "evolved" } else { "uniform" });
                let work = tmp.path().join(&case);
                std::fs::create_dir_all(&work).unwrap();
                let (dest, srv) = if store == "s3" {
                    (format!("s3://{}/lake", s3.bucket("conserve")), Some(s3))
                } else {
                    (work.join("lake").to_str().unwrap().to_string(), None)
                };
                let source = seed(&dest, &work, 8, 12_000, evolved, srv);
                let mut args = vec!["--target-bytes", target];
                match dedup {
                    "exact" => args.push("--deduplicate"),
                    "key" => args.extend(["--dedup-key", "k", "--order-by", "ver"]),
                    _ => {}
                }
                // Small enough that the larger windows spill their row hashes to disk.
                args.extend(["--dedup-memory", "1MiB"]);
                let want = expected(&source, dedup);
                let (code, rep, err) = compact(&dest, &work, &args, srv);
                assert_eq!(code, 0, "{case}: {err}");
                assert_eq!(rep["status"], "compacted", "{case}");
                assert_eq!(rep["files_processed"], 8, "{case}");
                assert_eq!(rep["records_consolidated"].as_u64(), Some(want.len() as u64), "{case}");
                assert_eq!(
                    rep["duplicate_records_eliminated"].as_u64(),
                    Some((source.len() - want.len()) as u64),
                    "{case}"
                );
                // "tiny" is smaller than one input file.
                let input_bytes = rep["bytes_before"].as_u64().unwrap() / 8;
                assert!(label != "tiny" || input_bytes > parse_target(target), "{case}: inputs of {input_bytes} bytes");
                let outs: Vec<u64> = rep["outputs"].as_array().unwrap().iter().map(|o| o["bytes"].as_u64().unwrap()).collect();
                match (label, dedup) {
                    ("large", _) => assert_eq!(outs.len(), 1, "{case}"),
                    ("tiny", "none" | "exact") => assert!(outs.len() > 8, "{case}: {} outputs", outs.len()),
                    _ => assert!(outs.len() >= 2 || dedup == "key", "{case}"),
                }
                if label != "large" {
                    let t = parse_target(target) as f64;
                    for b in &outs[..outs.len() - 1] {
                        let r = *b as f64 / t;
                        assert!((0.85..=1.15).contains(&r), "{case}: output of {b} bytes is {r:.2} of the target");
                    }
                }
                assert_exactly(&dest, &want, srv, evolved);
                // Originals are gone; only .c outputs remain; events_other is untouched.
                let names: Vec<String> = match srv {
                    Some(s) => {
                        let bucket = dest.trim_start_matches("s3://").split('/').next().unwrap().to_string();
                        s.list(&bucket, "lake/").into_iter().map(|(k, _)| k.trim_start_matches("lake/").to_string()).collect()
                    }
                    None => data_keys_local(Path::new(&dest), "events").into_iter().chain(data_keys_local(Path::new(&dest), "events_other")).collect(),
                };
                let events: Vec<&String> = names.iter().filter(|n| n.starts_with("events.")).collect();
                assert!(events.iter().all(|n| n.ends_with(".c.parquet")), "{case}: {events:?}");
                assert_eq!(names.iter().filter(|n| n.starts_with("events_other.")).count(), 1, "{case}");
                assert!(!names.iter().any(|n| n.contains("compaction")), "{case}: lock or journal left: {names:?}");
            }
        }
    }
}

fn parse_target(t: &str) -> u64 {
    let n: u64 = t.trim_end_matches("KiB").trim_end_matches("MiB").parse().unwrap();
    if t.ends_with("MiB") { n << 20 } else { n << 10 }
}

#[test]
fn prefix_isolation_stray_keys_corrupt_files_and_empty_windows() {
    let tmp = tempfile::tempdir().unwrap();
    let lake = tmp.path().join("lake");
    let dest = lake.to_str().unwrap().to_string();
    let source = seed(&dest, tmp.path(), 4, 500, false, None);
    std::fs::write(lake.join("events.1700000000000.txt"), b"notes").unwrap();
    std::fs::write(lake.join("events.1700000000000.processed"), b"").unwrap();
    std::fs::write(lake.join("events.yesterday.parquet"), b"PAR1").unwrap();
    // A corrupt file that follows the naming pattern, newer than everything else.
    let corrupt = "events.9999999999999.parquet";
    std::fs::write(lake.join(corrupt), b"PAR1 garbage, no footer").unwrap();

    // An empty window does nothing.
    let (code, rep, _) = compact(&dest, tmp.path(), &["--start", "2001-01-01T00:00:00Z", "--end", "2001-01-02T00:00:00Z"], None);
    assert_eq!(code, 0);
    assert_eq!(rep["status"], "nothing_to_do");

    let (code, rep, err) = compact(&dest, tmp.path(), &[], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rep["files_processed"], 4);
    let skipped: Vec<(String, String)> = rep["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["key"].as_str().unwrap().to_string(), s["reason"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(skipped.len(), 4, "{skipped:?}");
    assert!(skipped.iter().any(|(k, r)| k == corrupt && r.contains("unreadable Parquet")), "{skipped:?}");
    assert!(err.contains("events.1700000000000.txt"), "stray keys are warned about: {err}");
    // The corrupt file is kept, the checkpoint stops before it, strays are untouched.
    assert!(lake.join(corrupt).exists());
    assert!(lake.join("events.1700000000000.txt").exists() && lake.join("events.yesterday.parquet").exists());
    let last = rep["last_processed_timestamp_ms"].as_i64().unwrap();
    assert!(last < 9_999_999_999_999 && last > 1_700_000_000_000);
    std::fs::remove_file(lake.join(corrupt)).unwrap();
    std::fs::remove_file(lake.join("events.yesterday.parquet")).unwrap();
    assert_exactly(&dest, &expected(&source, "none"), None, false);
    assert_eq!(data_keys_local(&lake, "events_other").len(), 1);
}

#[test]
fn plan_equals_the_run_and_a_rerun_does_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    for (files, rows, target) in [(3usize, 400usize, "64MiB"), (10, 1000, "24KiB"), (6, 3000, "100KiB")] {
        let work = tmp.path().join(format!("{files}-{rows}"));
        std::fs::create_dir_all(&work).unwrap();
        let lake = work.join("lake");
        let dest = lake.to_str().unwrap().to_string();
        seed(&dest, &work, files, rows, files == 6, None);
        let before = data_keys_local(&lake, "events");
        // The second input also deduplicates, so the plan's duplicate count is checked against the run's.
        let mut args = vec!["--target-bytes", target];
        if files == 10 {
            args.push("--deduplicate");
        }
        let plan_args: Vec<&str> = args.iter().copied().chain(["--plan"]).collect();
        let (code, plan, err) = compact(&dest, &work, &plan_args, None);
        assert_eq!(code, 0, "{err}");
        assert_eq!(plan["status"], "plan");
        assert_eq!(data_keys_local(&lake, "events"), before, "--plan changed files");
        assert!(!std::fs::read_dir(&lake).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains("compaction")));
        let (code, run, err) = compact(&dest, &work, &args, None);
        if files == 10 {
            assert!(run["duplicate_records_eliminated"].as_u64().unwrap() > 0);
        }
        assert_eq!(code, 0, "{err}");
        for f in ["files_processed", "files_created", "records_consolidated", "bytes_before", "bytes_after", "duplicate_records_eliminated", "skipped", "last_processed_timestamp_ms"] {
            assert_eq!(plan[f], run[f], "{files} files: plan and run differ in {f}");
        }
        let planned: Vec<&Value> = plan["outputs"].as_array().unwrap().iter().map(|o| &o["key"]).collect();
        let made: Vec<&Value> = run["outputs"].as_array().unwrap().iter().map(|o| &o["key"]).collect();
        assert_eq!(planned, made);
        let (code, again, _) = compact(&dest, &work, &args, None);
        assert_eq!(code, 0);
        assert_eq!(again["status"], "nothing_to_do");
    }
}

#[test]
fn a_held_lock_stops_a_second_compaction_and_an_expired_one_is_taken_over() {
    let s3 = shared_s3();
    let tmp = tempfile::tempdir().unwrap();
    let bucket = s3.bucket("lock");
    let dest = format!("s3://{bucket}/lake");
    let source = seed(&dest, tmp.path(), 40, 2000, false, Some(s3));
    // Two at once: the first takes the lock, the second exits with the lock code.
    let mut first = prestige_std();
    first.args(["compact", &dest, "--prefix", "events", "--format", "json", "--target-bytes", "64KiB"]);
    s3.apply_env(&mut first);
    let first = first.env("PRESTIGE_STATE_DIR", tmp.path().join("state")).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !s3.list(&bucket, "lake/").iter().any(|(k, _)| k.ends_with("compaction.lock")) {
        assert!(Instant::now() < deadline, "the first compaction never took the lock");
        std::thread::sleep(Duration::from_millis(5));
    }
    let (code, _, err) = compact(&dest, tmp.path(), &[], Some(s3));
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("another compaction holds") && err.contains("compaction.lock"), "{err}");
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_exactly(&dest, &expected(&source, "none"), Some(s3), false);

    // A lock left by a crashed holder: honoured until it expires, then taken over.
    let body = |expires: i64| json!({"owner": "x", "host": "gone", "pid": 1, "acquired_ms": 0, "expires_ms": expires}).to_string();
    let put = |b: String| block_on(s3.client().put_object().bucket(&bucket).key("lake/events.compaction.lock").body(b.into_bytes().into()).send()).unwrap();
    put(body(chrono::Utc::now().timestamp_millis() + 3_600_000));
    assert_eq!(compact(&dest, tmp.path(), &[], Some(s3)).0, 6);
    put(body(chrono::Utc::now().timestamp_millis() - 1000));
    let (code, rep, err) = compact(&dest, tmp.path(), &["--include-compacted"], Some(s3));
    assert_eq!(code, 0, "{err}");
    assert_eq!(rep["status"], "compacted");
    assert!(!s3.list(&bucket, "lake/").iter().any(|(k, _)| k.ends_with("compaction.lock")));
}

#[test]
fn kill_at_every_protocol_step_then_rerun_converges_exactly_once() {
    let s3 = shared_s3();
    let tmp = tempfile::tempdir().unwrap();
    let points = [
        "compact.mid_read:5",
        "compact.after_journal",
        "compact.after_first_output",
        "compact.before_delete",
        "compact.mid_delete",
        "compact.before_journal_delete",
    ];
    for point in points {
        let work = tmp.path().join(point.replace([':', '.'], "-"));
        std::fs::create_dir_all(&work).unwrap();
        let bucket = s3.bucket("ccrash");
        let dest = format!("s3://{bucket}/lake");
        let source = seed(&dest, &work, 12, 1500, true, Some(s3));
        let mut c = prestige_std();
        c.args(["compact", &dest, "--prefix", "events", "--target-bytes", "40KiB", "--lock-ttl", "1s"]);
        s3.apply_env(&mut c);
        let out = c.env("PRESTIGE_STATE_DIR", work.join("state")).env("PRESTIGE_FAILPOINT", point).output().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(9), "{point}: {}", String::from_utf8_lossy(&out.stderr));
        for (k, _) in s3.list(&bucket, "lake/") {
            if k.ends_with(".parquet") {
                assert!(has_footer(&s3.get(&bucket, &k)), "{point}: footerless {k}");
            }
        }
        std::thread::sleep(Duration::from_millis(1100)); // the killed holder's lock expires
        let (code, rep, err) = compact(&dest, &work, &["--target-bytes", "40KiB"], Some(s3));
        assert_eq!(code, 0, "{point}: {err}");
        assert_exactly(&dest, &expected(&source, "none"), Some(s3), true);
        let keys: Vec<String> = s3.list(&bucket, "lake/").into_iter().map(|(k, _)| k).collect();
        assert!(!keys.iter().any(|k| k.contains("compaction")), "{point}: {keys:?}");
        let recovered = rep["recovered"].as_str().unwrap_or("none");
        match point {
            "compact.mid_read:5" => assert_eq!(recovered, "none", "{point}"),
            "compact.after_journal" | "compact.after_first_output" => assert_eq!(recovered, "rolled_back", "{point}"),
            _ => assert_eq!(recovered, "rolled_forward", "{point}"),
        }
    }
}

#[test]
fn deletion_failures_give_exit_3_and_the_next_run_finishes_them() {
    let tmp = tempfile::tempdir().unwrap();
    let lake = tmp.path().join("lake");
    let dest = lake.to_str().unwrap().to_string();
    let source = seed(&dest, tmp.path(), 4, 500, false, None);
    let out = prestige()
        .args(["compact", &dest, "--prefix", "events", "--format", "json"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .env("PRESTIGE_FAILPOINT_ERROR", "compact.delete")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let rep = report(&out);
    let failed = rep["deletion_failures"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    let key = failed[0]["key"].as_str().unwrap().to_string();
    assert!(lake.join(&key).exists());
    // The journal stays, so the next run rolls forward and deletes the leftover input: no duplicates remain.
    let (code, rep, err) = compact(&dest, tmp.path(), &[], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rep["recovered"], "rolled_forward");
    assert_eq!(rep["status"], "nothing_to_do");
    assert!(!lake.join(&key).exists());
    assert_exactly(&dest, &expected(&source, "none"), None, false);
}

#[test]
fn keep_originals_marks_them_and_bucket_form_with_folder_prefix_works() {
    let s3 = shared_s3();
    let tmp = tempfile::tempdir().unwrap();
    let bucket = s3.bucket("keep");
    let dest = format!("s3://{bucket}/raw/x");
    let source = seed(&dest, tmp.path(), 3, 400, false, Some(s3));
    let out = prestige()
        .args(["compact", "--bucket", &bucket, "--prefix", "raw/x/events", "--keep-originals", "--deduplicate", "--format", "json"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .envs(s3.envs())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rep = report(&out);
    assert_eq!(rep["files_processed"], 3);
    assert_eq!(rep["duplicate_records_eliminated"].as_u64(), Some((source.len() - expected(&source, "exact").len()) as u64));
    let keys: Vec<String> = s3.list(&bucket, "raw/x/").into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys.iter().filter(|k| k.ends_with(".parquet.processed")).count(), 3, "{keys:?}");
    assert_eq!(keys.iter().filter(|k| k.ends_with(".c.parquet")).count(), 1, "{keys:?}");
    // Marked originals are not compacted again, and markers are not reported as strays.
    let out = prestige()
        .args(["compact", "--bucket", &bucket, "--prefix", "raw/x/events", "--format", "json"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .envs(s3.envs())
        .output()
        .unwrap();
    let rep = report(&out);
    assert_eq!(rep["status"], "nothing_to_do");
    assert_eq!(rep["skipped"].as_array().unwrap().len(), 0);
}

#[test]
fn local_lock_is_honoured_and_an_unreadable_one_is_not_stolen() {
    let tmp = tempfile::tempdir().unwrap();
    let lake = tmp.path().join("lake");
    let dest = lake.to_str().unwrap().to_string();
    seed(&dest, tmp.path(), 2, 100, false, None);
    let lock = lake.join("events.compaction.lock");
    let future = chrono::Utc::now().timestamp_millis() + 3_600_000;
    std::fs::write(&lock, json!({"owner": "o", "host": "h", "pid": 7, "acquired_ms": 0, "expires_ms": future}).to_string()).unwrap();
    let (code, _, err) = compact(&dest, tmp.path(), &[], None);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("pid 7"), "{err}");
    std::fs::write(&lock, b"").unwrap();
    let (code, _, err) = compact(&dest, tmp.path(), &[], None);
    assert_eq!(code, 6, "an unreadable lock must not be taken over: {err}");
    std::fs::remove_file(&lock).unwrap();
    let (code, rep, err) = compact(&dest, tmp.path(), &[], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rep["files_processed"], 2);
    assert!(!lock.exists());
}
