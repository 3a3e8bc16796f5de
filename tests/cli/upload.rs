//! `prestige upload`: recursive keys, plan, skip-existing, remove-source, partial failure, and a 200 MiB
//! multipart upload that survives the S3 server being killed and restarted.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::*;

fn upload(s3: &S3Server, args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = prestige().arg("upload").args(args).args(["--format", "json"]).envs(s3.envs()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let rep = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), rep, stderr)
}

fn write_parquet(dir: &Path) {
    let out = prestige()
        .args(["ingest", "--to", dir.to_str().unwrap(), "--prefix", "p"])
        .env("PRESTIGE_STATE_DIR", dir.join("../state"))
        .write_stdin("{\"a\":1}\n{\"a\":2}\n")
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn directory_upload_plan_skip_existing_and_remove_source() {
    let s3 = shared_s3();
    let bucket = s3.bucket("upload");
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("out");
    std::fs::create_dir_all(src.join("sub/deep")).unwrap();
    std::fs::write(src.join("a.txt"), b"hello").unwrap();
    std::fs::write(src.join("sub/deep/c.bin"), vec![7u8; 300_000]).unwrap();
    write_parquet(&src.join("sub"));
    let dest = format!("s3://{bucket}/up");
    let src_s = src.to_str().unwrap();

    let (code, rep, err) = upload(s3, &[src_s, "--to", &dest, "--plan"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rep["status"], "plan");
    assert_eq!(rep["files"].as_array().unwrap().len(), 3);
    assert!(rep["files"].as_array().unwrap().iter().all(|f| f["action"] == "would_upload"));
    assert!(s3.list(&bucket, "").is_empty(), "--plan must not upload");

    let (code, rep, err) = upload(s3, &[src_s, "--to", &dest]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rep["uploaded"], 3);
    let keys: Vec<String> = s3.list(&bucket, "up/").into_iter().map(|(k, _)| k).collect();
    assert!(keys.contains(&"up/a.txt".to_string()) && keys.contains(&"up/sub/deep/c.bin".to_string()), "{keys:?}");
    assert!(keys.iter().any(|k| k.starts_with("up/sub/p.") && k.ends_with(".parquet")), "{keys:?}");
    assert_eq!(s3.get(&bucket, "up/sub/deep/c.bin"), vec![7u8; 300_000]);

    let (code, rep, _) = upload(s3, &[src_s, "--to", &dest, "--skip-existing"]);
    assert_eq!(code, 0);
    assert_eq!((rep["uploaded"].as_u64(), rep["skipped"].as_u64()), (Some(0), Some(3)));

    // A changed file (same size, other bytes) is uploaded again; the rest is skipped.
    std::fs::write(src.join("a.txt"), b"HELLO").unwrap();
    let (_, rep, _) = upload(s3, &[src_s, "--to", &dest, "--skip-existing"]);
    assert_eq!((rep["uploaded"].as_u64(), rep["skipped"].as_u64()), (Some(1), Some(2)));
    assert_eq!(s3.get(&bucket, "up/a.txt"), b"HELLO");

    let single = tmp.path().join("single.txt");
    std::fs::write(&single, b"bye").unwrap();
    let (code, rep, _) = upload(s3, &[single.to_str().unwrap(), "--to", &dest, "--remove-source"]);
    assert_eq!(code, 0);
    assert_eq!(rep["files"][0]["source_removed"], true);
    assert!(!single.exists());
    assert_eq!(s3.get(&bucket, "up/single.txt"), b"bye");
}

#[test]
fn a_footerless_parquet_file_fails_alone_with_the_partial_exit_code() {
    let s3 = shared_s3();
    let bucket = s3.bucket("partial");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("good.txt"), b"fine").unwrap();
    std::fs::write(tmp.path().join("torn.parquet"), b"PAR1 this file was cut before its footer").unwrap();
    let (code, rep, err) = upload(s3, &[tmp.path().to_str().unwrap(), "--to", &format!("s3://{bucket}/x")]);
    assert_eq!(code, 3, "{err}");
    assert_eq!(rep["status"], "partial");
    assert_eq!((rep["uploaded"].as_u64(), rep["failed"].as_u64()), (Some(1), Some(1)));
    let failed = rep["files"].as_array().unwrap().iter().find(|f| f["action"] == "failed").unwrap();
    assert!(failed["source"].as_str().unwrap().ends_with("torn.parquet"));
    assert!(failed["error"].as_str().unwrap().contains("no footer"), "{failed}");
    assert!(err.contains("torn.parquet"), "{err}");
    let keys: Vec<String> = s3.list(&bucket, "").into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, vec!["x/good.txt".to_string()]);
}

#[test]
fn missing_bucket_is_a_storage_error() {
    let s3 = shared_s3();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("f.txt"), b"x").unwrap();
    let (code, _, err) = upload(s3, &[tmp.path().join("f.txt").to_str().unwrap(), "--to", "s3://prestige-missing-bucket/x"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("s3://prestige-missing-bucket"), "{err}");
}

#[test]
fn multipart_upload_of_200_mib_survives_a_server_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let s3 = own_s3(&tmp.path().join("weed"));
    let bucket = s3.bucket("big");
    let src = tmp.path().join("big.bin");
    // 200 MiB of pseudo-random bytes.
    let mut data = vec![0u8; 200 << 20];
    let mut x = 0x243F6A8885A308D3u64;
    for chunk in data.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    std::fs::write(&src, &data).unwrap();
    let dest = format!("s3://{bucket}/big");
    let mut cmd = prestige_std();
    cmd.args(["upload", src.to_str().unwrap(), "--to", &dest, "--part-size", "8MiB", "--concurrency", "2", "--format", "json"]);
    s3.apply_env(&mut cmd);
    let child = cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();

    // Wait until some parts are stored, then kill the server mid-upload and bring it back.
    let client = s3.client();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "the upload never got going");
        let ups = block_on(client.list_multipart_uploads().bucket(&bucket).send()).ok();
        let upload = ups.as_ref().and_then(|u| u.uploads().first().cloned());
        if let Some(u) = upload {
            let parts = block_on(
                client.list_parts().bucket(&bucket).key(u.key().unwrap()).upload_id(u.upload_id().unwrap()).send(),
            )
            .map(|p| p.parts().len())
            .unwrap_or(0);
            if parts >= 3 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    s3.kill();
    std::thread::sleep(Duration::from_millis(1500));
    s3.restart();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "upload did not recover: {stderr}");
    assert!(stderr.contains("retrying"), "the restart should have caused retries: {stderr}");
    let rep = report(&out);
    assert_eq!(rep["uploaded"], 1);
    assert!(rep["files"][0]["etag"].as_str().unwrap().ends_with("-25"), "{}", rep["files"][0]["etag"]);
    let stored = s3.get(&bucket, "big/big.bin");
    assert!(stored == data, "stored object differs from the source");

    let (code, rep, _) = upload(s3, &[src.to_str().unwrap(), "--to", &dest, "--part-size", "8MiB", "--skip-existing"]);
    assert_eq!(code, 0);
    assert_eq!((rep["uploaded"].as_u64(), rep["skipped"].as_u64()), (Some(0), Some(1)));
}
