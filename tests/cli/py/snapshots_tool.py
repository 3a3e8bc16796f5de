"""Helpers for the snapshot maintenance tests, independent of prestige: what PyIceberg says a table references,
and backdating local files. JSON on stdout. Catalog options as in iceberg_tool.py (imported from it).

Subcommands:
  referenced TABLE -> {"files": [every path the metadata references: current metadata file, metadata-log files,
      statistics files, each snapshot's manifest list, its manifests and the data/delete files of their live
      (added/existing) entries: a file only a deleted entry names is needed by no snapshot], "metadata_location", "location"}; paths as recorded, `file:` prefix stripped
  backdate DIR --days N -> {"files": count}: sets atime/mtime of every file under DIR to N days ago
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import iceberg_tool as it  # noqa: E402


def strip(p):
    if p.startswith("file://"):
        return p[len("file://") :]
    if p.startswith("file:"):
        return p[len("file:") :]
    return p


def cmd_referenced(a):
    tbl = it.load_catalog(a).load_table(a.table)
    io = tbl.io
    md = tbl.metadata
    out = set()
    out.add(tbl.metadata_location)
    for e in md.metadata_log:
        out.add(e.metadata_file)
    for s in getattr(md, "statistics", []) or []:
        out.add(s.statistics_path)
    for s in getattr(md, "partition_statistics", []) or []:
        out.add(s.statistics_path)
    seen = set()
    for snap in md.snapshots:
        out.add(snap.manifest_list)
        for m in snap.manifests(io):
            out.add(m.manifest_path)
            if m.manifest_path in seen:
                continue
            seen.add(m.manifest_path)
            for e in m.fetch_manifest_entry(io, discard_deleted=True):
                out.add(e.data_file.file_path)
    it.emit({"files": sorted(strip(p) for p in out), "metadata_location": tbl.metadata_location, "location": md.location})


def cmd_backdate(a):
    t = time.time() - a.days * 86400
    n = 0
    for root, _, files in os.walk(a.dir):
        for f in files:
            os.utime(os.path.join(root, f), (t, t))
            n += 1
    it.emit({"files": n})


def main():
    import argparse

    common = argparse.ArgumentParser(add_help=False)
    d = argparse.SUPPRESS
    for flag in ("--sqlite", "--warehouse", "--name", "--rest", "--rest-warehouse", "--s3-endpoint", "--key", "--secret"):
        common.add_argument(flag, default=d)
    ap = argparse.ArgumentParser(prog="snapshots_tool.py", parents=[common])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("referenced", parents=[common])
    p.add_argument("table")
    p.set_defaults(fn=cmd_referenced)
    p = sub.add_parser("backdate", parents=[common])
    p.add_argument("dir")
    p.add_argument("--days", type=float, required=True)
    p.set_defaults(fn=cmd_backdate)
    a = ap.parse_args()
    for k, v in (("sqlite", None), ("warehouse", None), ("name", "default"), ("rest", None), ("rest_warehouse", "warehouse"),
                 ("s3_endpoint", None), ("key", None), ("secret", None)):
        if not hasattr(a, k):
            setattr(a, k, v)
    a.fn(a)


if __name__ == "__main__":
    main()
