"""Checks every run of the differential ingest suite against the spec model (ndjson_oracle.py), reading what
prestige wrote with pyarrow (all runs) and DuckDB (every --duckdb-every'th run with rows).

usage: ndjson_roundtrip.py CASES_JSON RESULTS_JSON [--duckdb-every N]
RESULTS_JSON: {case_id: {run_name: {"code", "stdout", "stderr", "lake_first": path|null,
                                     "rerun": {"code", "stdout", "stderr"}|null}}}
Prints {"runs": N, "duckdb_runs": M, "outcomes": {...}, "failures": [{"case", "run", "rule", "detail", "repro"}]}.

Expected outcome of a run (see the module docstring of ndjson_oracle.py for the line and type rules):
- refusal (inferred schema only, the sample cannot be typed): exit 4, no Parquet file, stderr names a
  refused key and suggests --schema; for a kind conflict, stderr gives a line number of each kind.
- --on-error fail: rows of the lines before the first bad line, exactly once; exit 0 if there is no bad line,
  else exit 4 naming FILE:LINE; a rerun of the same command exits 4 again (never "already_ingested") and
  leaves the same rows.
- --on-error skip: exactly the good lines, exit 0, bad_lines_skipped = number of bad lines; no good line at
  all -> exit 4 and no rows.
- always: no panic on stderr, exit code 0 or 4, every visible *.parquet complete, the Parquet schema equals the
  expected one, values equal under ndjson_oracle.diff.
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ndjson_oracle as oracle  # noqa: E402

DEFAULT_INFER_ROWS = 1000


def from_schema_type(v):
    if isinstance(v, str):
        return ("decimal",) if v.replace(" ", "") == "decimal(38,0)" else (v,)
    if v["type"] == "list":
        return ("list", from_schema_type(v["element"]))
    if v["type"] == "struct":
        return ("struct", [(f["name"], from_schema_type(f["type"])) for f in v["fields"]])
    return (v["type"],)


def from_schema_file(path):
    with open(path) as f:
        doc = json.load(f)
    return ("struct", [(f["name"], from_schema_type(f["type"])) for f in doc["fields"]])


def parquet_files(lake):
    out = []
    for root, _, names in os.walk(lake):
        out += [os.path.join(root, n) for n in names if n.endswith(".parquet") and not n.startswith(".")]

    def key(p):
        parts = os.path.basename(p).split(".")
        try:
            return (0, int(parts[-3]), int(parts[-2].rsplit("-", 1)[-1]), p)
        except (ValueError, IndexError):
            return (1, 0, 0, p)

    return sorted(out, key=key)


def complete(path):
    with open(path, "rb") as f:
        data = f.read()
    n = len(data)
    if n < 12 or data[:4] != b"PAR1" or data[-4:] != b"PAR1":
        return False
    return int.from_bytes(data[n - 8:n - 4], "little") + 12 <= n


def read_pyarrow(files):
    import pyarrow.parquet as pq
    schemas, rows = [], []
    for f in files:
        t = pq.read_table(f)
        schemas.append(oracle.from_arrow(pa_struct(t.schema)))
        rows += t.to_pylist()
    return schemas, rows


def pa_struct(schema):
    import pyarrow as pa
    return pa.struct([schema.field(i) for i in range(len(schema))])


def read_duckdb(files):
    import duckdb
    con = duckdb.connect()
    cur = con.execute("SELECT * FROM read_parquet(?)", [files])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def match_rows(schema, expected, got):
    """None if `got` holds exactly the expected rows (in order, or as a multiset), else a description."""
    if len(expected) != len(got):
        extra = ""
        if len(got) > len(expected):
            extra = f"; e.g. extra row {short(got[-1])}"
        return f"{len(got)} rows read back, {len(expected)} expected{extra}"
    in_order = [oracle.row_diff(schema, e, g) for e, g in zip(expected, got)]
    if all(d is None for d in in_order):
        return None
    left = list(range(len(got)))
    for i, e in enumerate(expected):
        for j in left:
            if oracle.row_diff(schema, e, got[j]) is None:
                left.remove(j)
                break
        else:
            d = next((x for x in in_order if x), None)
            return f"source line row #{i + 1} {short(e)} not found; in-order diff: {d}"
    return None


def short(v, n=300):
    s = json.dumps(v, ensure_ascii=False, default=str)
    return s if len(s) <= n else s[:n] + "..."


class Expect:
    def __init__(self, kind, rows=None, bad_line=None, bad=0, refusals=None, schema=None, note=""):
        self.kind = kind  # ok | fail_at | skip | no_good | refusal | loose
        self.rows = rows or []
        self.bad_line = bad_line
        self.bad = bad
        self.refusals = refusals or []
        self.schema = schema
        self.note = note


def expectation(case, run, raw):
    lines = oracle.split_lines(raw)
    parsed = []
    for ln, b in lines:
        try:
            parsed.append((ln, oracle.parse_line(b), None))
        except oracle.BadJson as e:
            parsed.append((ln, None, str(e)))
    if run["mode"] == "explicit":
        schema = from_schema_file(os.path.join(case["dir"], "schema.json"))
    else:
        n = run["infer_rows"] or DEFAULT_INFER_ROWS
        sample = parsed[:n]
        if any(err for _, _, err in sample):
            return Expect("loose", note="a sample line is not a JSON object (the spec leaves this open)")
        try:
            schema = oracle.infer([(ln, o) for ln, o, _ in sample])
        except oracle.Refusal:
            return Expect("refusal", refusals=oracle.all_refusals([(ln, o) for ln, o, _ in sample]))
        if not schema[1]:
            return Expect("loose", note="the sample has no keys")
    good, first_bad, bad = [], None, 0
    for ln, o, err in parsed:
        if err is None:
            err = oracle.conforms(schema, o)
        if err is None:
            good.append(o)
        else:
            bad += 1
            if first_bad is None:
                first_bad = (ln, len(good), err)
    if bad == 0:
        return Expect("ok", rows=good, schema=schema)
    if run["on_error"] == "fail":
        return Expect("fail_at", rows=good[: first_bad[1]], bad_line=first_bad[0], schema=schema, note=first_bad[2])
    if not good:
        return Expect("no_good", bad=bad, schema=schema)
    return Expect("skip", rows=good, bad=bad, schema=schema)


PANIC = re.compile(r"panicked at|RUST_BACKTRACE|stack backtrace")


class Checker:
    def __init__(self, duckdb_every):
        self.failures = []
        self.runs = 0
        self.duckdb_runs = 0
        self.duckdb_every = duckdb_every
        self.outcomes = {}

    def fail(self, case, run, rule, detail):
        self.failures.append({"case": case["id"], "run": run["name"], "rule": rule, "detail": detail,
                              "notes": case["notes"], "repro": os.path.join(case["dir"], "repro.sh")})

    def check_process(self, case, run, res, what):
        if PANIC.search(res["stderr"]):
            self.fail(case, run, "no panic", f"{what}: {res['stderr'][-800:]}")
        if res["code"] not in (0, 4):
            self.fail(case, run, "exit 0 or 4", f"{what}: exit {res['code']}: {res['stderr'][-500:]}")

    def check_lake(self, case, run, exp, lake, what):
        files = parquet_files(lake)
        broken = [f for f in files if not complete(f)]
        if broken:
            self.fail(case, run, "complete files only", f"{what}: footerless {broken}")
            return
        if exp.kind == "refusal":
            if files:
                self.fail(case, run, "refusal writes nothing", f"{what}: {len(files)} files written")
            return
        try:
            schemas, got = read_pyarrow(files)
        except Exception as e:  # noqa: BLE001 - any reader error is a finding
            self.fail(case, run, "readable by pyarrow", f"{what}: {e}")
            return
        for s in schemas:
            if s != exp.schema:
                self.fail(case, run, "schema", f"{what}: Parquet schema {oracle.type_str(s)} != expected "
                                               f"{oracle.type_str(exp.schema)}")
                return
        d = match_rows(exp.schema, exp.rows, got)
        if d:
            self.fail(case, run, "rows (pyarrow)", f"{what}: {d}")
            return
        if files and self.runs % self.duckdb_every == 0:
            self.duckdb_runs += 1
            try:
                drows = read_duckdb(files)
            except Exception as e:  # noqa: BLE001
                self.fail(case, run, "readable by duckdb", f"{what}: {e}")
                return
            d = match_rows(exp.schema, exp.rows, drows)
            if d:
                self.fail(case, run, "rows (duckdb)", f"{what}: {d}")

    def check(self, case, run, res):
        self.runs += 1
        with open(case["raw"], "rb") as f:
            raw = f.read()
        exp = expectation(case, run, raw)
        self.outcomes[exp.kind] = self.outcomes.get(exp.kind, 0) + 1
        self.check_process(case, run, res, "run")
        code, err = res["code"], res["stderr"]
        label = os.path.basename(case["input"]) if case["input"] else "stdin"
        if exp.kind == "loose":
            return  # the spec leaves the outcome open: only the process checks above apply
        lake_first = res.get("lake_first") or run["lake"]
        if exp.kind == "refusal":
            if code != 4:
                self.fail(case, run, "refusal: exit 4", f"exit {code}; refused paths {[r.path for r in exp.refusals]}; "
                                                        f"stderr: {err[-400:]}")
            else:
                self.check_refusal_message(case, run, exp, err)
        elif exp.kind in ("ok", "skip"):
            if code != 0:
                self.fail(case, run, f"{exp.kind}: exit 0", f"exit {code}: {err[-600:]}")
            else:
                try:
                    rep = json.loads(res["stdout"])
                except ValueError:
                    rep = None
                    self.fail(case, run, "json report", f"stdout is not JSON: {res['stdout'][:300]}")
                if rep is not None:
                    if rep.get("rows") != len(exp.rows):
                        self.fail(case, run, "report rows", f"report says {rep.get('rows')}, expected {len(exp.rows)}")
                    if exp.kind == "skip" and rep.get("bad_lines_skipped") != exp.bad:
                        self.fail(case, run, "skip count", f"bad_lines_skipped={rep.get('bad_lines_skipped')}, "
                                                           f"expected {exp.bad}")
        elif exp.kind == "no_good":
            if code == 0:
                self.fail(case, run, "no good line: non-zero exit", f"exit 0 with {exp.bad} bad lines and none good")
        elif exp.kind == "fail_at":
            if code != 4:
                self.fail(case, run, "bad line: exit 4", f"exit {code}, expected 4 at line {exp.bad_line} "
                                                         f"({exp.note}); stderr: {err[-400:]}")
            elif f":{exp.bad_line}" not in err or (label != "stdin" and f"{label}:{exp.bad_line}" not in err):
                self.fail(case, run, "bad line: names file:line", f"expected {label}:{exp.bad_line} ({exp.note}) in: "
                                                                  f"{err[-400:]}")
        self.check_lake(case, run, exp, lake_first, "first run")
        rr = res.get("rerun")
        if rr is not None and exp.kind in ("fail_at", "refusal"):
            self.check_process(case, run, rr, "rerun")
            if rr["code"] != 4 or "already_ingested" in rr["stdout"]:
                self.fail(case, run, "rerun after a failed run is not already_ingested",
                          f"rerun exit {rr['code']}, stdout {rr['stdout'][:200]!r}, stderr {rr['stderr'][-300:]!r}")
            self.check_lake(case, run, exp, run["lake"], "after rerun")

    def check_refusal_message(self, case, run, exp, err):
        # Rust's {:?} writes some characters as \u{301}: read them back
        err = re.sub(r"\\u\{([0-9a-fA-F]{1,6})\}", lambda m: chr(int(m.group(1), 16)), err)
        if "--schema" not in err:
            self.fail(case, run, "refusal suggests --schema", err[-400:])
        named = []
        for r in exp.refusals:
            top = r.path.split(".")[0].split("[")[0]
            if top in err or json.dumps(top)[1:-1] in err or json.dumps(top, ensure_ascii=False)[1:-1] in err:
                named.append(r)
        if not named:
            self.fail(case, run, "refusal names the key path", f"none of {[r.path for r in exp.refusals]} in: {err[-400:]}")
            return
        numbers = set(int(x) for x in re.findall(r"(?<![\d.])(\d+)(?![\d.])", err))
        for r in named:
            if not r.reason.startswith("conflicting"):
                return
            by_class = {}
            for k, lines in r.witnesses.items():
                by_class.setdefault(oracle.CLASS[k], set()).update(lines)
            # two of the conflicting kinds, each with a line where it occurs
            if sum(1 for lines in by_class.values() if lines & numbers) >= 2:
                return
        self.fail(case, run, "refusal names a line of each type",
                  f"witness lines {[{k: v[:5] for k, v in r.witnesses.items()} for r in named]} not in: {err[-400:]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cases")
    ap.add_argument("results")
    ap.add_argument("--duckdb-every", type=int, default=4)
    a = ap.parse_args()
    with open(a.cases) as f:
        cases = json.load(f)
    with open(a.results) as f:
        results = json.load(f)
    ck = Checker(a.duckdb_every)
    for case in cases:
        for run in case["runs"]:
            res = results.get(case["id"], {}).get(run["name"])
            if res is None:
                ck.fail(case, run, "ran", "no result recorded")
                continue
            try:
                ck.check(case, run, res)
            except Exception as e:  # noqa: BLE001 - a checker crash must name the case
                import traceback
                ck.fail(case, run, "checker error", traceback.format_exc()[-1500:])
    json.dump({"runs": ck.runs, "duckdb_runs": ck.duckdb_runs, "outcomes": ck.outcomes, "failures": ck.failures},
              sys.stdout, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
