"""PyIceberg writes on a branch for the write-audit-publish tests, JSON on stdout.

Catalog options as in iceberg_tool.py (--sqlite DB --warehouse DIR, or --rest URI ...).

Subcommands:
  append TABLE --branch B --rows FILE.ndjson [--wap-id ID]
      PyIceberg appends the rows (iceberg_tool's canonical form) to branch B, with `wap.id` = ID in the snapshot
      summary (a Spark-style staged write) -> {"snapshot_id", "operation"}
  delete TABLE --branch B --where EXPR
      PyIceberg deletes the matching rows on branch B (an overwrite or delete snapshot) -> {"snapshot_id", "operation"}
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iceberg_tool as it  # noqa: E402


def head(tbl, branch):
    s = tbl.snapshot_by_name(branch)
    return {"snapshot_id": s.snapshot_id, "operation": s.summary.operation.value}


def cmd_append(a):
    import json

    cat = it.load_catalog(a)
    with open(a.rows) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    tbl = cat.load_table(a.table)
    props = {"wap.id": a.wap_id} if a.wap_id else {}
    tbl.append(it.arrow_table_for(tbl, rows), snapshot_properties=props, branch=a.branch)
    it.emit(head(cat.load_table(a.table), a.branch))


def cmd_delete(a):
    cat = it.load_catalog(a)
    tbl = cat.load_table(a.table)
    tbl.delete(a.where, branch=a.branch)
    it.emit(head(cat.load_table(a.table), a.branch))


def main():
    common = argparse.ArgumentParser(add_help=False)
    d = argparse.SUPPRESS
    for opt in ["--sqlite", "--warehouse", "--name", "--rest", "--rest-warehouse", "--s3-endpoint", "--key", "--secret"]:
        common.add_argument(opt, default=d)
    ap = argparse.ArgumentParser(prog="wap_tool.py", parents=[common], description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("append", parents=[common])
    p.add_argument("table")
    p.add_argument("--branch", required=True)
    p.add_argument("--rows", required=True)
    p.add_argument("--wap-id")
    p.set_defaults(fn=cmd_append)
    p = sub.add_parser("delete", parents=[common])
    p.add_argument("table")
    p.add_argument("--branch", required=True)
    p.add_argument("--where", required=True)
    p.set_defaults(fn=cmd_delete)
    a = ap.parse_args()
    for k, v in {"sqlite": None, "warehouse": None, "name": "default", "rest": None, "rest_warehouse": "warehouse",
                 "s3_endpoint": None, "key": None, "secret": None}.items():
        if not hasattr(a, k):
            setattr(a, k, v)
    a.fn(a)


if __name__ == "__main__":
    main()
