//! Output polish: help, pipes, tables, JSON report fields (issue 9 §4).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::common::*;

/// Runs `cmd` with a stdout whose reader is already gone, as in `prestige … | head -0`.
fn with_closed_stdout(mut cmd: Command) -> Output {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

/// A small lake of two `ev.*.parquet` files written by ingest, with its state directory beside it.
fn small_lake(dir: &Path) -> std::path::PathBuf {
    let lake = dir.join("lake");
    for batch in ["{\"id\":1,\"s\":\"a\"}\n{\"id\":2,\"s\":\"b\"}\n", "{\"id\":3,\"s\":\"c\"}\n"] {
        let out = prestige()
            .args(["ingest", "--to", lake.to_str().unwrap(), "--prefix", "ev", "--format", "json"])
            .env("PRESTIGE_STATE_DIR", dir.join("state"))
            .write_stdin(batch)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    lake
}

#[test]
fn a_closed_stdout_ends_every_command_quietly_with_success() {
    let tmp = tempfile::tempdir().unwrap();
    let lake = small_lake(tmp.path());
    let lake_s = lake.to_str().unwrap();
    let dest = tmp.path().join("dest");
    let dest_s = dest.to_str().unwrap();
    let mut cases: Vec<Vec<&str>> = vec![
        vec!["completions", "bash"],
        vec!["completions", "zsh"],
        vec!["completions", "fish"],
        vec!["--help"],
        vec!["help", "ingest"],
        vec!["ingest", "--help"],
        vec!["scan", lake_s],
        vec!["scan", lake_s, "--stats"],
        vec!["scan", lake_s, "--schema"],
        vec!["scan", lake_s, "--count"],
        vec!["watch", lake_s, "--prefix", "ev", "--once"],
    ];
    for format in ["table", "json", "ndjson"] {
        cases.push(vec!["upload", lake_s, "--to", dest_s, "--plan", "--format", format]);
        cases.push(vec!["compact", lake_s, "--prefix", "ev", "--plan", "--format", format]);
        cases.push(vec!["scan", lake_s, "--format", format]);
    }
    cases.push(vec!["scan", lake_s, "--format", "csv"]);
    for args in cases {
        let mut cmd = prestige_std();
        cmd.args(&args).env("PRESTIGE_STATE_DIR", tmp.path().join("state"));
        let out = with_closed_stdout(cmd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked") && !stderr.contains("error:"), "{args:?} into a closed pipe:\n{stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?} into a closed pipe:\n{stderr}");
    }
}

fn help(args: &[&str], envs: &[(&str, &str)]) -> String {
    let out = prestige().args(args).env("COLUMNS", "80").envs(envs.iter().copied()).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

const SUBCOMMANDS: [&str; 6] = ["ingest", "upload", "compact", "scan", "watch", "completions"];

#[test]
fn help_never_shows_environment_values_and_env_options_look_optional() {
    let secrets = [
        ("PRESTIGE_STATE_DIR", "/secret-state-dir"),
        ("AWS_REGION", "secret-region"),
        ("AWS_PROFILE", "secret-profile"),
        ("AWS_ENDPOINT_URL", "http://secret-endpoint"),
    ];
    for sub in SUBCOMMANDS {
        for flag in ["--help", "-h"] {
            for envs in [&secrets[..], &[]] {
                let text = help(&[sub, flag], envs);
                assert!(!text.contains("secret"), "{sub} {flag} shows an environment value:\n{text}");
                assert!(!text.contains("=]"), "{sub} {flag} renders an unset variable as `[env: X=]`:\n{text}");
                let usage = text.lines().find(|l| l.starts_with("Usage:")).unwrap();
                for opt in ["--state-dir", "--region", "--profile", "--endpoint-url"] {
                    assert!(!usage.contains(opt), "{sub}: env-backed {opt} looks required: {usage}");
                }
            }
        }
    }
    let text = help(&["ingest", "--help"], &[]);
    for name in ["PRESTIGE_STATE_DIR", "AWS_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL"] {
        assert!(text.contains(&format!("[env: {name}]")), "ingest --help does not name {name}:\n{text}");
    }
}

#[test]
fn help_examples_stay_whole_on_an_80_column_terminal() {
    for sub in ["ingest", "upload", "compact", "scan", "watch"] {
        let text = help(&[sub, "--help"], &[]);
        let mut lines = text.lines().skip_while(|l| !l.starts_with("Example"));
        assert!(lines.next().is_some(), "{sub} --help has no examples");
        let block: Vec<&str> = lines.take_while(|l| !l.trim().is_empty()).collect();
        assert!(!block.is_empty());
        for (i, line) in block.iter().enumerate() {
            assert!(line.chars().count() <= 80, "{sub}: example line wider than 80 columns: {line:?}");
            // A command wrapped by the help renderer continues at column 0; one broken on purpose ends in ` \`
            // and continues indented.
            assert!(line.starts_with("  "), "{sub}: an example command was wrapped mid-command:\n{}", block.join("\n"));
            let continued = i > 0 && block[i - 1].ends_with(" \\");
            assert_eq!(line.starts_with("  prestige") || line.starts_with("  cat "), !continued, "{sub}: {line:?}");
        }
    }
}

/// Every type name and alias that `--schema` accepts.
const TYPE_NAMES: [&str; 34] = [
    "int8", "tinyint", "int16", "smallint", "int32", "int", "integer", "int64", "bigint", "long", "uint8", "uint16",
    "uint32", "uint64", "float32", "float", "real", "float64", "double", "bool", "boolean", "string", "utf8",
    "varchar", "text", "binary", "bytes", "blob", "date", "date32", "timestamptz", "numeric", "array", "json",
];

#[test]
fn schema_type_aliases_are_documented_in_ingest_help_and_readme_and_all_load() {
    let text = help(&["ingest", "--help"], &[]);
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mentions = |doc: &str, name: &str| {
        doc.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|w| w == name)
    };
    for name in TYPE_NAMES.iter().chain(&["timestamp", "decimal", "list", "struct", "variant"]) {
        assert!(mentions(&text, name), "ingest --help does not document the type {name}:\n{text}");
        assert!(mentions(&readme, name), "the README does not document the type {name}");
    }
    // What is documented loads: a schema using every alias ingests a row of nulls.
    let tmp = tempfile::tempdir().unwrap();
    let mut fields: Vec<String> = TYPE_NAMES
        .iter()
        .map(|t| match *t {
            "numeric" => "decimal(9, 2)".replace("decimal", t),
            "array" => format!("{t}<bigint>"),
            t => t.to_string(),
        })
        .enumerate()
        .map(|(i, t)| format!("{{\"name\": \"c{i}\", \"type\": \"{t}\"}}"))
        .collect();
    fields.push(r#"{"name": "ts", "type": "timestamp(millisecond, +02:00)"}"#.into());
    fields.push(r#"{"name": "v", "type": "VARIANT"}"#.into());
    let schema = tmp.path().join("s.json");
    std::fs::write(&schema, format!("[{}]", fields.join(", "))).unwrap();
    let out = prestige()
        .args(["ingest", "--to", tmp.path().join("lake").to_str().unwrap(), "--schema", schema.to_str().unwrap()])
        .args(["--format", "json"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .write_stdin("{}\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(report(&out)["rows"], 1);
}

/// What a terminal shows for `bytes`: carriage returns, line clears and cursor-up moves applied.
fn screen(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => col = 0,
            '\n' => {
                row += 1;
                col = 0;
                if lines.len() <= row {
                    lines.push(Vec::new());
                }
            }
            '\x1b' => {
                if chars.peek() != Some(&'[') {
                    chars.next();
                    continue;
                }
                chars.next();
                let mut param = String::new();
                let mut fin = ' ';
                for p in chars.by_ref() {
                    if p.is_ascii_alphabetic() || p == '~' {
                        fin = p;
                        break;
                    }
                    param.push(p);
                }
                let n: usize = param.trim_start_matches('?').parse().unwrap_or(1);
                match fin {
                    'A' => row = row.saturating_sub(n.max(1)),
                    'K' if param == "2" => lines[row].clear(),
                    'K' => lines[row].truncate(col),
                    'J' => {
                        lines[row].truncate(col);
                        lines.truncate(row + 1);
                    }
                    'G' => col = n.saturating_sub(1),
                    _ => {}
                }
            }
            c => {
                let line = &mut lines[row];
                while line.len() < col {
                    line.push(' ');
                }
                if col < line.len() {
                    line[col] = c;
                } else {
                    line.push(c);
                }
                col += 1;
            }
        }
    }
    lines.into_iter().map(|l| l.into_iter().collect::<String>().trim_end().to_string()).collect()
}

/// Runs prestige on a pseudo-terminal (script(1); its width is 0, so `COLUMNS` decides) and returns the screen.
fn on_terminal(args: &[&str], columns: u16) -> Vec<String> {
    let bin = assert_cmd::cargo::cargo_bin("prestige");
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let cmd = format!("{} {}", bin.display(), quoted.join(" "));
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("COLUMNS", columns.to_string())
        .env_remove("AWS_ENDPOINT_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let shown = screen(&out.stdout);
    assert!(out.status.success(), "{args:?}:\n{}", shown.join("\n"));
    shown
}

#[test]
fn no_progress_line_is_left_above_a_table() {
    let tmp = tempfile::tempdir().unwrap();
    let lake = small_lake(tmp.path());
    // The bar is drawn as soon as the scan starts; the table follows almost at once, so repeat to catch it.
    for _ in 0..4 {
        let shown = on_terminal(&["scan", lake.to_str().unwrap(), "--format", "table"], 100);
        let top = shown.iter().position(|l| l.contains('┌')).unwrap_or_else(|| panic!("no table:\n{}", shown.join("\n")));
        assert!(shown[top].starts_with('┌'), "a stale progress line precedes the table:\n{}", shown.join("\n"));
        assert!(
            !shown.iter().any(|l| l.contains(" eta ") || l.contains("scan [")),
            "progress left on screen:\n{}",
            shown.join("\n")
        );
    }
}

fn long_named_files(dir: &Path, n: usize) -> std::path::PathBuf {
    let src = dir.join("a-source-directory-with-a-rather-long-name").join("and-another-level-below-it");
    std::fs::create_dir_all(&src).unwrap();
    for i in 0..n {
        std::fs::write(src.join(format!("file-{i}-with-a-long-descriptive-name-for-the-events.ndjson")), b"{}\n").unwrap();
    }
    src
}

#[test]
fn a_one_row_report_on_a_narrow_terminal_prints_as_key_value_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let src = long_named_files(tmp.path(), 1);
    let dest = tmp.path().join("destination-directory");
    let args = ["upload", src.to_str().unwrap(), "--to", dest.to_str().unwrap(), "--plan", "--no-progress"];
    let shown = on_terminal(&args, 50);
    let source_line = shown.iter().find(|l| l.starts_with("source")).unwrap_or_else(|| panic!("{}", shown.join("\n")));
    assert!(source_line.ends_with("-events.ndjson") && source_line.contains(src.to_str().unwrap()), "{source_line}");
    assert!(shown.iter().any(|l| l.starts_with("action") && l.ends_with("would_upload")), "{}", shown.join("\n"));
    assert!(shown.iter().any(|l| l.starts_with("1 file to upload, 0 skipped, 0 failed")), "{}", shown.join("\n"));
}

#[test]
fn a_wide_table_on_a_narrow_terminal_never_wraps_a_value_over_many_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let src = long_named_files(tmp.path(), 3);
    let dest = tmp.path().join("destination-directory");
    let args = ["upload", src.to_str().unwrap(), "--to", dest.to_str().unwrap(), "--plan", "--no-progress"];
    let shown = on_terminal(&args, 40);
    let table: Vec<&String> = shown.iter().filter(|l| l.starts_with(['┌', '│', '╞', '└'])).collect();
    // Borders, a header of at most three lines, and three rows of at most three lines each.
    assert!(table.len() <= 3 + 3 + 3 * 3, "{} table lines:\n{}", table.len(), shown.join("\n"));
    assert!(shown.iter().any(|l| l.contains('…')), "long cells are not marked as cut:\n{}", shown.join("\n"));
    assert!(table.iter().all(|l| l.chars().count() <= 40), "wider than the terminal:\n{}", shown.join("\n"));
}

#[test]
fn an_io_error_prints_each_cause_once() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.txt");
    let out = prestige().args(["upload", missing.to_str().unwrap(), "--to", tmp.path().to_str().unwrap()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert_eq!(stderr.matches("No such file or directory").count(), 1, "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error: ")).count(), 1, "{stderr}");

    let out = prestige()
        .args(["ingest", "--to", tmp.path().to_str().unwrap(), "--schema", missing.to_str().unwrap()])
        .write_stdin("{}\n")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("missing.txt"), "{stderr}");
    assert_eq!(stderr.matches("No such file or directory").count(), 1, "{stderr}");
}

#[test]
fn upload_json_always_carries_etag_and_error_and_a_rounded_rate() {
    let tmp = tempfile::tempdir().unwrap();
    let src = long_named_files(tmp.path(), 2);
    let dest = tmp.path().join("dest");
    for plan in [true, false] {
        let mut cmd = prestige();
        cmd.args(["upload", src.to_str().unwrap(), "--to", dest.to_str().unwrap(), "--format", "json"]);
        if plan {
            cmd.arg("--plan");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let rep = report(&out);
        for f in rep["files"].as_array().unwrap() {
            let o = f.as_object().unwrap();
            assert!(o.contains_key("etag") && o.contains_key("error"), "a documented field is missing: {f}");
            assert_eq!(f["error"], Value::Null);
        }
        let rate = rep["mib_per_sec"].as_f64().unwrap();
        assert!(((rate * 10.0).round() - rate * 10.0).abs() < 1e-9, "mib_per_sec not rounded: {rate}");
    }
}

#[test]
fn counts_in_human_output_agree_with_their_number() {
    let tmp = tempfile::tempdir().unwrap();
    let src = long_named_files(tmp.path(), 1);
    let dest = tmp.path().join("dest");
    let out = prestige()
        .args(["upload", src.to_str().unwrap(), "--to", dest.to_str().unwrap(), "--format", "table"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().any(|l| l.starts_with("1 file uploaded, 0 skipped, 0 failed")), "{text}");

    // ingest and compact summaries, and ingest's rate in JSON.
    let state = tmp.path().join("state");
    let lake = tmp.path().join("lake");
    let ingest = |format: &str| {
        prestige()
            .args(["ingest", "--to", lake.to_str().unwrap(), "--prefix", "ev", "--format", format])
            .env("PRESTIGE_STATE_DIR", &state)
            .write_stdin("{\"id\":1}\n")
            .output()
            .unwrap()
    };
    let text = String::from_utf8_lossy(&ingest("table").stdout).into_owned();
    assert!(text.lines().any(|l| l.starts_with("1 file, 1 row, ")), "{text}");
    let rep = report(&ingest("json"));
    let rate = rep["rows_per_sec"].as_f64().unwrap();
    assert!(((rate * 10.0).round() - rate * 10.0).abs() < 1e-9, "rows_per_sec not rounded: {rate}");
    let out = prestige().args(["compact", lake.to_str().unwrap(), "--prefix", "ev", "--format", "table"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2 files (") && text.contains("→ 1 file ("), "{text}");
}

#[test]
fn a_panicking_upload_task_fails_the_run() {
    let s3 = shared_s3();
    let bucket = s3.bucket("panic");
    let tmp = tempfile::tempdir().unwrap();
    for i in 0..3 {
        std::fs::write(tmp.path().join(format!("f{i}.txt")), format!("file {i}")).unwrap();
    }
    let out = prestige()
        .args(["upload", tmp.path().to_str().unwrap(), "--to", &format!("s3://{bucket}/p"), "--format", "json"])
        .args(["--concurrency", "1"])
        .envs(s3.envs())
        .env("PRESTIGE_FAILPOINT_PANIC", "upload.put:2")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("internal error in the upload of") && stderr.contains("f1.txt"), "{stderr}");
    assert!(stderr.contains("injected panic"), "{stderr}");
    assert!(out.stdout.is_empty(), "a report was printed: {}", String::from_utf8_lossy(&out.stdout));
}
