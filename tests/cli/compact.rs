//! `prestige compact`: row conservation across stores, target sizes and evolved schemas; prefix isolation and
//! stray keys; plan = run; the lock lease (live holders block, dead ones on this host are taken over at once,
//! --break-lock); kill -9 at every step of the protocol followed by an immediate rerun; panics in readers and
//! the writer; a missing directory; schema conflicts.

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

/// This machine's host name, as the OS reports it.
fn hostname() -> String {
    let mut buf = [0u8; 256];
    assert_eq!(unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) }, 0);
    let end = buf.iter().position(|&b| b == 0).unwrap();
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// The lock a killed compaction left names this host (from the OS: `$HOSTNAME` is unset) and its pid, with a
/// lease of the default length.
fn assert_lock_names(lock: &[u8], pid: u32, what: &str) {
    let lock: Value = serde_json::from_slice(lock).unwrap_or_else(|e| panic!("{what}: lock not JSON ({e})"));
    assert_eq!(lock["host"], hostname(), "{what}: {lock}");
    assert_eq!(lock["pid"], pid, "{what}: {lock}");
    let lease = lock["expires_ms"].as_i64().unwrap() - lock["renewed_ms"].as_i64().unwrap();
    assert!((29_000..=31_000).contains(&lease), "{what}: a lease of {lease} ms: {lock}");
}

