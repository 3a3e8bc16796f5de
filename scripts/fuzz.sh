#!/usr/bin/env bash
# Fuzzes the prestige library with cargo-fuzz (libFuzzer): three targets in fuzz/fuzz_targets/
#   ndjson      NDJSON bytes -> infer_schema -> LineDecoder -> Parquet in memory (+ read-back equality)
#   schema      schema file -> parse_schema -> LineDecoder -> decode the following lines -> Parquet
#   where_expr  --where text -> expr::bind over every column type -> evaluate + may_match (pruning soundness)
#
# usage: scripts/fuzz.sh [SECONDS]     each target runs SECONDS (default 60), one after the other
# env:   FUZZ_TARGETS="ndjson schema where_expr"   which targets
#        FUZZ_SANITIZER=none|address               default none (see below)
#        PRESTIGE_FUZZ_SPEC=1                      ndjson: also require every inference-sample line to decode
#                                                  against the schema inferred from it (issue 9 inference rules)
#
# Decisions:
# - Stable toolchain only: cargo-fuzz needs nightly flags (-Zsanitizer, sancov passes), so RUSTC_BOOTSTRAP=1.
# - --sanitizer none: prestige is safe Rust, so the findings are panics, aborts, overflow (cargo-fuzz builds
#   with debug assertions and overflow checks) and the targets' own invariants; AddressSanitizer would only add
#   value for unsafe code, makes the (aws-sdk + arrow + parquet) release build much slower and runs ~2-3x slower
#   on this 2-core machine. FUZZ_SANITIZER=address still works where wanted.
# - Builds go to fuzz/target (cargo-fuzz's default; fuzz/ is its own workspace with its own Cargo.lock), never
#   to the main CARGO_TARGET_DIR, and run under nice -n 10, one target at a time.
# - The growing corpus lives in fuzz/corpus/<target> (seeded from fuzz/seeds/<target>), crashes in
#   fuzz/artifacts/<target>; neither is committed. Reproduce a crash with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz --sanitizer none <target> <artifact>
#   and minimise it with cargo fuzz tmin (same flags).
# Exit status: 0 if no target found anything, 1 otherwise (each crash's artifact is printed).
set -euo pipefail

secs="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
unset CARGO_TARGET_DIR
export RUSTC_BOOTSTRAP=1
san="${FUZZ_SANITIZER:-none}"
targets="${FUZZ_TARGETS:-ndjson schema where_expr}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    nice -n 10 cargo install cargo-fuzz --locked
fi

echo "building fuzz targets (sanitizer: $san)" >&2
nice -n 10 cargo fuzz build --fuzz-dir fuzz --sanitizer "$san" >&2

found=0
for t in $targets; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    extra=()
    [ -f "fuzz/dict/$t.dict" ] && extra+=("-dict=fuzz/dict/$t.dict")
    echo "== $t: ${secs}s" >&2
    if ! nice -n 10 cargo fuzz run --fuzz-dir fuzz --sanitizer "$san" "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="fuzz/artifacts/$t/" "${extra[@]}"; then
        found=1
        echo "!! $t found a crash:" >&2
        ls -1 "fuzz/artifacts/$t" >&2
        echo "   minimise: RUSTC_BOOTSTRAP=1 cargo fuzz tmin --fuzz-dir fuzz --sanitizer $san $t fuzz/artifacts/$t/<file>" >&2
    fi
done
exit "$found"
