"""Data and predicates for the differential test of `prestige scan --where` (tests/cli/differential_scan.rs).

usage:
  scan_diff.py gen --seed N --dir DIR
      Writes DIR/part-K.parquet with pyarrow (several row groups, small pages, page index, statistics) and
      DIR/../ingest.ndjson + DIR/../ingest.schema.json, rows for `prestige ingest` with an explicit schema (that
      file lacks the struct and `s2` columns, so absent columns are exercised too). Prints {"files", "rows"}.
  scan_diff.py eval --seed N --count K FILE...
      Reads the data, generates K random predicates whose literals sit on the edges of the data and of the types
      (finer than a column's scale or unit, at the data's min/max and just beyond, out of the type's range,
      negative, NULL), evaluates every one with DuckDB over
      read_parquet([FILE...], union_by_name=true) and prints {"cases": [{"where", "ids"}], "dropped"}.

Everything is derived from the seed: the same seed gives the same files and predicates.

Deliberate choices (where DuckDB and prestige are known to differ, the generator does not go):
  - no literal finer than a microsecond (DuckDB truncates them, prestige compares exactly);
  - no plain string with a time of day against a DATE column (DuckDB casts the string to DATE, dropping the
    time; prestige compares the instant exactly, as DuckDB does for TIMESTAMP '...' literals, which are used);
  - no number literal of more than 38 digits, and exponent literals only where DuckDB's DOUBLE comparison is
    exact (float columns, and +-1e40 elsewhere);
  - NaN, infinities and -0.0 are in the data (SQL: -0.0 = 0.0; NaN = NaN and above every number, as DuckDB);
    DuckDB evaluates each predicate as a projection, since its Parquet filter pushdown drops NaN rows for > / >=;
  - LIKE follows DuckDB and the SQL standard: no escape character unless ESCAPE names one, so a backslash in a
    pattern is an ordinary character; ILIKE only with ASCII patterns (case folding beyond ASCII differs);
  - nothing prestige refuses on purpose (arithmetic, functions, casts).
"""
import argparse
import datetime
import decimal
import json
import os
import random
import sys

import struct

import pyarrow as pa
import pyarrow.parquet as pq

D = decimal.Decimal
EPOCH = datetime.datetime(1970, 1, 1)
UTC = datetime.timezone.utc

INTS = {
    "i8": (pa.int8(), -(2**7), 2**7 - 1),
    "i16": (pa.int16(), -(2**15), 2**15 - 1),
    "i32": (pa.int32(), -(2**31), 2**31 - 1),
    "i64": (pa.int64(), -(2**63), 2**63 - 1),
    "u8": (pa.uint8(), 0, 2**8 - 1),
    "u16": (pa.uint16(), 0, 2**16 - 1),
    "u32": (pa.uint32(), 0, 2**32 - 1),
    "u64": (pa.uint64(), 0, 2**64 - 1),
}
DECS = {"dec": (9, 2), "dec1": (5, 1), "dec0": (12, 0)}
TS = {"ts_ms": ("ms", None), "ts_us": ("us", None), "tz_ms": ("ms", "UTC"), "tz_us": ("us", "UTC")}
STRINGS = ["alpha", "Alpha", "alphabet", "beta", "b_ta", "50%", "a\\b", "", "zeta", "\u00e9t\u00e9", "o'neil", "ALPHA",
           "gamma ray", "a%b", "_x", "delta"]

COLUMNS = (["id"] + list(INTS) + ["f32", "f64", "b", "s", "s2", "d"] + list(TS) + list(DECS) + ["st"])


def schema():
    fields = [pa.field("id", pa.int64(), nullable=False)]
    fields += [pa.field(n, t) for n, (t, _, _) in INTS.items()]
    fields += [pa.field("f32", pa.float32()), pa.field("f64", pa.float64()), pa.field("b", pa.bool_()),
               pa.field("s", pa.string()), pa.field("s2", pa.string()), pa.field("d", pa.date32())]
    fields += [pa.field(n, pa.timestamp(u, tz=z)) for n, (u, z) in TS.items()]
    fields += [pa.field(n, pa.decimal128(p, s)) for n, (p, s) in DECS.items()]
    fields.append(pa.field("st", pa.struct([pa.field("x", pa.int32()), pa.field("y", pa.string())])))
    return pa.schema(fields)


