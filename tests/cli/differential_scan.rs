//! Differential: random --where predicates compared with DuckDB on the same files (issue 9 §5b).
//!
//! `py/scan_diff.py gen` writes seeded random data with a column of every type scan filters on (signed and
//! unsigned ints, float32/64 with NaN and infinities, bool, strings, date, timestamps in ms/us with and without a
//! zone, decimals of several scales, a struct, nulls everywhere) as four pyarrow files with small row groups,
//! small pages and a page index, plus NDJSON that `prestige ingest` turns into a fifth file (row groups of 40,
//! without the struct and one string column). `py/scan_diff.py eval` then generates hundreds of random
//! predicates whose literals sit on the edges (finer than the scale or unit, at the data's min/max and just
//! beyond, outside the type's range, negative, NULL), evaluates all of them with DuckDB in one process, and this
//! test runs `prestige scan --where` once per predicate: the matching ids must be the same. The script's
//! docstring lists where DuckDB's semantics and prestige's knowingly differ (the generator stays out of those).
//!
//! `PRESTIGE_DIFF_SEED=N` replays a run; the seed is printed, and a failure names it with each failing predicate.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::*;

const DEFAULT_SEED: u64 = 90_501;
const CASES: usize = 500;

/// Runs `prestige scan DIR --where W --columns id` and returns the ids, or the exit code and stderr.
fn prestige_ids(dir: &str, w: &str) -> Result<(Vec<i64>, Value), String> {
    let o = prestige()
        .args(["scan", dir, "--columns", "id", "--format", "ndjson", "--stats", &format!("--where={w}")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    if !o.status.success() {
        return Err(format!("exit {:?}: {}", o.status.code(), err.trim()));
    }
    let mut ids: Vec<i64> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    let stats = err.lines().rev().find(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).unwrap_or(Value::Null);
    Ok((ids, stats))
}

#[test]
fn where_results_equal_duckdb_for_hundreds_of_random_edge_predicates() {
    let seed: u64 = match std::env::var("PRESTIGE_DIFF_SEED") {
        Ok(s) => s.trim().parse().expect("PRESTIGE_DIFF_SEED must be an integer"),
        Err(_) => DEFAULT_SEED,
    };
    eprintln!("differential scan: PRESTIGE_DIFF_SEED={seed}");
    let started = std::time::Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("files");
    let seed_s = seed.to_string();
    let g = py_json("scan_diff.py", &["gen", "--seed", &seed_s, "--dir", dir.to_str().unwrap()], None);
    let out = prestige()
        .args(["ingest", tmp.path().join("ingest.ndjson").to_str().unwrap(), "--to", dir.to_str().unwrap()])
        .args(["--prefix", "ingested", "--schema", tmp.path().join("ingest.schema.json").to_str().unwrap()])
        .args(["--row-group-rows", "40"])
        .env("PRESTIGE_STATE_DIR", tmp.path().join("state"))
        .output()
        .unwrap();
    assert!(out.status.success(), "seed {seed}: ingest failed: {}", String::from_utf8_lossy(&out.stderr));
    let files: Vec<String> = parquet_files(&dir).iter().map(|p| p.display().to_string()).collect();
    assert_eq!(files.len(), g["files"].as_array().unwrap().len() + 1, "{files:?}");

    let mut args: Vec<&str> = vec!["eval", "--seed", &seed_s, "--count"];
    let count = CASES.to_string();
    args.push(&count);
    args.extend(files.iter().map(String::as_str));
    let ev = py_json("scan_diff.py", &args, None);
    let cases = ev["cases"].as_array().unwrap();
    let dropped = ev["dropped"].as_array().unwrap();
    // DuckDB refusing a generated predicate means the generator strayed: tolerate a few, not a habit.
    assert!(dropped.len() <= CASES / 20, "seed {seed}: DuckDB refused {} predicates: {dropped:?}", dropped.len());
    assert_eq!(cases.len(), CASES, "seed {seed}");

    let loc = dir.to_str().unwrap();
    let (mut failures, mut nonempty, mut rg_pruned, mut page_pruned) = (Vec::new(), 0, 0, 0);
    for c in cases {
        let w = c["where"].as_str().unwrap();
        let want: Vec<i64> = c["ids"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        nonempty += usize::from(!want.is_empty());
        match prestige_ids(loc, w) {
            Ok((got, stats)) => {
                rg_pruned += stats["row_groups_pruned"].as_u64().unwrap_or(0);
                page_pruned += stats["rows_pruned_by_page_index"].as_u64().unwrap_or(0);
                if got != want {
                    let (g, d): (BTreeSet<i64>, BTreeSet<i64>) = (got.iter().copied().collect(), want.iter().copied().collect());
                    let only_p: Vec<_> = g.difference(&d).take(5).collect();
                    let only_d: Vec<_> = d.difference(&g).take(5).collect();
                    failures.push(format!(
                        "--where {w:?}: prestige {} rows, DuckDB {} (only prestige: {only_p:?}, only DuckDB: {only_d:?})",
                        got.len(),
                        want.len()
                    ));
                }
            }
            Err(e) => failures.push(format!("--where {w:?}: prestige failed ({e}); DuckDB found {} rows", want.len())),
        }
    }
    let elapsed = started.elapsed();
    eprintln!(
        "differential scan: seed {seed}: {} predicates ({nonempty} non-empty), {} failed, {rg_pruned} row groups and \
         {page_pruned} rows pruned by statistics, {:.1}s",
        cases.len(),
        failures.len(),
        elapsed.as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "PRESTIGE_DIFF_SEED={seed}: {} of {} predicates differ from DuckDB:\n{}",
        failures.len(),
        cases.len(),
        failures.iter().take(15).cloned().collect::<Vec<_>>().join("\n")
    );
    // The comparison means something only if predicates select rows and statistics actually prune.
    assert!(nonempty > CASES / 3, "seed {seed}: only {nonempty} predicates matched any row");
    assert!(rg_pruned > 0 && page_pruned > 0, "seed {seed}: no pruning happened ({rg_pruned} row groups, {page_pruned} rows)");
}
