//! Crash safety: `kill -9` at many points of an ingest (mid-file, between files, before and after a file is
//! made visible, during an S3 upload), then a rerun: every input row exactly once, nothing footerless visible.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use crate::common::*;

fn inputs(dir: &Path, files: usize, rows: usize, pad: usize) -> Vec<PathBuf> {
    (0..files)
        .map(|f| {
            let p = dir.join(format!("part-{f}.ndjson"));
            let lines: Vec<String> = (0..rows)
                .map(|i| {
                    let id = f * rows + i;
                    let blob: String = (0..pad as u64)
                        .map(|k| format!("{:016x}", (id as u64 * 31 + k).wrapping_mul(0x9E3779B97F4A7C15)))
                        .collect();
                    json!({"id": id, "file": f, "blob": blob}).to_string()
                })
                .collect();
            write_lines(&p, &lines);
            p
        })
        .collect()
}

fn ids_exactly_once(rows: &[serde_json::Value], total: usize) {
    let ids: Vec<u64> = rows.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    let want: Vec<u64> = (0..total as u64).collect();
    if ids != want {
        let dup = ids.windows(2).filter(|w| w[0] == w[1]).count();
        panic!("expected ids 0..{total} exactly once; got {} rows, {dup} duplicates", ids.len());
    }
}

fn ingest_cmd(inputs: &[PathBuf], dest: &str, state: &Path, extra: &[&str]) -> std::process::Command {
    let mut c = prestige_std();
    c.arg("ingest").args(inputs).args(["--to", dest, "--prefix", "crash", "--format", "json"]).args(extra);
    c.env("PRESTIGE_STATE_DIR", state);
    c
}

fn killed(status: std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(9)
}

#[test]
fn kill_at_each_failpoint_then_rerun_is_exactly_once_locally() {
    let tmp = tempfile::tempdir().unwrap();
    let ins = inputs(tmp.path(), 4, 2500, 1);
    let points = [
        "ingest.mid_file:3",
        "ingest.after_seal:2",
        "ingest.after_pending:4",
        "ingest.after_publish:5",
        "ingest.between_inputs:2",
        "ingest.after_publish:9",
    ];
    for point in points {
        let lake = tmp.path().join(format!("lake-{}", point.replace([':', '.'], "-")));
        let state = tmp.path().join(format!("state-{}", point.replace([':', '.'], "-")));
        let dest = lake.to_str().unwrap();
        let out = ingest_cmd(&ins, dest, &state, &["--max-rows", "1000"]).env("PRESTIGE_FAILPOINT", point).output().unwrap();
        assert!(killed(out.status), "{point}: expected a kill, got {:?}: {}", out.status, String::from_utf8_lossy(&out.stderr));
        for f in parquet_files(&lake) {
            assert!(has_footer(&std::fs::read(&f).unwrap()), "{point}: footerless {}", f.display());
        }
        let out = ingest_cmd(&ins, dest, &state, &["--max-rows", "1000"]).output().unwrap();
        assert!(out.status.success(), "{point}: rerun failed: {}", String::from_utf8_lossy(&out.stderr));
        let rep = report(&out);
        assert_eq!(rep["resumed"], true, "{point}");
        let (_, rows) = read_parquet("duckdb", dest, "id", None);
        ids_exactly_once(&rows, 10_000);
        // The killed attempt's in-progress files were cleaned up by the rerun.
        let leftovers: Vec<_> = std::fs::read_dir(&lake)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".inprogress"))
            .collect();
        assert!(leftovers.is_empty(), "{point}: {leftovers:?}");
        // And once more: nothing to add.
        let out = ingest_cmd(&ins, dest, &state, &["--max-rows", "1000"]).output().unwrap();
        assert_eq!(report(&out)["status"], "already_ingested", "{point}");
    }
}

#[test]
fn kill_at_arbitrary_moments_then_rerun_is_exactly_once_locally() {
    let tmp = tempfile::tempdir().unwrap();
    let ins = inputs(tmp.path(), 3, 300_000, 4);
    let lake = tmp.path().join("lake");
    let state = tmp.path().join("state");
    let dest = lake.to_str().unwrap();
    let mut kills = 0;
    for delay_ms in [40u64, 100, 180, 260, 350, 450, 550, 700, 900] {
        let mut child = ingest_cmd(&ins, dest, &state, &["--max-rows", "40000"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        if killed(status) {
            kills += 1;
        }
        for f in parquet_files(&lake) {
            assert!(has_footer(&std::fs::read(&f).unwrap()), "after kill at {delay_ms} ms: footerless {}", f.display());
        }
    }
    assert!(kills >= 3, "only {kills} runs were still going when killed");
    let out = ingest_cmd(&ins, dest, &state, &["--max-rows", "40000"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, rows) = read_parquet("duckdb", dest, "id", None);
    ids_exactly_once(&rows, 900_000);
}

#[test]
fn kill_during_s3_uploads_then_rerun_is_exactly_once() {
    let s3 = shared_s3();
    let tmp = tempfile::tempdir().unwrap();
    // ~6 MiB Parquet files so each goes up as a multipart upload (5 MiB parts).
    let ins = inputs(tmp.path(), 2, 60_000, 12);
    for point in ["upload.after_part:1", "ingest.after_pending:1", "ingest.after_publish:1", "ingest.mid_file:2", "upload.after_part:3"] {
        let bucket = s3.bucket("crash");
        let dest = format!("s3://{bucket}/lake");
        let state = tmp.path().join(format!("state-{}", point.replace([':', '.'], "-")));
        let extra = ["--max-rows", "60000", "--part-size", "5MiB"];
        let mut cmd = ingest_cmd(&ins, &dest, &state, &extra);
        s3.apply_env(&mut cmd);
        let out = cmd.env("PRESTIGE_FAILPOINT", point).output().unwrap();
        assert!(killed(out.status), "{point}: expected a kill: {}", String::from_utf8_lossy(&out.stderr));
        for (k, _) in s3.list(&bucket, "lake/") {
            assert!(has_footer(&s3.get(&bucket, &k)), "{point}: footerless object {k}");
        }
        let mut cmd = ingest_cmd(&ins, &dest, &state, &extra);
        s3.apply_env(&mut cmd);
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{point}: rerun failed: {}", String::from_utf8_lossy(&out.stderr));
        let (_, rows) = read_parquet("pyarrow", &dest, "id", Some(s3));
        ids_exactly_once(&rows, 120_000);
        // Parts a killed upload left behind were aborted, and the staging area is empty again.
        let pending = block_on(s3.client().list_multipart_uploads().bucket(&bucket).send()).unwrap();
        assert!(pending.uploads().is_empty(), "{point}: unfinished uploads left: {:?}", pending.uploads());
        let staged: Vec<_> = std::fs::read_dir(state.join("staging")).map(|d| d.flatten().count()).into_iter().collect();
        assert!(staged.iter().all(|n| *n == 0), "{point}: staging not empty");
    }
}
