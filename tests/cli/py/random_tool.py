"""Long-lived PyIceberg / DuckDB oracle for the seeded random differential test (tests/cli/iceberg_random.rs).

  random_tool.py --sqlite DB --warehouse DIR serve TABLE

reads one JSON request per line on stdin and answers one JSON line on stdout (`{"ok": true, ...}` or
`{"ok": false, "error": ..., "trace": ...}`), so Python and PyIceberg are imported once per test run. The table is
loaded afresh for every request (prestige changes it between requests). Rows are iceberg_tool.py's canonical form.

Requests (`cmd` plus arguments):
  read [snapshot_id | ref] [where] [deleted]
                                         -> {"snapshot_id", "rows"}: PyIceberg scan (main's head by default); with
                                            `deleted`, only the rows a delete with `where` must remove
  delete where                           -> {"ids": ids PyIceberg's delete removed (see `removed`), "before",
                                             "after": main's head before and after}: PyIceberg delete
  overwrite where rows                   -> same fields: PyIceberg overwrite(rows, overwrite_filter=where)
  meta                                   -> {"metadata_location", "current_snapshot_id", "refs": {name: {snapshot_id,
                                             type}}, "snapshots": [{snapshot_id, parent_id, timestamp_ms, operation,
                                             summary}]}
  duckdb [metadata]                      -> {"rows"}: DuckDB iceberg_scan of a metadata file (default: the current)
"""

import argparse
import json
import os
import sys
import traceback
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import iceberg_tool as it  # noqa: E402
from pyiceberg.expressions import AlwaysTrue  # noqa: E402


def _no_partition_residuals():
    """PyIceberg 0.12's residual evaluator compares a null partition value (day(ts) of a null ts, truncate(s) of a
    null s) with a range literal and raises TypeError, failing the whole scan. Residuals only let `count()` skip
    reading; rows are filtered with the full filter anyway, so the full filter is always a correct residual."""
    from pyiceberg.expressions import visitors

    visitors.residual_evaluator_of = lambda spec, expr, case_sensitive, schema: visitors.UnpartitionedResidualEvaluator(
        schema=schema, expr=expr
    )


_no_partition_residuals()