/// Runs a compaction with a SIGKILL failpoint armed; returns its pid once it died of the signal.
fn killed_compaction(dest: &str, work: &Path, point: &str, s3: Option<&S3Server>) -> u32 {
    let mut c = prestige_std();
    c.args(["compact", dest, "--prefix", "events", "--target-bytes", "40KiB"]);
    if let Some(s) = s3 {
        s.apply_env(&mut c);
    }
    let child = c
        .env("PRESTIGE_STATE_DIR", work.join("state"))
        .env("PRESTIGE_FAILPOINT", point)
        .env_remove("HOSTNAME")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(9), "{point}: {}", String::from_utf8_lossy(&out.stderr));
    pid
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
fn kill_at_every_protocol_step_then_an_immediate_rerun_converges_exactly_once_on_s3() {
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
        let pid = killed_compaction(&dest, &work, point, Some(s3));
        for (k, _) in s3.list(&bucket, "lake/") {
            if k.ends_with(".parquet") {
                assert!(has_footer(&s3.get(&bucket, &k)), "{point}: footerless {k}");
            }
        }
        assert_lock_names(&s3.get(&bucket, "lake/events.compaction.lock"), pid, point);
        // No waiting for the lease: the holder was a process of this host that no longer exists.
        let (code, rep, err) = compact(&dest, &work, &["--target-bytes", "40KiB"], Some(s3));
        assert_eq!(code, 0, "{point}: {err}");
        assert!(err.contains(&format!("pid {pid} on this host, no longer exists")), "{point}: {err}");
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
fn local_kill_then_an_immediate_rerun_converges_exactly_once_and_the_lock_names_this_host() {
    let tmp = tempfile::tempdir().unwrap();
    for point in ["compact.mid_read:3", "compact.after_journal", "compact.mid_delete"] {
        let work = tmp.path().join(point.replace([':', '.'], "-"));
        std::fs::create_dir_all(&work).unwrap();
        let lake = work.join("lake");
        let dest = lake.to_str().unwrap().to_string();
        let source = seed(&dest, &work, 6, 800, true, None);
        let pid = killed_compaction(&dest, &work, point, None);
        assert_lock_names(&std::fs::read(lake.join("events.compaction.lock")).unwrap(), pid, point);
        let started = Instant::now();
        let (code, rep, err) = compact(&dest, &work, &["--target-bytes", "40KiB"], None);
        assert_eq!(code, 0, "{point}: {err}");
        assert!(started.elapsed() < Duration::from_secs(20), "{point}: the rerun waited for the lease");
        assert_exactly(&dest, &expected(&source, "none"), None, true);
        let names: Vec<String> =
            std::fs::read_dir(&lake).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(!names.iter().any(|n| n.contains("compaction")), "{point}: {names:?}");
        if point != "compact.mid_read:3" {
            assert_ne!(rep["recovered"], Value::Null, "{point}");
            // What the killed run had staged is gone with its journal.
            assert!(!names.iter().any(|n| n.ends_with(".inprogress")), "{point}: {names:?}");
        }
    }
}

#[test]
fn lock_takeover_rules_live_and_dead_holders_unreadable_locks_and_break_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let lake = tmp.path().join("lake");
    let dest = lake.to_str().unwrap().to_string();
    let lock = lake.join("events.compaction.lock");
    let pid_ns = std::fs::read_link("/proc/self/ns/pid").unwrap().to_string_lossy().into_owned();
    let future = chrono::Utc::now().timestamp_millis() + 3_600_000;
    let body = |host: &str, pid: u32| {
        json!({"owner": "o", "host": host, "pid": pid, "pid_ns": pid_ns, "acquired_ms": 0, "expires_ms": future})
            .to_string()
    };
    let mut round = 0;
    let mut reseed = || {
        round += 1;
        seed(&dest, tmp.path(), 2, 100 + round, false, None);
    };
    let gone = || {
        let mut c = std::process::Command::new("true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        pid
    };

    // A live holder blocks, on this host (this very test process) or another.
    reseed();
    for (host, pid) in [(hostname(), std::process::id()), ("elsewhere".to_string(), 7)] {
        std::fs::write(&lock, body(&host, pid)).unwrap();
        let (code, _, err) = compact(&dest, tmp.path(), &[], None);
        assert_eq!(code, 6, "{err}");
        assert!(err.contains("another compaction holds") && err.contains(&format!("pid {pid}")), "{err}");
        assert!(err.contains(&host) && err.contains("--break-lock"), "{err}");
    }
    // An unreadable lock is reported, never taken over.
    std::fs::write(&lock, b"").unwrap();
    let (code, _, err) = compact(&dest, tmp.path(), &[], None);
    assert_eq!(code, 6, "an unreadable lock must not be taken over: {err}");
    assert!(err.contains("cannot be read"), "{err}");

    // A holder on this host whose process is gone is taken over at once, though its lease runs for an hour.
    std::fs::write(&lock, body(&hostname(), gone())).unwrap();
    let (code, rep, err) = compact(&dest, tmp.path(), &[], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rep["files_processed"], 2);
    assert!(!lock.exists());

    // --break-lock takes over a live lock on another host, and an unreadable one.
    for held in [body("elsewhere", 7), String::new()] {
        reseed();
        std::fs::write(&lock, &held).unwrap();
        let (code, rep, err) = compact(&dest, tmp.path(), &["--break-lock"], None);
        assert_eq!(code, 0, "{err}");
        assert_eq!(rep["files_processed"], 2, "{err}");
        assert!(err.contains("--break-lock"), "the takeover is logged: {err}");
        assert!(!lock.exists());
    }
}

#[test]
fn a_holder_that_lost_its_lease_to_break_lock_stops_before_any_destructive_step() {
    let tmp = tempfile::tempdir().unwrap();
    let lake = tmp.path().join("lake");
    let dest = lake.to_str().unwrap().to_string();
    let source = seed(&dest, tmp.path(), 40, 1000, false, None);
    let lock = lake.join("events.compaction.lock");
    let mut first = prestige_std()
        .args(["compact", &dest, "--prefix", "events", "--format", "json", "--target-bytes", "64KiB"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !lock.exists() {
        assert!(Instant::now() < deadline, "the first compaction never took the lock");
        std::thread::sleep(Duration::from_millis(1));
    }
    // Freeze the holder early in its run (while it reads), as a hung host would be.
    std::thread::sleep(Duration::from_millis(20));
    unsafe {
        libc::kill(first.id() as i32, libc::SIGSTOP);
    }
    let (code, _, err) = compact(&dest, tmp.path(), &[], None);
    let (code_break, rep, err_break) = compact(&dest, tmp.path(), &["--break-lock"], None);
    unsafe {
        libc::kill(first.id() as i32, libc::SIGCONT);
    }
    assert_eq!(code, 6, "a live holder blocks: {err}");
    assert_eq!(code_break, 0, "{err_break}");
    assert_eq!(rep["files_processed"], 40);
    let status = first.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(first.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(6), "the holder that lost its lease stops: {stderr}");
    assert!(stderr.contains("lost the compaction lock"), "{stderr}");
    // It published and deleted nothing: every row exactly once, in the breaker's outputs, nothing left over.
    assert_exactly(&dest, &expected(&source, "none"), None, false);
    let names: Vec<String> =
        std::fs::read_dir(&lake).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().filter(|n| n.starts_with("events.")).all(|n| n.ends_with(".c.parquet")), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("compaction") || n.ends_with(".inprogress")), "{names:?}");
}

#[test]
fn a_panic_in_a_reader_or_the_writer_fails_the_run_and_leaves_the_originals() {
    let tmp = tempfile::tempdir().unwrap();
    for (point, extra) in [("compact.read:3", None), ("compact.read:2", Some("--deduplicate")), ("compact.write:2", None)] {
        let work = tmp.path().join(format!("{}-{}", point.replace([':', '.'], "-"), extra.is_some()));
        std::fs::create_dir_all(&work).unwrap();
        let lake = work.join("lake");
        let dest = lake.to_str().unwrap().to_string();
        let source = seed(&dest, &work, 6, 3000, false, None);
        let listing = |d: &Path| -> Vec<(String, u64)> {
            let mut v: Vec<(String, u64)> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap())
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.metadata().unwrap().len()))
                .collect();
            v.sort();
            v
        };
        let before = listing(&lake);
        let mut args = vec!["compact", &dest, "--prefix", "events", "--format", "json", "--target-bytes", "40KiB"];
        args.extend(extra);
        let out = prestige()
            .args(&args)
            .env("PRESTIGE_STATE_DIR", work.join("state"))
            .env("PRESTIGE_FAILPOINT_PANIC", point)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{point}: {err}");
        let worker = if point.starts_with("compact.read") { "compaction reader" } else { "compaction writer" };
        assert!(err.contains(&format!("internal error in the {worker}")) && err.contains("panicked"), "{point}: {err}");
        // Nothing changed: same files, same sizes, no output, no staging, no lock or journal left.
        assert_eq!(listing(&lake), before, "{point}");
        let count = prestige().args(["scan", &dest, "--prefix", "events", "--count", "--format", "json"]).output().unwrap();
        assert!(count.status.success(), "{point}: {}", String::from_utf8_lossy(&count.stderr));
        assert_eq!(report(&count)["rows"].as_u64(), Some(source.len() as u64), "{point}: the originals still scan");
        let (code, rep, err) = compact(&dest, &work, &["--target-bytes", "40KiB"], None);
        assert_eq!(code, 0, "{point}: {err}");
        assert_eq!(rep["files_processed"], 6);
        assert_exactly(&dest, &expected(&source, "none"), None, false);
    }
}

