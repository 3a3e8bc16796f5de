"""Changes to a table that `watch --table` tests need from another writer: PyIceberg deletes, snapshot expiry
and rollback. Catalog options as in iceberg_tool.py (--sqlite DB --warehouse DIR, or --rest URI ...). Prints one
JSON object: the table's snapshots afterwards (see iceberg_tool.snapshot_list) and the current snapshot id."""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iceberg_tool as it  # noqa: E402


def result(tbl):
    tbl = tbl.refresh()
    cur = tbl.current_snapshot()
    it.emit({"current_snapshot_id": cur.snapshot_id if cur else None, "snapshots": it.snapshot_list(tbl)})


def cmd_delete(a):
    tbl = it.load_catalog(a).load_table(a.table)
    tbl.delete(delete_filter=a.where)
    result(tbl)


def cmd_expire(a):
    tbl = it.load_catalog(a).load_table(a.table)
    tbl.maintenance.expire_snapshots().by_ids([int(i) for i in a.ids.split(",")]).commit()
    result(tbl)


def cmd_rollback(a):
    tbl = it.load_catalog(a).load_table(a.table)
    tbl.manage_snapshots().rollback_to_snapshot(a.to).commit()
    result(tbl)


def main():
    ap = argparse.ArgumentParser(prog="watch_tool.py")
    for opt in ("--sqlite", "--warehouse", "--rest", "--s3-endpoint", "--key", "--secret"):
        ap.add_argument(opt)
    ap.add_argument("--name", default="default")
    ap.add_argument("--rest-warehouse", default="warehouse")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("delete")
    p.add_argument("table")
    p.add_argument("--where", required=True)
    p.set_defaults(fn=cmd_delete)
    p = sub.add_parser("expire")
    p.add_argument("table")
    p.add_argument("--ids", required=True, help="snapshot ids, comma-separated")
    p.set_defaults(fn=cmd_expire)
    p = sub.add_parser("rollback")
    p.add_argument("table")
    p.add_argument("--to", type=int, required=True)
    p.set_defaults(fn=cmd_rollback)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
