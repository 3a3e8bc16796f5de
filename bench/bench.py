"""Benchmark driver: runs prestige and its peers on the same input and prints ratios.

usage: python bench.py ingest [--rows N] [--runs K]
Each tool runs as its own process; wall time is measured around it and peak RSS is read from wait4(2).
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")


def run(cmd, env=None):
    """Runs cmd; returns (seconds, peak RSS in MiB)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    err = p.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{cmd[0]} failed ({status}):\n{err}")
    return wall, usage.ru_maxrss / 1024.0


def parquet_rows(paths):
    import pyarrow.parquet as pq
    return sum(pq.ParquetFile(p).metadata.num_rows for p in paths)


def files_under(d):
    return sorted(os.path.join(d, n) for n in os.listdir(d) if n.endswith(".parquet"))


def summarize(name, title, results, input_mb, min_ratio):
    """Prints the comparison table and the bar verdict; saves the figures; returns whether the bar holds."""
    rows = results["duckdb"]["rows"]
    print(f"\n{title}\n")
    print(f"{'tool':<10}{'wall s':>9}{'rows/s':>12}{'MB/s':>8}{'vs duckdb':>11}{'peak RSS MiB':>14}{'output MB':>11}{'rows':>10}")
    for tool, r in results.items():
        ratio = results["duckdb"]["wall_s"] / r["wall_s"]
        print(f"{tool:<10}{r['wall_s']:>9.2f}{r['rows'] / r['wall_s']:>12,.0f}{input_mb / r['wall_s']:>8.0f}"
              f"{ratio:>10.2f}x{r['peak_rss_mib']:>14.0f}{r['output_mb']:>11.1f}{r['rows']:>10}")
        if r["rows"] != rows:
            sys.exit(f"{tool} wrote {r['rows']} rows, duckdb {rows}: the runs are not comparable")
    p = results["prestige"]
    ratio = results["duckdb"]["wall_s"] / p["wall_s"]
    ok = ratio >= min_ratio and p["peak_rss_mib"] <= 256
    print(f"\nbar: prestige >= {min_ratio}x duckdb and peak RSS <= 256 MiB: "
          f"{ratio:.2f}x, {p['peak_rss_mib']:.0f} MiB -> {'PASS' if ok else 'FAIL'}")
    with open(os.path.join(OUT, f"{name}-results.json"), "w") as f:
        json.dump(results, f, indent=2)
    return ok


def ingest(args):
    prestige = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "prestige")
    os.makedirs(OUT, exist_ok=True)
    src = os.path.join(OUT, f"events-{args.rows}.ndjson")
    if not os.path.exists(src):
        print(f"generating {args.rows} rows into {src}", file=sys.stderr)
        subprocess.check_call([sys.executable, os.path.join(HERE, "gen_ndjson.py"), src + ".tmp", str(args.rows)])
        os.rename(src + ".tmp", src)
    size_mb = os.path.getsize(src) / 1e6
    threads = str(os.cpu_count() or 2)
    schema = os.path.join(HERE, "ingest_schema.json")
    # Warm the page cache so every tool reads from memory.
    with open(src, "rb") as f:
        while f.read(1 << 24):
            pass

    results = {}
    for tool in ["prestige", "duckdb", "polars"]:
        best = None
        for _ in range(args.runs):
            dest = os.path.join(OUT, f"ingest-{tool}")
            subprocess.call(["rm", "-rf", dest])
            os.makedirs(dest)
            if tool == "prestige":
                cmd = [prestige, "ingest", src, "--to", dest, "--schema", schema, "--compression", "zstd",
                       "--state-dir", os.path.join(OUT, "state"), "--restart", "--format", "json", "--no-progress"]
            else:
                cmd = [sys.executable, os.path.join(HERE, "peers.py"), tool, src, os.path.join(dest, "out.parquet"), threads]
            wall, rss = run(cmd)
            if best is None or wall < best[0]:
                best = (wall, rss, dest)
        wall, rss, dest = best
        files = files_under(dest)
        results[tool] = {
            "wall_s": wall,
            "peak_rss_mib": rss,
            "rows": parquet_rows(files),
            "output_mb": sum(os.path.getsize(f) for f in files) / 1e6,
        }

    title = f"ingest benchmark: {args.rows} rows, {size_mb:.0f} MB NDJSON, explicit schema, zstd, {threads} cores"
    ok = summarize("ingest", title, results, size_mb, min_ratio=0.8)
    return 0 if ok else 1


def compact(args):
    """1,000 small Parquet files (written by prestige ingest) merged into one: prestige vs DuckDB vs Polars."""
    import shutil
    prestige = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "prestige")
    os.makedirs(OUT, exist_ok=True)
    src = os.path.join(OUT, f"events-{args.rows}.ndjson")
    if not os.path.exists(src):
        subprocess.check_call([sys.executable, os.path.join(HERE, "gen_ndjson.py"), src + ".tmp", str(args.rows)])
        os.rename(src + ".tmp", src)
    seed = os.path.join(OUT, f"compact-seed-{args.files}")
    if not os.path.isdir(seed):
        rows_per_file = args.rows // args.files
        subprocess.check_call([prestige, "ingest", src, "--to", seed + ".tmp", "--prefix", "events",
                               "--schema", os.path.join(HERE, "ingest_schema.json"), "--max-rows", str(rows_per_file),
                               "--state-dir", os.path.join(OUT, "state"), "--restart", "--no-progress", "-q"],
                              stdout=subprocess.DEVNULL)
        os.rename(seed + ".tmp", seed)
    files = sorted(n for n in os.listdir(seed) if n.endswith(".parquet"))
    total_mb = sum(os.path.getsize(os.path.join(seed, n)) for n in files) / 1e6
    results = {}
    for tool in ["prestige", "duckdb", "polars"]:
        best = None
        for _ in range(args.runs):
            work = os.path.join(OUT, f"compact-{tool}")
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(seed, work)
            out = os.path.join(OUT, f"compact-{tool}-out.parquet")
            if os.path.exists(out):
                os.remove(out)
            if tool == "prestige":
                cmd = [prestige, "compact", work, "--prefix", "events", "--target-bytes", "1GiB",
                       "--state-dir", os.path.join(OUT, "state"), "--format", "json", "--no-progress"]
            else:
                cmd = [sys.executable, os.path.join(HERE, "peers.py"), f"{tool}-compact",
                       os.path.join(work, "events.*.parquet"), out, str(os.cpu_count() or 2)]
            wall, rss = run(cmd)
            if best is None or wall < best[0]:
                best = (wall, rss, work, out)
        wall, rss, work, out = best
        outs = [os.path.join(work, n) for n in os.listdir(work) if n.endswith(".c.parquet")] if tool == "prestige" else [out]
        results[tool] = {"wall_s": wall, "peak_rss_mib": rss, "rows": parquet_rows(outs),
                         "output_mb": sum(os.path.getsize(f) for f in outs) / 1e6}
    rows = results["duckdb"]["rows"]
    title = f"compact benchmark: {len(files)} files, {total_mb:.0f} MB, {rows} rows, zstd, {os.cpu_count()} cores"
    ok = summarize("compact", title, results, total_mb, min_ratio=1.0)
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="bench", required=True)
    i = sub.add_parser("ingest")
    i.add_argument("--rows", type=int, default=2_000_000)
    i.add_argument("--runs", type=int, default=2)
    c = sub.add_parser("compact")
    c.add_argument("--files", type=int, default=1000)
    c.add_argument("--rows", type=int, default=2_000_000)
    c.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    sys.exit({"ingest": ingest, "compact": compact}[args.bench](args))


if __name__ == "__main__":
    main()