#[test]
fn a_missing_local_directory_fails_like_scan_and_is_not_created() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-lake");
    let dest = missing.to_str().unwrap();
    let (code, _, err) = compact(dest, tmp.path(), &[], None);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains(dest) && err.contains("no such directory"), "{err}");
    assert!(!missing.exists(), "compact created the directory");
    let (code, _, err) = compact(dest, tmp.path(), &["--plan"], None);
    assert_eq!(code, 5, "{err}");
    let scan = prestige().args(["scan", dest, "--prefix", "events"]).output().unwrap();
    assert_eq!(scan.status.code(), Some(5), "compact and scan agree");
    assert!(!missing.exists());
}

#[test]
fn a_schema_conflict_skips_the_file_and_exits_3_with_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let lake = tmp.path().join("lake");
    let dest = lake.to_str().unwrap().to_string();
    let source = seed(&dest, tmp.path(), 3, 200, false, None);
    std::thread::sleep(Duration::from_millis(5));
    // A newer file whose `s` column is an integer where the others have strings.
    let sp = tmp.path().join("conflict.json");
    std::fs::write(&sp, r#"[{"name":"id","type":"int64"},{"name":"s","type":"int64"}]"#).unwrap();
    let out = prestige()
        .args(["ingest", "--to", &dest, "--prefix", "events", "--schema", sp.to_str().unwrap()])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .write_stdin("{\"id\": -5, \"s\": 1}\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let conflicting = data_keys_local(&lake, "events").last().unwrap().clone();
    // The plan and its table say it too.
    let out = prestige()
        .args(["compact", &dest, "--prefix", "events", "--format", "table", "--plan"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains(&format!("skipped {conflicting}: schema conflict")), "{table}");
    let (code, rep, err) = compact(&dest, tmp.path(), &[], None);
    assert_eq!(code, 3, "{err}");
    assert_eq!(rep["status"], "compacted", "the report is printed: {err}");
    assert_eq!(rep["files_processed"], 3);
    let skipped = rep["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["key"], conflicting.as_str());
    assert_eq!(skipped[0]["kind"], "schema_conflict");
    let reason = skipped[0]["reason"].as_str().unwrap();
    assert!(reason.contains("schema conflict") && reason.contains('s'), "{reason}");
    assert!(lake.join(&conflicting).exists(), "the conflicting file is kept");
    // Every other row was compacted exactly once.
    std::fs::remove_file(lake.join(&conflicting)).unwrap();
    assert_exactly(&dest, &expected(&source, "none"), None, false);
}

#[test]
fn a_running_compaction_renews_its_lease_so_it_blocks_others_past_the_lease_length() {
    let tmp = tempfile::tempdir().unwrap();
    let lake = tmp.path().join("lake");
    let dest = lake.to_str().unwrap().to_string();
    let rows = 300_000u64;
    let lines: String = (0..rows).map(|i| format!("{}\n", json!({"id": i, "s": format!("row {i}")}))).collect();
    let out = prestige()
        .args(["ingest", "--to", &dest, "--prefix", "events", "--max-rows", "10000"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .write_stdin(lines)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lock = lake.join("events.compaction.lock");
    // A slow compaction (zstd level 19 takes seconds here) with a one-second lease.
    let mut first = prestige_std()
        .args(["compact", &dest, "--prefix", "events", "--format", "json", "--compression", "zstd:19", "--lock-ttl", "1s"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !lock.exists() {
        assert!(Instant::now() < deadline, "the compaction never took the lock");
        std::thread::sleep(Duration::from_millis(2));
    }
    let taken: Value = serde_json::from_slice(&std::fs::read(&lock).unwrap()).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    // Past the first lease's expiry the holder is still running and its lock is still live: renewed.
    let (code, _, err) = compact(&dest, tmp.path(), &[], None);
    let still_running = first.try_wait().unwrap().is_none();
    assert!(still_running, "the compaction finished too soon to show renewals; make it slower");
    assert_eq!(code, 6, "{err}");
    let now: Value = serde_json::from_slice(&std::fs::read(&lock).unwrap()).unwrap();
    assert_eq!(now["owner"], taken["owner"]);
    assert!(now["expires_ms"].as_i64() > taken["expires_ms"].as_i64(), "{taken} → {now}");
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(report(&out)["records_consolidated"].as_u64(), Some(rows));
    assert!(!lock.exists());
}
