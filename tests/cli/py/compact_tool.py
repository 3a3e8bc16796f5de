"""Helpers for the `compact --table` tests: row deletions by PyIceberg and DuckDB, and the table's file layout.
JSON on stdout. Catalog options are iceberg_tool.py's (--sqlite DB --warehouse DIR | --rest URI ...).

Subcommands:
  pyiceberg-delete TABLE --where EXPR   PyIceberg `table.delete(EXPR)` (rewrites files: an overwrite/delete
                                        snapshot) -> {"snapshot_id", "operation"}
  duckdb-delete TABLE --where SQL       DuckDB DELETE through the REST catalog (position delete files)
                                        -> {"snapshot_id", "operation", "deleted"}
  files TABLE                           -> {"data_files": N, "delete_files": N, "position_delete_files": N,
                                        "per_partition": {"<partition>": N data files}, "operation",
                                        "snapshot_id", "summary"}
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iceberg_tool as it  # noqa: E402


def cmd_pyiceberg_delete(a):
    tbl = it.load_catalog(a).load_table(a.table)
    tbl.delete(a.where)
    tbl = it.load_catalog(a).load_table(a.table)
    s = tbl.current_snapshot()
    it.emit({"snapshot_id": s.snapshot_id, "operation": s.summary.operation.value})


def cmd_duckdb_delete(a):
    con = it.duckdb_attach(a)
    n = con.execute(f"DELETE FROM {it.duck_ident(a.table)} WHERE {a.where}").fetchall()
    con.close()
    tbl = it.load_catalog(a).load_table(a.table)
    s = tbl.current_snapshot()
    it.emit({"snapshot_id": s.snapshot_id, "operation": s.summary.operation.value, "deleted": n[0][0] if n else None})


def cmd_files(a):
    tbl = it.load_catalog(a).load_table(a.table)
    s = tbl.current_snapshot()
    files = tbl.inspect.files().to_pylist() if s else []
    per = {}
    data = deletes = pos = 0
    for f in files:
        if f["content"] == 0:
            data += 1
            key = json.dumps(f["partition"], sort_keys=True, default=str)
            per[key] = per.get(key, 0) + 1
        else:
            deletes += 1
            pos += f["content"] == 1
    it.emit(
        {
            "data_files": data,
            "delete_files": deletes,
            "position_delete_files": pos,
            "per_partition": per,
            "operation": s.summary.operation.value if s else None,
            "snapshot_id": s.snapshot_id if s else None,
            "summary": dict(s.summary.additional_properties) if s else {},
        }
    )


def main():
    common = argparse.ArgumentParser(add_help=False)
    for k in ("--sqlite", "--warehouse", "--name", "--rest", "--rest-warehouse", "--s3-endpoint", "--key", "--secret"):
        common.add_argument(k, default=argparse.SUPPRESS)
    ap = argparse.ArgumentParser(prog="compact_tool.py", parents=[common])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pyiceberg-delete", parents=[common])
    p.add_argument("table")
    p.add_argument("--where", required=True)
    p.set_defaults(fn=cmd_pyiceberg_delete)
    p = sub.add_parser("duckdb-delete", parents=[common])
    p.add_argument("table")
    p.add_argument("--where", required=True)
    p.set_defaults(fn=cmd_duckdb_delete)
    p = sub.add_parser("files", parents=[common])
    p.add_argument("table")
    p.set_defaults(fn=cmd_files)
    a = ap.parse_args()
    for k, v in (("sqlite", None), ("warehouse", None), ("name", "default"), ("rest", None), ("rest_warehouse", "warehouse"),
                 ("s3_endpoint", None), ("key", None), ("secret", None)):
        if not hasattr(a, k):
            setattr(a, k, v)
    a.fn(a)


if __name__ == "__main__":
    main()
