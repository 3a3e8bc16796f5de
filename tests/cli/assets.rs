//! The committed completions/ and man/ match what the binary generates from its clap definitions. The man pages
//! carry every command's full help (descriptions, options, defaults, values, examples), so they are also the
//! snapshot of the `--help` text: a help change shows up as a diff of man/ in review.

use std::path::Path;

use crate::common::*;

#[test]
fn committed_completions_and_man_pages_are_current() {
    let tmp = tempfile::tempdir().unwrap();
    let out = prestige().args(["generate-assets", tmp.path().to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["completions", "man"] {
        let fresh = tmp.path().join(dir);
        let mut names: Vec<_> = std::fs::read_dir(&fresh).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert!(!names.is_empty());
        for n in &names {
            let committed = std::fs::read(repo.join(dir).join(n)).unwrap_or_default();
            let generated = std::fs::read(fresh.join(n)).unwrap();
            assert!(
                committed == generated,
                "{dir}/{} is stale: run `cargo run -- generate-assets .` and commit",
                n.to_string_lossy()
            );
        }
        let committed: Vec<_> = std::fs::read_dir(repo.join(dir)).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(committed.len(), names.len(), "{dir}/ has files the binary no longer generates");
    }
    // Completions are printed for each supported shell.
    for shell in ["bash", "zsh", "fish"] {
        let out = prestige().args(["completions", shell]).output().unwrap();
        assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ingest"), "{shell}");
    }
}