def maybe(rng, v, p=0.1):
    return None if rng.random() < p else v


def gen_row(rng, i, n):
    """Row i of n: some columns grow with i (so row groups and pages have narrow ranges), others are random."""
    frac = i / max(n - 1, 1)
    r = {"id": i}
    for name, (_, lo, hi) in INTS.items():
        if rng.random() < 0.05:
            v = rng.choice([lo, hi, lo + 1, hi - 1])
        elif name in ("i32", "u32"):
            v = int(lo / 2 + frac * (hi / 2 - lo / 2)) if lo < 0 else int(frac * hi / 3)
            v += rng.randint(-3, 3) if lo < 0 else rng.randint(0, 3)
        elif name == "i64":
            v = rng.choice([rng.randint(-10**12, 10**12), rng.randint(-5, 5), i * 1000 - 500000])
        else:
            span = min(hi - lo, 1000)
            v = rng.choice([lo + rng.randint(0, span), 0 if lo <= 0 else lo, rng.randint(lo, hi)])
        r[name] = maybe(rng, max(lo, min(hi, v)))
    f = rng.choice([rng.uniform(-1000, 1000), round(rng.uniform(-50, 50), 1), 1.1, 2.5, -0.5, 0.0, -0.0, 3e38, -3e38,
                    float("inf"), float("nan"), 1e-30])
    r["f32"] = maybe(rng, f32(f))
    f = rng.choice([rng.uniform(-1e6, 1e6), round(rng.uniform(-50, 50), 2), 0.1, 0.3, 1e300, -1e300, -0.0,
                    float("-inf"), float("nan"), 5e-324, frac * 1000])
    r["f64"] = maybe(rng, f)
    r["b"] = maybe(rng, rng.random() < 0.5)
    r["s"] = maybe(rng, rng.choice(STRINGS + ["".join(rng.choice("abcxyz_%") for _ in range(rng.randint(1, 5)))]))
    r["s2"] = maybe(rng, "k%03d" % (i // 7), 0.2)
    r["d"] = maybe(rng, datetime.date(1969, 12, 20) + datetime.timedelta(days=int(frac * 20000) + rng.randint(0, 3)))
    for name, (unit, _) in TS.items():
        base = datetime.datetime(1969, 12, 31, 23, 59, 59) + datetime.timedelta(seconds=frac * 1.8e9)
        micros = rng.choice([0, 1, 999, 1000, 500, 999999, rng.randint(0, 999999)])
        if unit == "ms":
            micros = micros // 1000 * 1000
        v = base.replace(microsecond=micros)
        if rng.random() < 0.03:
            v = rng.choice([datetime.datetime(1, 1, 1), datetime.datetime(9999, 12, 31, 23, 59, 59)])
        r[name] = maybe(rng, v)
    for name, (p, s) in DECS.items():
        hi = 10**p - 1
        unscaled = rng.choice([int(-hi / 3 + frac * hi * 2 / 3) + rng.randint(-2, 2), hi, -hi, 0, 500, -500,
                               rng.randint(-hi, hi)])
        r[name] = maybe(rng, D(unscaled).scaleb(-s))
    st = {"x": maybe(rng, rng.randint(-20, 20)), "y": maybe(rng, rng.choice(STRINGS))}
    r["st"] = maybe(rng, st)
    return r


def to_json(r):
    out = {}
    for k, v in r.items():
        if k in ("st", "s2"):
            continue
        if isinstance(v, float):
            if v != v or v in (float("inf"), float("-inf")):
                continue  # NDJSON has no NaN or infinity: null in the ingested file
            out[k] = v
        elif isinstance(v, D):
            out[k] = format(v, "f")
        elif isinstance(v, datetime.datetime):
            out[k] = v.isoformat() + ("Z" if TS[k][1] else "")
        elif isinstance(v, datetime.date):
            out[k] = v.isoformat()
        else:
            out[k] = v
    return out


def cmd_gen(a):
    rng = random.Random(a.seed)
    os.makedirs(a.dir, exist_ok=True)
    sch = schema()
    files, n_rows, next_id = [], 0, 0
    sizes = [rng.randint(180, 260) for _ in range(4)]
    for k, size in enumerate(sizes):
        rows = [gen_row(rng, i, size) for i in range(size)]
        for r in rows:
            r["id"] = next_id
            next_id += 1
        t = pa.Table.from_pylist(rows, schema=sch)
        path = os.path.join(a.dir, "part-%d.parquet" % k)
        pq.write_table(t, path, row_group_size=rng.choice([30, 50, 64]), data_page_size=256, write_batch_size=16,
                       write_page_index=True, use_dictionary=(k % 2 == 0), compression="zstd")
        files.append(path)
        n_rows += size
    # The rows prestige ingests itself (written by prestige, read by both).
    size = 200
    rows = [gen_row(rng, i, size) for i in range(size)]
    for r in rows:
        r["id"] = next_id
        next_id += 1
    parent = os.path.dirname(os.path.abspath(a.dir))
    with open(os.path.join(parent, "ingest.ndjson"), "w") as f:
        for r in rows:
            f.write(json.dumps(to_json(r)) + "\n")
    types = {"i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64", "u8": "uint8", "u16": "uint16",
             "u32": "uint32", "u64": "uint64", "f32": "float32", "f64": "float64", "b": "bool", "s": "string",
             "d": "date", "ts_ms": "timestamp(ms)", "ts_us": "timestamp(us)", "tz_ms": "timestamp(ms, UTC)",
             "tz_us": "timestamp(us, UTC)", "dec": "decimal(9, 2)", "dec1": "decimal(5, 1)", "dec0": "decimal(12, 0)"}
    fields = [{"name": "id", "type": "int64", "nullable": False}] + [{"name": n, "type": t} for n, t in types.items()]
    with open(os.path.join(parent, "ingest.schema.json"), "w") as f:
        json.dump(fields, f)
    print(json.dumps({"files": files, "rows": n_rows + size}))


# ---------------------------------------------------------------------------------------------------------------
# Predicates


def written_as_double(t):
    """Whether DuckDB types the literal text t as DOUBLE (mirrors prestige's Exact::written_as_double)."""
    if t[:1] not in "-0123456789":
        return False
    neg, t = t.startswith("-"), t.lstrip("-")
    if "e" in t or "E" in t:
        return True
    whole, _, frac = t.partition(".")
    if "." in t:
        return len(whole.lstrip("0")) + len(frac) > 38
    return int(t) > (2**127 if neg else 2**128 - 1)


def q(s):
    return "'" + s.replace("'", "''") + "'"


def dec_text(x):
    t = format(D(x), "f")
    return t


def f32(x):
    """x rounded to the nearest float32."""
    return struct.unpack("f", struct.pack("f", x))[0]


def f32_text(v):
    """The shortest decimal (no exponent) that reads back as the float32 v."""
    for digits in range(1, 10):
        t = "%.*g" % (digits, v)
        if f32(float(t)) == v:
            break
    return format(D(t), "f")


def ts_text(v, sep="T"):
    return "%04d-%02d-%02d%s%02d:%02d:%02d.%06d" % (v.year, v.month, v.day, sep, v.hour, v.minute, v.second,
                                                   v.microsecond)


class Gen:
    def __init__(self, rng, data):
        self.rng = rng
        self.data = data  # column -> list of non-null python values
        self.cols = [c for c in COLUMNS if c not in ("id", "st")] + ["st.x", "st.y"]

    def pick(self, col):
        vals = self.data.get(col) or []
        return self.rng.choice(vals) if vals else None

    def ext(self, col):
        vals = [v for v in self.data.get(col) or [] if not (isinstance(v, float) and v != v)]
        return (min(vals), max(vals)) if vals else (None, None)

    # literals ---------------------------------------------------------------------------------------------
    def int_lit(self, col):
        rng = self.rng
        lo, hi = INTS[col][1:] if col in INTS else (-(2**31), 2**31 - 1)
        dmin, dmax = self.ext(col)
        v = self.pick(col)
        choices = [lambda: str(v), lambda: str(dmin), lambda: str(dmax), lambda: str(dmin - 1), lambda: str(dmax + 1),
                   lambda: str(lo), lambda: str(hi), lambda: str(lo - 1), lambda: str(hi + 1),
                   lambda: dec_text(D(v) + D("0.5")), lambda: dec_text(D(v) - D("0.5")),
                   lambda: dec_text(D(v) + D("0.001")), lambda: dec_text(D(dmax) + D("0.25")),
                   lambda: dec_text(D(dmin) - D("0.25")), lambda: str(v) + ".0", lambda: "-" + str(abs(v)),
                   lambda: rng.choice(["1e40", "-1e40"]), lambda: str(rng.choice([300, -300, 70000, -1, 2**64])),
                   lambda: "-0.5", lambda: "0"]
        return rng.choice(choices)()

    def dec_lit(self, col):
        rng = self.rng
        p, s = DECS[col]
        dmin, dmax = self.ext(col)
        v = self.pick(col)
        ulp = D(1).scaleb(-s)
        fine = D(1).scaleb(-(s + 1))
        top = D(10**p - 1).scaleb(-s)
        choices = [lambda: dec_text(v), lambda: dec_text(dmin), lambda: dec_text(dmax), lambda: dec_text(v + fine),
                   lambda: dec_text(v - fine), lambda: dec_text(v + ulp / 2), lambda: dec_text(v - ulp / 2),
                   lambda: dec_text(dmax + fine), lambda: dec_text(dmin - fine), lambda: dec_text(top),
                   lambda: dec_text(top + fine), lambda: dec_text(-top - ulp), lambda: dec_text(top * 10),
                   lambda: rng.choice(["1e40", "-1e40"]), lambda: str(int(v)), lambda: dec_text(-abs(v)),
                   lambda: dec_text(v) + "000"]
        return rng.choice(choices)()

    def float_lit(self, col):
        rng = self.rng
        v = self.pick(col)
        fmt = f32_text if col == "f32" else (lambda x: repr(float(x)).replace("e+", "e"))
        finite = [x for x in self.data[col] if x == x and abs(x) != float("inf")]
        v = v if v is not None and v == v and abs(v) != float("inf") else rng.choice(finite)
        dmin, dmax = min(finite), max(finite)
        choices = [lambda: fmt(v), lambda: fmt(dmin), lambda: fmt(dmax),
                   lambda: fmt(v) + ("1" if "." in fmt(v) and "e" not in fmt(v) else ""),
                   lambda: dec_text(D(fmt(v)) + D("0.0001")), lambda: rng.choice(["1.1", "2.5", "-0.5", "0.1", "0.3"]),
                   lambda: rng.choice(["1e40", "-1e40", "1.1e0", "2.5e0", "-0.0", "0", "3e38"]),
                   lambda: repr(float(v)).replace("e+", "e") if "e" in repr(float(v)) else repr(float(v)) + "e0"]
        return rng.choice(choices)()

    def date_lit(self, col):
        rng = self.rng
        v = self.pick(col)
        dmin, dmax = self.ext(col)
        day = datetime.timedelta(days=1)
        d = rng.choice([v, dmin, dmax, dmin - day, dmax + day, v + day, datetime.date(1970, 1, 1)])
        form = rng.randrange(4)
        if form == 0:
            return "DATE " + q(d.isoformat())
        if form == 1:
            return q(d.isoformat())
        t = rng.choice(["00:00:00", "12:00:00", "23:59:59.999999", "00:00:00.000001"])
        return "TIMESTAMP " + q(d.isoformat() + " " + t)

    def ts_lit(self, col):
        rng = self.rng
        unit, tz = TS[col]
        v = self.pick(col)
        dmin, dmax = self.ext(col)
        us = datetime.timedelta(microseconds=1)
        base, delta = rng.choice([(v, 0), (dmin, 0), (dmax, 0), (v, 1), (v, -1), (v, 500), (v, -500), (dmax, 1),
                                  (dmin, -1), (v, 999), (datetime.datetime(1, 1, 1), 0),
                                  (datetime.datetime(9999, 12, 31, 23, 59, 59, 999999), 0),
                                  (datetime.datetime(1970, 1, 1), 0)])
        try:
            t = base + delta * us
        except OverflowError:
            t = base
        form = rng.randrange(4)
        if tz is None:
            return ("TIMESTAMP " + q(ts_text(t, " "))) if form < 2 else q(ts_text(t, rng.choice(["T", " "])))
        if form == 0:
            return q(ts_text(t) + "Z")
        if form == 1 and datetime.datetime(1, 1, 2) < t < datetime.datetime(9999, 12, 30):
            return q(ts_text(t + datetime.timedelta(hours=2)) + "+02:00")
        if form == 2:
            return "TIMESTAMP " + q(ts_text(t, " "))
        return q(ts_text(t, " ") + "+00:00")

    def str_lit(self, col):
        v = self.pick(col)
        rng = self.rng
        v = v or ""
        choices = [v, v, v[:-1], v + "a", v + " ", rng.choice(STRINGS), "", "zzz", "A"]
        return q(rng.choice(choices))

    def list_lit(self, col):
        """A literal for IN and BETWEEN. DuckDB gives such a list one type, so one DOUBLE literal (an exponent, a
        fraction of over 38 digits, an integer beyond 128 bits) would turn the comparison of every item into a
        DOUBLE one; prestige types each item on its own (x IN (a, b) is x = a OR x = b). Lists stay out of that:
        no DOUBLE literals in them except on float64 columns, where every literal is a DOUBLE anyway."""
        for _ in range(50):
            t = self.lit(col)
            if col == "f64" or not written_as_double(t):
                return t
        return "0"

    def lit(self, col):
        base = col.split(".")[-1] if col.startswith("st.") else col
        if col == "st.x":
            return self.int_lit(col)
        if col == "st.y" or base in ("s", "s2"):
            return self.str_lit(col)
        if base in INTS:
            return self.int_lit(col)
        if base in DECS:
            return self.dec_lit(col)
        if base in ("f32", "f64"):
            return self.float_lit(col)
        if base == "d":
            return self.date_lit(col)
        if base in TS:
            return self.ts_lit(col)
        if base == "b":
            return self.rng.choice(["true", "false"])
        raise ValueError(col)

    # predicates -------------------------------------------------------------------------------------------
    def like(self, col):
        rng = self.rng
        v = self.pick(col) or "a"
        ascii_v = v if v.isascii() else "alpha"
        k = rng.randint(0, len(v))
        kind = rng.randrange(8)
        neg = "NOT " if rng.random() < 0.25 else ""
        if kind == 0:
            return f"{col} {neg}LIKE {q(v[:k] + '%')}"
        if kind == 1:
            return f"{col} {neg}LIKE {q('%' + v[k:])}"
        if kind == 2:
            return f"{col} {neg}LIKE {q('%' + v[k:k + 2] + '%')}"
        if kind == 3:
            return f"{col} {neg}LIKE {q(''.join('_' if rng.random() < 0.3 else c for c in v))}"
        if kind == 4:
            return f"{col} {neg}ILIKE {q(ascii_v[:k].upper() + '%')}"
        if kind == 5:
            # An escape character makes % and _ literal.
            pat = "".join("!" + c if c in "%_!" else c for c in v[:k]) + rng.choice(["%", "", "_%"])
            return f"{col} {neg}LIKE {q(pat)} ESCAPE '!'"
        if kind == 6:
            # No ESCAPE: a backslash is an ordinary character.
            pat = rng.choice([r"a\b", r"a\%", r"%\%", "50%", r"5_\%", "a%b"])
            return f"{col} {neg}LIKE {q(pat)}"
        return f"{col} {neg}LIKE {q(v)}"

    def atom(self):
        rng = self.rng
        col = rng.choice(self.cols)
        kind = rng.random()
        if col == "b" and kind < 0.3:
            return rng.choice(["b", "NOT b", "b = true", "b <> false", "b IS NOT NULL AND NOT b"])
        if kind < 0.06:
            return f"{col} IS {rng.choice(['', 'NOT '])}NULL"
        if col in ("s", "s2", "st.y") and kind < 0.35:
            return self.like(col)
        if kind < 0.12 and col != "b":
            op = rng.choice(["=", "<>", "<", ">"])
            return f"{col} {op} NULL" if rng.random() < 0.5 else f"{col} {rng.choice(['IN', 'NOT IN'])} ({self.list_lit(col)}, NULL)"
        if kind < 0.25:
            items = ", ".join(self.list_lit(col) for _ in range(rng.randint(1, 4)))
            return f"{col} {rng.choice(['IN', 'NOT IN', 'IN'])} ({items})"
        if kind < 0.37:
            a, b = self.list_lit(col), self.list_lit(col)
            return f"{col} {rng.choice(['BETWEEN', 'NOT BETWEEN', 'BETWEEN'])} {a} AND {b}"
        if kind < 0.42:
            other = {"i8": "u8", "i16": "i32", "i32": "i64", "u64": "i64", "f32": "f64", "dec": "i32", "dec1": "dec",
                     "d": "ts_ms", "ts_ms": "tz_us", "ts_us": "ts_ms", "dec0": "f64", "s": "s2"}.get(col)
            if other:
                return f"{col} {rng.choice(['=', '<>', '<', '<=', '>', '>='])} {other}"
        op = rng.choice(["=", "<>", "!=", "<", "<=", ">", ">="])
        if rng.random() < 0.15:
            return f"{self.lit(col)} {op} {col}"
        return f"{col} {op} {self.lit(col)}"

    def expr(self, depth=0):
        rng = self.rng
        r = rng.random()
        if depth >= 2 or r < 0.5:
            return self.atom()
        if r < 0.7:
            return f"({self.expr(depth + 1)}) AND ({self.expr(depth + 1)})"
        if r < 0.9:
            return f"({self.expr(depth + 1)}) OR ({self.expr(depth + 1)})"
        return f"NOT ({self.expr(depth + 1)})"


def cmd_eval(a):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    files = ", ".join(q(f) for f in a.files)
    src = f"read_parquet([{files}], union_by_name=true)"
    cols = [c for c in COLUMNS if c != "st"]
    data = {c: [] for c in cols + ["st.x", "st.y"]}
    for row in con.execute(f"SELECT {', '.join(cols)}, st.x, st.y FROM {src}").fetchall():
        for c, v in zip(cols + ["st.x", "st.y"], row):
            if v is not None:
                if isinstance(v, datetime.datetime) and v.tzinfo is not None:
                    v = v.astimezone(UTC).replace(tzinfo=None)
                data[c].append(v)
    gen = Gen(random.Random(a.seed * 7919 + 1), data)
    cases, dropped = [], []
    seen = set()
    while len(cases) < a.count:
        w = gen.expr()
        if w in seen:
            continue
        seen.add(w)
        try:
            # Evaluated as a projection, not a WHERE: DuckDB 1.5.5 pushes a WHERE on a float column down into its
            # Parquet reader, which drops NaN for `>=` / `>` although its expressions rank NaN above every number.
            rows = con.execute(f"SELECT id, ({w}) FROM {src} ORDER BY id").fetchall()
            ids = [r[0] for r in rows if r[1] is True]
        except duckdb.Error as e:
            dropped.append({"where": w, "error": str(e).splitlines()[0]})
            if len(dropped) > a.count:
                break
            continue
        cases.append({"where": w, "ids": ids})
    print(json.dumps({"cases": cases, "dropped": dropped}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--seed", type=int, required=True)
    g.add_argument("--dir", required=True)
    e = sub.add_parser("eval")
    e.add_argument("--seed", type=int, required=True)
    e.add_argument("--count", type=int, required=True)
    e.add_argument("files", nargs="+")
    a = ap.parse_args()
    {"gen": cmd_gen, "eval": cmd_eval}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