class Oracle:
    def __init__(self, a):
        self.a = a
        self.cat = it.load_catalog(a)
        self.table = a.table
        self.duck = None

    def load(self):
        return self.cat.load_table(self.table)

    @staticmethod
    def head(tbl):
        s = tbl.current_snapshot()
        return s.snapshot_id if s else None

    def ids(self, tbl, where):
        return sorted(tbl.scan(row_filter=where, selected_fields=("id",)).to_arrow()["id"].to_pylist())

    def cmd_read(self, r):
        tbl = self.load()
        snap = r.get("snapshot_id")
        if r.get("ref") is not None:
            s = tbl.snapshot_by_name(r["ref"])
            if s is None:
                raise KeyError(f"no ref {r['ref']!r}")
            snap = s.snapshot_id
        if snap is None:
            snap = self.head(tbl)
        elif tbl.snapshot_by_id(snap) is None:
            raise KeyError(f"no snapshot {snap}")
        where = r.get("where") or AlwaysTrue()
        if r.get("deleted"):
            where = self.deleted_filter(tbl, where)
        scan = tbl.scan(row_filter=where, snapshot_id=snap)
        return {"snapshot_id": snap, "rows": it.canonical_rows(scan.to_arrow())}

    @staticmethod
    def deleted_filter(tbl, where):
        """The rows PyIceberg's delete (and overwrite) removes: `where` AND every column a comparison of `where` names
        (one no IS [NOT] NULL of `where` mentions) is not null. PyIceberg keeps rows by `NOT where OR c IS NULL ...`
        (`_expression_to_complementary_pyarrow`), so a row matching `(s > 'b') OR (v < 0)` through `v` but with a
        null `s` stays, although a scan with `where` returns it."""
        from pyiceberg.expressions import And, NotNull, parser
        from pyiceberg.expressions.visitors import bind
        from pyiceberg.io.pyarrow import _NullNaNUnmentionedTermsCollector

        expr = parser.parse(where) if isinstance(where, str) else where
        collector = _NullNaNUnmentionedTermsCollector()
        collector.collect(bind(tbl.schema(), expr, True))
        for name in sorted({t.ref().field.name for t in collector.null_unmentioned_bound_terms}):
            expr = And(expr, NotNull(name))
        return expr

    @staticmethod
    def dropped_as_null(tbl, where):
        """The ids PyIceberg's rewrite of a partly matching file drops although `where` does not select them.
        It keeps the rows its complementary filter (NOT where, OR col IS NULL for each column `where` never
        null-checks) holds for; a row for which that is null is dropped. So with `(ts IS NULL OR s > '') AND
        ts >= X`, a row with a null ts goes (ts is null-checked, so not re-added, and NOT(null) is null).
        PyIceberg's behaviour, not prestige's: the model follows whatever PyIceberg actually removed."""
        from pyiceberg.expressions import parser
        from pyiceberg.expressions.visitors import bind
        from pyiceberg.io.pyarrow import _expression_to_complementary_pyarrow

        expr = parser.parse(where) if isinstance(where, str) else where
        bound = bind(tbl.schema(), expr, True)
        rows = tbl.scan().to_arrow()
        kept = set(rows.filter(_expression_to_complementary_pyarrow(bound, tbl.schema()))["id"].to_pylist())
        return set(rows["id"].to_pylist()) - kept

    def removed(self, tbl, where, change):
        """Runs change(tbl) (a PyIceberg delete or overwrite with `where`) and returns the ids it removed from main
        (ids main held before and no longer holds, plus the ids of `must` that the change re-wrote). PyIceberg's
        result depends on the file layout (see deleted_filter), so it is checked to lie between the rows that
        must go (`where` with every compared column non-null) and the rows `where` selects in a scan, plus the rows
        PyIceberg's rewrite drops as null (see dropped_as_null)."""
        before = self.head(tbl)
        all_before = set(self.ids(tbl, AlwaysTrue()))
        must = set(self.ids(tbl, self.deleted_filter(tbl, where)))
        may = set(self.ids(tbl, where)) | self.dropped_as_null(tbl, where)
        change(tbl)
        tbl = self.load()
        all_after = set(self.ids(tbl, AlwaysTrue()))
        gone = must | {i for i in all_before - must if i not in all_after}
        if not (must <= gone <= may):
            raise AssertionError(
                f"PyIceberg's change with {where!r} removed ids outside [must, may]: not removed "
                f"{sorted(must - gone)[:5]}, removed beyond the filter {sorted(gone - may)[:5]}"
            )
        return {"ids": sorted(gone), "before": before, "after": self.head(tbl)}

    def cmd_delete(self, r):
        return self.removed(self.load(), r["where"], lambda t: t.delete(r["where"]))

    def cmd_overwrite(self, r):
        """`rows` may reuse only ids of rows the overwrite must remove (read with `deleted`), or fresh ones."""
        return self.removed(
            self.load(), r["where"], lambda t: t.overwrite(it.arrow_table_for(t, r["rows"]), overwrite_filter=r["where"])
        )

    def cmd_meta(self, r):
        tbl = self.load()
        return {
            "metadata_location": tbl.metadata_location,
            "current_snapshot_id": self.head(tbl),
            "refs": {n: {"snapshot_id": x.snapshot_id, "type": x.snapshot_ref_type.value} for n, x in tbl.metadata.refs.items()},
            "snapshots": it.snapshot_list(tbl),
        }

    def cmd_duckdb(self, r):
        if self.duck is None:
            self.duck = it.duckdb_connect(SimpleNamespace(s3_endpoint=None, key=None, secret=None), False)
        path = r.get("metadata") or self.load().metadata_location
        if path.startswith("file://"):
            path = path[len("file://") :]
        table = self.duck.execute(f"SELECT * FROM iceberg_scan({it.sql_str(path)})").to_arrow_table()
        return {"rows": it.canonical_rows(table), "metadata": path}


def serve(a):
    oracle = Oracle(a)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            resp = getattr(oracle, "cmd_" + req["cmd"])(req)
            resp["ok"] = True
        except Exception as e:  # reported to the test, which prints it with the operation log
            resp = {"ok": False, "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}
        sys.stdout.write(json.dumps(resp, separators=(",", ":"), allow_nan=False) + "\n")
        sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(prog="random_tool.py", description=__doc__.split("\n")[0])
    ap.add_argument("--sqlite", required=True)
    ap.add_argument("--warehouse", required=True)
    ap.add_argument("--name", default="default")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve")
    p.add_argument("table")
    a = ap.parse_args()
    a.rest = None
    a.s3_endpoint = a.key = a.secret = None
    serve(a)


if __name__ == "__main__":
    main()
