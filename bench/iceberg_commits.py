"""bench/iceberg-commits: commit cost as a table grows. N consecutive one-row commits to one table on a SQLite
catalog, by prestige (`ingest --table --max-rows 1`) and by PyIceberg (`table.append` in a loop); prints the mean
milliseconds per commit of the first and the last 100 commits, their ratio, and the manifests the last snapshot
lists. prestige runs --runs times (a fresh table each time; default 3) and the run with the median growth is
shown, with the spread of all runs: on a shared 2-core VM one run can be off by 2x either way. Bar: prestige's
last 100 take at most 1.5x its first 100."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField, StringType


def manifests(cat, name):
    t = cat.load_table(name)
    snap = t.current_snapshot()
    return len(snap.manifests(t.io)), len(t.metadata.snapshots)


def window(ms):
    return sum(ms[:100]) / 100, sum(ms[-100:]) / 100


def prestige(binary, n, root):
    d = os.path.join(root, "prestige")
    os.makedirs(d)
    src = os.path.join(d, "in.ndjson")
    with open(src, "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": i, "v": "x"}) + "\n")
    schema = os.path.join(d, "s.json")
    with open(schema, "w") as f:
        json.dump([{"name": "id", "type": "int64"}, {"name": "v", "type": "string"}], f)
    db = os.path.join(d, "catalog.db")
    wh = os.path.join(d, "wh")
    os.sync()  # start with no other run's writeback pending: every metadata file written here is fsynced
    out = subprocess.run(
        [binary, "--catalog", f"sqlite:///{db}", "--warehouse", wh, "ingest", src, "--table", "b.t", "--create",
         "--schema", schema, "--max-rows", "1", "--state-dir", os.path.join(d, "st"), "--format", "json"],
        check=True, capture_output=True, text=True)
    commits = json.loads(out.stdout)["commits"]
    ts = [c["timestamp_ms"] for c in commits]
    ms = [b - a for a, b in zip(ts, ts[1:])]
    cat = SqlCatalog("default", uri=f"sqlite:///{db}", warehouse=f"file://{wh}")
    return ms, manifests(cat, "b.t")


def pyiceberg(n, root):
    d = os.path.join(root, "pyiceberg")
    os.makedirs(d)
    cat = SqlCatalog("default", uri=f"sqlite:///{d}/catalog.db", warehouse=f"file://{d}/wh")
    cat.create_namespace("b")
    schema = Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "v", StringType(), required=False))
    t = cat.create_table("b.t", schema)
    os.sync()
    ms = []
    for i in range(n):
        batch = pa.table({"id": pa.array([i], pa.int64()), "v": pa.array(["x"])})
        start = time.perf_counter()
        t.append(batch)
        ms.append((time.perf_counter() - start) * 1000)
    return ms, manifests(cat, "b.t")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", type=int, default=2000)
    ap.add_argument("--binary", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "prestige"))
    ap.add_argument("--no-pyiceberg", action="store_true")
    ap.add_argument("--runs", type=int, default=3, help="prestige runs; the median growth is reported")
    ap.add_argument("--pyiceberg-commits", type=int, default=1000,
                    help="PyIceberg's commits (its 2,000 take over 20 minutes on 2 cores)")
    ap.add_argument("--dir", help="where the tables go (default: a temporary directory under $TMPDIR); e.g. "
                    "/dev/shm to take the disk out of the figure")
    a = ap.parse_args()
    runs = []
    for i in range(a.runs):
        with tempfile.TemporaryDirectory(dir=a.dir) as root:
            ms, mf = prestige(a.binary, a.commits, root)
        first, last = window(ms)
        print(f"prestige run {i + 1}: first 100 {first:.1f} ms, last 100 {last:.1f} ms, {last / first:.2f}x",
              file=sys.stderr)
        runs.append((last / first, ms, mf))
    runs.sort(key=lambda r: r[0])
    _, ms, mf = runs[len(runs) // 2]
    spread = ", ".join(f"{r[0]:.2f}x" for r in runs)
    with tempfile.TemporaryDirectory(dir=a.dir) as root:
        rows = [("prestige", ms, mf)]
        if not a.no_pyiceberg:
            rows.append(("PyIceberg", *pyiceberg(a.pyiceberg_commits, root)))
    print(f"consecutive one-row commits to one table, SQLite catalog, local files (prestige {a.commits}, "
          f"PyIceberg {a.pyiceberg_commits})")
    print(f"{'tool':<10} {'':>14} {'first 100 ms/commit':>12} {'last 100 ms/commit':>19} {'growth':>7} {'manifests':>9} {'snapshots':>9}")
    for name, ms, (mf, snaps) in rows:
        first, last = window(ms)
        print(f"{name:<10} {len(ms) + 1:>6} commits {first:>12.1f} {last:>19.1f} {last / first:>6.2f}x {mf:>9} {snaps:>9}")
    print(f"prestige's growth over {a.runs} runs: {spread} (median shown)")
    first, last = window(rows[0][1])
    print(f"bar (prestige's last 100 <= 1.5x its first 100): {'PASS' if last <= 1.5 * first else 'FAIL'}")


if __name__ == "__main__":
    sys.exit(main())
