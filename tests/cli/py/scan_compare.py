"""Runs a query with DuckDB over Parquet files and compares the result with prestige scan's output.

usage: scan_compare.py --format json|ndjson|csv|parquet --output FILE [--columns a,b] [--where EXPR]
                       [--limit N] FILE...
Both sides are turned into canonical strings per value (timestamps as epoch microseconds, decimals normalised,
floats to 12 significant digits, nested values as canonical JSON), then compared as multisets of rows.
With --limit, prestige's rows must be a sub-multiset of DuckDB's unlimited result, of size min(N, total).
Prints {"ok", "prestige_rows", "duckdb_rows", "only_prestige", "only_duckdb"} as JSON.
"""
import argparse
import collections
import csv
import datetime
import decimal
import json
import sys

import duckdb


CSV = False


def canon(v, like):
    """Canonical text of value v; `like` is a DuckDB value of the same column (guides parsing of text)."""
    if v is None or (isinstance(v, str) and v == "" and (CSV or not isinstance(like, str))):
        return "NULL"
    if isinstance(like, bool):
        if isinstance(v, str):
            return v.lower()
        return "true" if v else "false"
    if isinstance(like, datetime.datetime):
        if isinstance(v, str):
            v = datetime.datetime.fromisoformat(v.replace(" ", "T"))
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        delta = v - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        return str((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds)
    if isinstance(like, datetime.date):
        return v if isinstance(v, str) else v.isoformat()
    if isinstance(like, decimal.Decimal):
        return format(decimal.Decimal(str(v)).normalize(), "f")
    if isinstance(like, float):
        return "%.12g" % float(v)
    if isinstance(like, int):
        return str(int(v))
    if isinstance(like, (list, dict)):
        if isinstance(v, str):
            v = json.loads(v)
        return json.dumps(nested(v, like), sort_keys=True)
    return str(v)


def nested(v, like):
    if isinstance(v, list):
        el = next((x for x in like if x is not None), None) if isinstance(like, list) else None
        return [None if x is None else canon(x, el) for x in v]
    if isinstance(v, dict):
        return {k: None if x is None else canon(x, (like or {}).get(k)) for k, x in v.items()}
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--format", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--columns")
    ap.add_argument("--where")
    ap.add_argument("--limit", type=int)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()

    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    # prestige names a struct field column by its path (geo.city); DuckDB would call it city.
    cols = ", ".join(f'{c} AS "{c}"' if "." in c else c for c in a.columns.split(",")) if a.columns else "*"
    files = ", ".join("'" + f.replace("'", "''") + "'" for f in a.files)
    sql = f"SELECT {cols} FROM read_parquet([{files}], union_by_name=true)"
    if a.where:
        sql += f" WHERE {a.where}"
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    ddb = cur.fetchall()
    # A sample non-null value per column guides how prestige's text is read.
    like = [next((r[i] for r in ddb if r[i] is not None), None) for i in range(len(names))]

    if a.format == "json":
        with open(a.output) as f:
            rows = json.load(f)
        got = [[r.get(n) for n in names] for r in rows]
        got_names = list(rows[0].keys()) if rows else names
    elif a.format == "ndjson":
        with open(a.output) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        got = [[r.get(n) for n in names] for r in rows]
        got_names = list(rows[0].keys()) if rows else names
    elif a.format == "csv":
        global CSV
        CSV = True  # an empty cell is NULL (the test data has no empty strings)
        with open(a.output, newline="") as f:
            rd = csv.reader(f)
            got_names = next(rd, names)
            got = [list(r) for r in rd]
    elif a.format == "parquet":
        import pyarrow.parquet as pq
        t = pq.read_table(a.output)
        got_names = t.column_names
        got = [[r[n] for n in got_names] for r in t.to_pylist()]
    else:
        sys.exit("unknown format " + a.format)
    if list(got_names) != names:
        print(json.dumps({"ok": False, "error": f"columns {got_names} != duckdb {names}"}))
        return

    mine = collections.Counter(tuple(canon(v, like[i]) for i, v in enumerate(r)) for r in got)
    theirs = collections.Counter(tuple(canon(v, like[i]) for i, v in enumerate(r)) for r in ddb)
    if a.limit is not None:
        ok = sum(mine.values()) == min(a.limit, len(ddb)) and not (mine - theirs)
        only_p, only_d = list((mine - theirs).elements())[:3], []
    else:
        ok = mine == theirs
        only_p, only_d = list((mine - theirs).elements())[:3], list((theirs - mine).elements())[:3]
    print(json.dumps({"ok": ok, "prestige_rows": sum(mine.values()), "duckdb_rows": len(ddb),
                      "only_prestige": only_p, "only_duckdb": only_d}))


if __name__ == "__main__":
    main()
