"""Benchmark driver: runs prestige and its peers on the same input and prints ratios.

usage: python bench.py {ingest|compact|scan|iceberg|iceberg-compact} [--rows N] [--runs K]
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
    return run_timed(cmd, env)[:2]


def run_timed(cmd, env=None):
    """Runs cmd; returns (seconds, peak RSS in MiB, in-process query seconds a peer reported or the wall time).
    A Python peer pays interpreter start-up and module import; it reports the time of the query alone on
    stderr ("peer-query-seconds: X") so the stricter comparison can be made too."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    err = p.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{cmd[0]} failed ({status}):\n{err}")
    query = [float(line.split(":", 1)[1]) for line in err.splitlines() if line.startswith("peer-query-seconds:")]
    return wall, usage.ru_maxrss / 1024.0, query[-1] if query else wall


def parquet_rows(paths):
    import pyarrow.parquet as pq
    return sum(pq.ParquetFile(p).metadata.num_rows for p in paths)


def files_under(d):
    return sorted(os.path.join(d, n) for n in os.listdir(d) if n.endswith(".parquet"))


def summarize(name, title, results, input_mb, min_ratio, input_rows=None):
    """Prints the comparison table and the bar verdict; saves the figures; returns whether the bar holds.
    rows/s counts input rows when `input_rows` is given (scans), else rows written."""
    rows = results["duckdb"]["rows"]
    print(f"\n{title}\n")
    print(f"{'tool':<10}{'wall s':>9}{'rows/s':>12}{'MB/s':>8}{'vs duckdb':>11}{'peak RSS MiB':>14}{'output MB':>11}{'rows':>10}")
    for tool, r in results.items():
        ratio = results["duckdb"]["wall_s"] / r["wall_s"]
        print(f"{tool:<10}{r['wall_s']:>9.2f}{(input_rows or r['rows']) / r['wall_s']:>12,.0f}{input_mb / r['wall_s']:>8.0f}"
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


SCAN_QUERIES = [
    # (name, where, columns): a selective filter on unsorted columns, and a narrow time range on the sorted ts.
    ("filter", "event = 'purchase' AND amount > 450", "id,user_id,amount"),
    ("time-range", "ts >= '2024-05-01T10:00:00Z' AND ts < '2024-05-01T10:05:00Z'", "id,ts,event"),
]


def csv_rows(path):
    with open(path, "rb") as f:
        return max(sum(1 for _ in f) - 1, 0)


def scan(args):
    """A selective filter + 3-column projection over >= 3M rows in >= 20 files: prestige vs DuckDB vs Polars."""
    prestige = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "prestige")
    os.makedirs(OUT, exist_ok=True)
    src = os.path.join(OUT, f"events-{args.rows}.ndjson")
    if not os.path.exists(src):
        print(f"generating {args.rows} rows into {src}", file=sys.stderr)
        subprocess.check_call([sys.executable, os.path.join(HERE, "gen_ndjson.py"), src + ".tmp", str(args.rows)])
        os.rename(src + ".tmp", src)
    seed = os.path.join(OUT, f"scan-seed-{args.rows}-{args.files}")
    if not os.path.isdir(seed):
        subprocess.check_call([prestige, "ingest", src, "--to", seed + ".tmp", "--prefix", "events",
                               "--schema", os.path.join(HERE, "ingest_schema.json"),
                               "--max-rows", str(args.rows // args.files), "--row-group-rows", "131072",
                               "--state-dir", os.path.join(OUT, "state"), "--restart", "--no-progress", "-q"],
                              stdout=subprocess.DEVNULL)
        os.rename(seed + ".tmp", seed)
    files = files_under(seed)
    total_mb = sum(os.path.getsize(f) for f in files) / 1e6
    for f in files:  # warm the page cache
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass
    threads = str(os.cpu_count() or 2)
    pattern = os.path.join(seed, "events.*.parquet")
    ok = True
    figures = {}
    for qname, where, cols in SCAN_QUERIES:
        results = {}
        for tool in ["prestige", "duckdb", "polars"]:
            best = None
            out = os.path.join(OUT, f"scan-{qname}-{tool}.csv")
            for _ in range(args.runs):
                if tool == "prestige":
                    cmd = [prestige, "scan", seed, "--prefix", "events", "--where", where, "--columns", cols,
                           "--format", "csv", "--out", out, "--no-progress"]
                else:
                    cmd = [sys.executable, os.path.join(HERE, "peers.py"), f"{tool}-scan", pattern, out, threads,
                           where, cols]
                wall, rss, query = run_timed(cmd)
                if best is None or wall < best[0]:
                    best = (wall, rss, query)
            results[tool] = {"wall_s": best[0], "peak_rss_mib": best[1], "rows": csv_rows(out),
                             "output_mb": os.path.getsize(out) / 1e6, "query_s": best[2]}
        title = (f"scan benchmark ({qname}): WHERE {where}; columns {cols}; {len(files)} files, "
                 f"{args.rows} rows, {total_mb:.0f} MB, {threads} cores")
        ok = summarize(f"scan-{qname}", title, results, total_mb, min_ratio=0.8, input_rows=args.rows) and ok
        strict = results["duckdb"]["query_s"] / results["prestige"]["wall_s"]
        print(f"stricter: prestige's whole process vs DuckDB's in-process query alone "
              f"({results['duckdb']['query_s']:.2f} s, no interpreter start-up or import): {strict:.2f}x")
        figures[qname] = results
    if args.s3:
        ok = scan_s3(prestige, seed, files, figures) and ok
    return 0 if ok else 1


def scan_s3(prestige, seed, files, figures):
    """The same scans against a local SeaweedFS S3 server: prestige vs DuckDB (httpfs) on identical objects."""
    import shutil
    import socket
    import tempfile
    weed = shutil.which("weed") or os.path.join(os.path.dirname(sys.executable), "weed")

    def free_port():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    # weed also listens on port + 10000 for gRPC: pick ports below 55000.
    ports = []
    while len(ports) < 7:
        p = free_port()
        if p < 55000 and p not in ports:
            ports.append(p)
    d = tempfile.mkdtemp(prefix="prestige-bench-s3-")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench-secret",
               AWS_REGION="us-east-1", AWS_ENDPOINT_URL=f"http://127.0.0.1:{ports[3]}")
    srv = subprocess.Popen([weed, "mini", f"-dir={d}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-webdav=false",
                            "-admin.ui=false", f"-master.port={ports[0]}", f"-volume.port={ports[1]}",
                            f"-filer.port={ports[2]}", f"-s3.port={ports[3]}", f"-s3.port.iceberg={ports[4]}",
                            f"-admin.port={ports[5]}", f"-s3.port.lance={ports[6]}"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while subprocess.run([sys.executable, os.path.join(HERE, "peers.py"), "s3-mkbucket", "bench", "", "0"],
                             env=env, capture_output=True).returncode != 0:
            if time.time() > deadline:
                sys.exit("SeaweedFS did not start")
            time.sleep(0.5)
        subprocess.check_call([prestige, "upload", seed, "--to", "s3://bench/seed", "--format", "json", "-q"],
                              env=env, stdout=subprocess.DEVNULL)
        ok = True
        print("\nS3 (local SeaweedFS, same objects):")
        print(f"{'query':<12}{'prestige s':>12}{'duckdb s':>10}{'vs duckdb':>11}{'duckdb query s':>16}"
              f"{'stricter':>10}{'prestige RSS':>14}")
        for qname, where, cols in SCAN_QUERIES:
            res = {}
            for tool in ["prestige", "duckdb"]:
                out = os.path.join(OUT, f"scan-s3-{qname}-{tool}.csv")
                if tool == "prestige":
                    cmd = [prestige, "scan", "s3://bench/seed", "--prefix", "events", "--where", where,
                           "--columns", cols, "--format", "csv", "--out", out, "--no-progress"]
                else:
                    cmd = [sys.executable, os.path.join(HERE, "peers.py"), "duckdb-scan-s3",
                           "s3://bench/seed/events.*.parquet", out, str(os.cpu_count() or 2), where, cols]
                best = None
                for _ in range(3):
                    wall, rss, query = run_timed(cmd, env)
                    if best is None or wall < best[0]:
                        best = (wall, rss, query)
                res[tool] = (best[0], best[1], csv_rows(out), best[2])
            if res["prestige"][2] != res["duckdb"][2] or res["prestige"][2] != figures[qname]["duckdb"]["rows"]:
                sys.exit(f"S3 {qname}: row counts differ: {res}")
            print(f"{qname:<12}{res['prestige'][0]:>12.2f}{res['duckdb'][0]:>10.2f}"
                  f"{res['duckdb'][0] / res['prestige'][0]:>10.2f}x{res['duckdb'][3]:>16.2f}"
                  f"{res['duckdb'][3] / res['prestige'][0]:>9.2f}x{res['prestige'][1]:>14.0f}")
            figures[qname]["s3"] = {"prestige_wall_s": res["prestige"][0], "duckdb_wall_s": res["duckdb"][0],
                                    "duckdb_query_s": res["duckdb"][3]}
        with open(os.path.join(OUT, "scan-s3-results.json"), "w") as f:
            json.dump(figures, f, indent=2)
        return ok
    finally:
        srv.kill()
        srv.wait()
        shutil.rmtree(d, ignore_errors=True)


# bench/iceberg ------------------------------------------------------------------------------------------------

ICEBERG_TABLE = "bench.events"


def corpus(rows):
    """The generated NDJSON corpus of `rows` events (shared with the other benchmarks), in the page cache."""
    os.makedirs(OUT, exist_ok=True)
    src = os.path.join(OUT, f"events-{rows}.ndjson")
    if not os.path.exists(src):
        print(f"generating {rows} rows into {src}", file=sys.stderr)
        subprocess.check_call([sys.executable, os.path.join(HERE, "gen_ndjson.py"), src + ".tmp", str(rows)])
        os.rename(src + ".tmp", src)
    with open(src, "rb") as f:
        while f.read(1 << 24):
            pass
    return src


def iceberg_schema(work):
    """ingest_schema.json with `ts` as `timestamptz`: Iceberg stores timestamps in microseconds, and prestige
    refuses `--create --schema` whose `timestamp(ms, UTC)` differs from the µs table column it has just created.
    Same values and the same table; every peer writes µs too."""
    with open(os.path.join(HERE, "ingest_schema.json")) as f:
        schema = json.load(f)
    for field in schema["fields"]:
        if field["name"] == "ts":
            field["type"] = "timestamptz"
    path = os.path.join(work, "schema.json")
    with open(path, "w") as f:
        json.dump(schema, f)
    return path


def iceberg_peer(*args):
    return [sys.executable, os.path.join(HERE, "iceberg_peers.py"), *args]


def iceberg_verify(cat_args, table, rows, tool, env=None):
    """Reads the table back with PyIceberg; exits unless it holds ids 0..rows-1 exactly once."""
    out = subprocess.run(iceberg_peer(*cat_args, "verify", table), env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"verifying {tool}'s table {table} failed:\n{out.stderr}")
    v = json.loads(out.stdout)
    if (v["rows"], v["distinct_ids"], v["min_id"], v["max_id"]) != (rows, rows, 0, rows - 1):
        sys.exit(f"{tool}'s table {table} does not hold the {rows} input rows exactly once: {v}")
    if "day(" not in v["spec"]:
        sys.exit(f"{tool}'s table {table} is not partitioned by day(ts): {v['spec']}")
    return v


def iceberg_print(title, results, rows, input_mb, ref_label, ref_wall):
    print(f"\n{title}\n")
    print(f"{'tool':<11}{'wall s':>8}{'rows/s':>12}{'MB/s':>7}{'vs ' + ref_label:>17}{'peak RSS MiB':>14}"
          f"{'in-process s':>14}{'files':>7}{'output MB':>11}{'rows':>10}")
    for tool, r in results.items():
        inproc = f"{r['query_s']:.2f}" if tool != "prestige" else ""
        print(f"{tool:<11}{r['wall_s']:>8.2f}{rows / r['wall_s']:>12,.0f}{input_mb / r['wall_s']:>7.0f}"
              f"{ref_wall / r['wall_s']:>16.2f}x{r['peak_rss_mib']:>14.0f}{inproc:>14}{r['files']:>7}"
              f"{r['output_mb']:>11.1f}{r['rows']:>10}")


def iceberg_ingest_part(label, tools, cmd_for, cat_args, env_for, rows, runs, drop=False):
    """Times each tool's ingest into a fresh table `runs` times, reads every table back (dropping it afterwards
    with `drop`) and returns each tool's best run."""
    results = {}
    for tool in tools:
        best = None
        for run_no in range(runs):
            cmd, table = cmd_for(tool, run_no)
            wall, rss, query = run_timed(cmd, env_for(tool))
            v = iceberg_verify(cat_args(tool), table, rows, f"{label} {tool}", env_for(None))
            print(f"  ingest {label} {tool} run {run_no + 1}: {wall:.2f} s, {rss:.0f} MiB", file=sys.stderr)
            if drop:
                subprocess.run(iceberg_peer(*cat_args(tool), "drop", table), env=env_for(None), capture_output=True)
            if best is None or wall < best["wall_s"]:
                best = {"wall_s": wall, "peak_rss_mib": rss, "query_s": query, "rows": v["rows"],
                        "files": v["files"], "output_mb": v["bytes"] / 1e6, "snapshots": v["snapshots"]}
        results[tool] = best
    return results


def ingest_bar(label, results, min_ratio=1.5, max_rss=256):
    peers = {t: r for t, r in results.items() if t != "prestige"}
    fastest = min(peers, key=lambda t: peers[t]["wall_s"])
    p = results["prestige"]
    ratio = peers[fastest]["wall_s"] / p["wall_s"]
    ok = ratio >= min_ratio and p["peak_rss_mib"] <= max_rss
    print(f"\nbar ({label}): prestige >= {min_ratio}x the fastest peer ({fastest}) and peak RSS <= {max_rss} MiB: "
          f"{ratio:.2f}x, {p['peak_rss_mib']:.0f} MiB -> {'PASS' if ok else 'FAIL'}")
    return ok, fastest, ratio


def start_seaweedfs(key, secret):
    """`weed mini` with S3 and the Iceberg REST catalog (table bucket `warehouse`) on free loopback ports, in its
    own process group (the pip `weed` is a wrapper that starts a child). Returns (process, dir, env)."""
    import shutil
    import socket
    import tempfile
    weed = shutil.which("weed") or os.path.join(os.path.dirname(sys.executable), "weed")

    def free_port():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    ports = []
    while len(ports) < 7:  # weed also listens on port + 10000 for gRPC
        p = free_port()
        if p < 55000 and p not in ports:
            ports.append(p)
    d = tempfile.mkdtemp(prefix="prestige-bench-iceberg-")
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_REGION="us-east-1",
               AWS_ENDPOINT_URL=f"http://127.0.0.1:{ports[3]}", AWS_EC2_METADATA_DISABLED="true")
    with open(os.path.join(d, "weed.log"), "w") as log:
        srv = subprocess.Popen([weed, "mini", f"-dir={d}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-webdav=false",
                                "-admin.ui=false", f"-master.port={ports[0]}", f"-volume.port={ports[1]}",
                                f"-filer.port={ports[2]}", f"-s3.port={ports[3]}", f"-s3.port.iceberg={ports[4]}",
                                f"-admin.port={ports[5]}", f"-s3.port.lance={ports[6]}", "-tableBucket=warehouse"],
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    env["BENCH_ICEBERG_URI"] = f"http://127.0.0.1:{ports[4]}"
    return srv, d, env


def stop_seaweedfs(srv, d):
    import shutil
    import signal
    try:
        os.killpg(srv.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    srv.wait()
    shutil.rmtree(d, ignore_errors=True)


def iceberg(args):
    """Issue bar 7: NDJSON -> an Iceberg table partitioned by day(ts), on the SQLite catalog with local files
    (prestige vs PyIceberg) and on SeaweedFS's REST catalog (prestige vs DuckDB vs PyIceberg); then selective
    scans of the SQLite table (prestige vs DuckDB's iceberg_scan vs PyIceberg)."""
    import shutil
    prestige = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "prestige")
    src = corpus(args.rows)
    size_mb = os.path.getsize(src) / 1e6
    rows = args.rows
    work = os.path.join(OUT, f"iceberg-{rows}")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    schema = iceberg_schema(work)
    threads = str(os.cpu_count() or 2)
    figures = {}
    bars = []

    # (a) SQLite catalog + local files: prestige vs PyIceberg.
    def sqlite_paths(tool):
        d = os.path.join(work, f"sqlite-{tool}")
        return d, os.path.join(d, "catalog.db"), os.path.join(d, "wh")

    def sqlite_cmd(tool, _run):
        d, db, wh = sqlite_paths(tool)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(wh)
        if tool == "prestige":
            return [prestige, "--catalog", f"sqlite:///{db}", "--warehouse", wh, "ingest", src,
                    "--table", ICEBERG_TABLE, "--create", "--schema", schema, "--partition-by", "day(ts)",
                    "--state-dir", os.path.join(d, "state"), "--format", "json", "--no-progress"], ICEBERG_TABLE
        return iceberg_peer("--sqlite", db, "--warehouse", wh, "pyiceberg-ingest", src, ICEBERG_TABLE), ICEBERG_TABLE

    def sqlite_cat(tool):
        _, db, wh = sqlite_paths(tool)
        return ["--sqlite", db, "--warehouse", wh]

    res = iceberg_ingest_part("sqlite", ["prestige", "pyiceberg"], sqlite_cmd, sqlite_cat, lambda _: None, rows,
                              args.runs)
    fastest = min((t for t in res if t != "prestige"), key=lambda t: res[t]["wall_s"])
    iceberg_print(f"iceberg ingest, SQLite catalog + local files: {rows} rows, {size_mb:.0f} MB NDJSON -> "
                  f"{ICEBERG_TABLE} partitioned by day(ts), zstd, {threads} cores, best of {args.runs}",
                  res, rows, size_mb, fastest, res[fastest]["wall_s"])
    ok, _, ratio = ingest_bar("ingest, SQLite catalog", res)
    bars.append(("ingest, SQLite catalog", ok))
    figures["ingest-sqlite"] = {"results": res, "fastest_peer": fastest, "ratio": ratio, "pass": ok}

    # (a) SeaweedFS Iceberg REST catalog + its S3: prestige vs DuckDB vs PyIceberg.
    if not args.no_rest:
        key, secret = "bench", "bench-secret"
        srv, sdir, env = start_seaweedfs(key, secret)
        try:
            uri = env["BENCH_ICEBERG_URI"]
            deadline = time.time() + 60
            while subprocess.run(iceberg_peer("--rest", uri, "mkns", "bench"), env=env, capture_output=True).returncode:
                if time.time() > deadline or srv.poll() is not None:
                    sys.exit(f"SeaweedFS did not start: see {sdir}/weed.log")
                time.sleep(0.5)
            # Warm the server up (its first writes allocate volumes), untimed: a small PyIceberg table, dropped.
            warm = os.path.join(work, "warmup.ndjson")
            with open(src, "rb") as f, open(warm, "wb") as w:
                for _ in range(min(rows, 10_000)):
                    w.write(f.readline())
            for tool in ["pyiceberg", "duckdb"]:
                subprocess.check_call(iceberg_peer("--rest", uri, f"{tool}-ingest", warm, f"bench.warmup_{tool}"), env=env,
                                      stderr=subprocess.DEVNULL)
                subprocess.check_call(iceberg_peer("--rest", uri, "drop", f"bench.warmup_{tool}"), env=env)
            # prestige: --catalog URI with PyIceberg's environment overrides for the catalog named `default`; no
            # vended-credentials header (SeaweedFS would answer with an empty config); S3 from AWS_*.
            penv = dict(env, PYICEBERG_CATALOG__DEFAULT__CREDENTIAL=f"{key}:{secret}",
                        PYICEBERG_CATALOG__DEFAULT__HEADER__X_ICEBERG_ACCESS_DELEGATION="")

            def rest_cmd(tool, run_no):
                table = f"bench.events_{tool}_{run_no}"
                if tool == "prestige":
                    state = os.path.join(work, f"rest-state-{run_no}")
                    shutil.rmtree(state, ignore_errors=True)
                    return [prestige, "--catalog", uri, "--warehouse", "warehouse", "ingest", src, "--table", table,
                            "--create", "--schema", schema, "--partition-by", "day(ts)", "--state-dir", state,
                            "--format", "json", "--no-progress"], table
                return iceberg_peer("--rest", uri, f"{tool}-ingest", src, table), table

            results = iceberg_ingest_part("rest", ["prestige", "duckdb", "pyiceberg"], rest_cmd,
                                          lambda _: ["--rest", uri], lambda t: penv if t == "prestige" else env,
                                          rows, args.runs, drop=True)
            fastest = min((t for t in results if t != "prestige"), key=lambda t: results[t]["wall_s"])
            iceberg_print(f"iceberg ingest, SeaweedFS REST catalog + S3 (loopback): {rows} rows, {size_mb:.0f} MB "
                          f"NDJSON -> a table partitioned by day(ts), {threads} cores, best of {args.runs}",
                          results, rows, size_mb, fastest, results[fastest]["wall_s"])
            ok, _, ratio = ingest_bar("ingest, REST catalog", results)
            bars.append(("ingest, REST catalog", ok))
            figures["ingest-rest"] = {"results": results, "fastest_peer": fastest, "ratio": ratio, "pass": ok}
        finally:
            stop_seaweedfs(srv, sdir)

    # (b) Selective scans of prestige's SQLite-catalog table: prestige vs DuckDB iceberg_scan vs PyIceberg.
    _, db, wh = sqlite_paths("prestige")
    cat = ["--sqlite", db, "--warehouse", wh]
    import sqlite3
    with sqlite3.connect(db) as con:
        (metadata,) = con.execute("SELECT metadata_location FROM iceberg_tables WHERE table_namespace = ? AND "
                                  "table_name = ?", ICEBERG_TABLE.rsplit(".", 1)).fetchone()
    metadata_path = metadata[len("file://"):] if metadata.startswith("file://") else metadata
    for qname, where, cols in SCAN_QUERIES:
        # PyIceberg's row filter wants an explicit offset in timestamptz literals.
        py_where = where.replace("Z'", "+00:00'")
        results = {}
        for tool in ["prestige", "duckdb", "pyiceberg"]:
            out = os.path.join(work, f"scan-{qname}-{tool}.csv")
            if tool == "prestige":
                cmd = [prestige, "--catalog", f"sqlite:///{db}", "--warehouse", wh, "scan", "--table", ICEBERG_TABLE,
                       "--where", where, "--columns", cols, "--format", "csv", "--out", out, "--no-progress"]
            elif tool == "duckdb":
                cmd = iceberg_peer("duckdb-scan", metadata_path, out, where, cols, threads)
            else:
                cmd = iceberg_peer(*cat, "pyiceberg-scan", ICEBERG_TABLE, out, py_where, cols)
            best = None
            for _ in range(args.runs):
                wall, rss, query = run_timed(cmd)
                if best is None or wall < best[0]:
                    best = (wall, rss, query)
            results[tool] = {"wall_s": best[0], "peak_rss_mib": best[1], "query_s": best[2], "rows": csv_rows(out),
                             "files": 1, "output_mb": os.path.getsize(out) / 1e6}
        counts = {t: r["rows"] for t, r in results.items()}
        if len(set(counts.values())) != 1 or not counts["duckdb"]:
            sys.exit(f"scan {qname}: the tools returned different row counts: {counts}")
        table_mb = figures["ingest-sqlite"]["results"]["prestige"]["output_mb"]
        iceberg_print(f"iceberg scan ({qname}): WHERE {where}; columns {cols}; {ICEBERG_TABLE} on the SQLite catalog "
                      f"({rows} rows, {table_mb:.0f} MB written by prestige) -> CSV, best of {args.runs}",
                      results, rows, table_mb, "duckdb", results["duckdb"]["wall_s"])
        ratio = results["duckdb"]["wall_s"] / results["prestige"]["wall_s"]
        ok = ratio >= 1.0
        print(f"\nbar (scan {qname}): prestige >= 1x DuckDB: {ratio:.2f}x -> {'PASS' if ok else 'FAIL'}")
        strict = results["duckdb"]["query_s"] / results["prestige"]["wall_s"]
        print(f"stricter: prestige's whole process vs DuckDB's in-process query alone "
              f"({results['duckdb']['query_s']:.2f} s): {strict:.2f}x")
        bars.append((f"scan {qname}", ok))
        figures[f"scan-{qname}"] = {"results": results, "ratio": ratio, "strict_ratio": strict, "pass": ok}

    print("\nbars: " + ", ".join(f"{name} {'PASS' if ok else 'FAIL'}" for name, ok in bars))
    with open(os.path.join(OUT, "iceberg-results.json"), "w") as f:
        json.dump(figures, f, indent=2)
    return 0


# bench/iceberg-compact ----------------------------------------------------------------------------------------

REGIONS = ["eu-west", "eu-north", "eu-central", "us-east", "us-west", "sa-east", "ap-south", "ap-east", "af-south",
           "me-central"]


def compact_corpus(rows):
    """NDJSON events with a `region` of 10 values (the identity partition), generated once into bench/out."""
    import random
    os.makedirs(OUT, exist_ok=True)
    src = os.path.join(OUT, f"compact-events-{rows}.ndjson")
    if not os.path.exists(src):
        rnd = random.Random(7)
        with open(src + ".tmp", "w") as f:
            for i in range(rows):
                f.write(json.dumps({"id": i, "ts": f"2024-05-{1 + i // 1_728_000:02d}T{i // 72_000 % 24:02d}:{i // 1200 % 60:02d}:{i // 20 % 60:02d}.{i % 20 * 50:03d}Z",
                                    "region": REGIONS[rnd.randrange(len(REGIONS))], "user_id": rnd.randrange(1_000_000),
                                    "amount": round(rnd.random() * 500, 2), "session": "%016x" % rnd.getrandbits(64)},
                                   separators=(",", ":")) + "\n")
        os.rename(src + ".tmp", src)
    schema = os.path.join(OUT, "compact-events-schema.json")
    with open(schema, "w") as f:
        json.dump([{"name": "id", "type": "int64", "nullable": False}, {"name": "ts", "type": "timestamptz"},
                   {"name": "region", "type": "string"}, {"name": "user_id", "type": "int64"},
                   {"name": "amount", "type": "float64"}, {"name": "session", "type": "string"}], f)
    return src, schema


def iceberg_compact(args):
    """Issue 11 bar 6: a table of `--files` small files over 10 identity partitions (`--rows` rows), compacted by
    `prestige compact --table` vs the same rewrite with PyIceberg (read each partition, `overwrite` it); SQLite
    catalog + local files, then the SeaweedFS REST catalog + S3. Each run gets a freshly built table (untimed)."""
    import shutil
    prestige = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "prestige")
    src, schema = compact_corpus(args.rows)
    work = os.path.join(OUT, "iceberg-compact")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    per_commit = max(1, args.rows * len(REGIONS) // args.files)  # each commit writes one file per region
    bars, figures = [], {}

    def part(label, cat_args, prestige_cat, env, penv):
        results = {}
        for tool in ["prestige", "pyiceberg"]:
            best = None
            for run_no in range(args.runs):
                table = f"bench.compact_{tool}_{run_no}"
                subprocess.run(iceberg_peer(*cat_args, "drop", table), env=env, capture_output=True)
                state = os.path.join(work, f"{label}-state-{tool}-{run_no}")
                subprocess.check_call([prestige, *prestige_cat, "ingest", src, "--table", table, "--create", "--schema",
                                       schema, "--partition-by", "region", "--max-rows", str(per_commit),
                                       "--state-dir", state, "--format", "json", "--no-progress", "-q"],
                                      env=penv, stdout=subprocess.DEVNULL)
                before = json.loads(subprocess.check_output(iceberg_peer(*cat_args, "layout", table, "region"), env=env))
                if tool == "prestige":
                    cmd = [prestige, *prestige_cat, "compact", "--table", table, "--format", "json", "--no-progress"]
                    wall, rss, query = run_timed(cmd, penv)
                else:
                    wall, rss, query = run_timed(iceberg_peer(*cat_args, "pyiceberg-compact", table, "region"), env)
                after = json.loads(subprocess.check_output(iceberg_peer(*cat_args, "layout", table, "region"), env=env))
                if (after["rows"], after["distinct_ids"]) != (args.rows, args.rows):
                    sys.exit(f"{label} {tool}: the compacted table holds {after['rows']} rows "
                             f"({after['distinct_ids']} distinct), not the {args.rows} it held")
                print(f"  compact {label} {tool} run {run_no + 1}: {wall:.2f} s, {rss:.0f} MiB, files "
                      f"{before['files']} -> {after['files']}", file=sys.stderr)
                if best is None or wall < best["wall_s"]:
                    best = {"wall_s": wall, "peak_rss_mib": rss, "query_s": query, "files_before": before["files"],
                            "files_after": after["files"], "ops": after["operations"][-2:]}
                subprocess.run(iceberg_peer(*cat_args, "drop", table), env=env, capture_output=True)
            results[tool] = best
        print(f"\niceberg compaction, {label}: {args.rows} rows in ~{args.files} files over {len(REGIONS)} "
              f"partitions -> one file per partition, best of {args.runs}\n")
        print(f"{'tool':<11}{'wall s':>8}{'vs pyiceberg':>14}{'peak RSS MiB':>14}{'in-process s':>14}"
              f"{'files before':>14}{'files after':>13}")
        for tool, r in results.items():
            inproc = f"{r['query_s']:.2f}" if tool != "prestige" else ""
            print(f"{tool:<11}{r['wall_s']:>8.2f}{results['pyiceberg']['wall_s'] / r['wall_s']:>13.2f}x"
                  f"{r['peak_rss_mib']:>14.0f}{inproc:>14}{r['files_before']:>14}{r['files_after']:>13}")
        p = results["prestige"]
        ratio = results["pyiceberg"]["wall_s"] / p["wall_s"]
        ok = ratio >= 2.0 and p["peak_rss_mib"] <= 256
        print(f"\nbar ({label}): prestige >= 2x PyIceberg and peak RSS <= 256 MiB: {ratio:.2f}x, "
              f"{p['peak_rss_mib']:.0f} MiB -> {'PASS' if ok else 'FAIL'}")
        bars.append((label, ok))
        figures[label] = {"results": results, "ratio": ratio, "pass": ok}

    d = os.path.join(work, "sqlite")
    os.makedirs(os.path.join(d, "wh"))
    db, wh = os.path.join(d, "catalog.db"), os.path.join(d, "wh")
    part("SQLite catalog + local files", ["--sqlite", db, "--warehouse", wh],
         ["--catalog", f"sqlite:///{db}", "--warehouse", wh], None, None)
    if not args.no_rest:
        key, secret = "bench", "bench-secret"
        srv, sdir, env = start_seaweedfs(key, secret)
        try:
            uri = env["BENCH_ICEBERG_URI"]
            deadline = time.time() + 60
            while subprocess.run(iceberg_peer("--rest", uri, "mkns", "bench"), env=env, capture_output=True).returncode:
                if time.time() > deadline or srv.poll() is not None:
                    sys.exit(f"SeaweedFS did not start: see {sdir}/weed.log")
                time.sleep(0.5)
            penv = dict(env, PYICEBERG_CATALOG__DEFAULT__CREDENTIAL=f"{key}:{secret}",
                        PYICEBERG_CATALOG__DEFAULT__HEADER__X_ICEBERG_ACCESS_DELEGATION="")
            part("SeaweedFS REST catalog + S3", ["--rest", uri], ["--catalog", uri, "--warehouse", "warehouse"], env, penv)
        finally:
            stop_seaweedfs(srv, sdir)
    print("\nbars: " + ", ".join(f"{name} {'PASS' if ok else 'FAIL'}" for name, ok in bars))
    with open(os.path.join(OUT, "iceberg-compact-results.json"), "w") as f:
        json.dump(figures, f, indent=2)
    return 0


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
    s = sub.add_parser("scan")
    s.add_argument("--files", type=int, default=24)
    s.add_argument("--rows", type=int, default=3_000_000)
    s.add_argument("--runs", type=int, default=3)
    s.add_argument("--s3", action="store_true", help="also scan the same files on a local SeaweedFS server")
    b = sub.add_parser("iceberg")
    b.add_argument("--rows", type=int, default=2_000_000)
    b.add_argument("--runs", type=int, default=2)
    b.add_argument("--no-rest", action="store_true", help="skip the SeaweedFS REST catalog part")
    b = sub.add_parser("iceberg-compact")
    b.add_argument("--files", type=int, default=1000)
    b.add_argument("--rows", type=int, default=2_000_000)
    b.add_argument("--runs", type=int, default=2)
    b.add_argument("--no-rest", action="store_true", help="skip the SeaweedFS REST catalog part")
    args = ap.parse_args()
    sys.exit({"ingest": ingest, "compact": compact, "scan": scan, "iceberg": iceberg,
              "iceberg-compact": iceberg_compact}[args.bench](args))


if __name__ == "__main__":
    main()
