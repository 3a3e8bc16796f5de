"""Seeded generator of random NDJSON ingest cases (issue 9 §5a), driven by tests/cli/differential_ingest.rs.

usage: gen_ndjson_cases.py --seed S --count N --out DIR --bin PRESTIGE

For each case it writes DIR/cNNNN/raw.ndjson (the uncompressed input bytes), an explicit schema file where the
generator knows a valid one, and a repro.sh; DIR/cases.json lists every case with the runs to make:
  {"id", "dir", "raw", "compress": none|gzip|zstd, "input": path|null (null = stdin), "runs": [
     {"name", "args": [...prestige args...], "mode": inferred|explicit, "on_error": fail|skip,
      "infer_rows": N|null, "lake", "state", "rerun": bool}]}
The same seed gives the same cases. The expected outcome is not stored: ndjson_roundtrip.py recomputes it
from the bytes with ndjson_oracle.py.
"""
import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ndjson_oracle as oracle  # noqa: E402


class Lit:
    """A JSON number emitted exactly as written (float forms, -0, exponents)."""

    def __init__(self, text):
        self.text = text


class Raw:
    """Text spliced into the line verbatim (bad input: raw control characters, NaN, invalid escapes)."""

    def __init__(self, text):
        self.text = text


ABSENT = object()

NAMES = ["id", "name", "a", "b", "c", "value", "ts", "tags", "nested", "meta", "kind", "score", "n", "flag",
         "payload", "items", "user", "geo", "x_y", "count", "when", "extra"]
ODD_NAMES = ["Ünïcødé", "emoji😀", "with space", "dot.key", 'quote"key', "back\\slash", "日本語", "e\u0301", "𝄞clef"]

STRINGS = ["", "a", "hello world", "Zürich", "中文字符", "😀", "𝄞 music", "e\u0301 combining", "\u200d\U0001F468\u200d\U0001F469",
           "2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123456+02:00", "2024-01-02", "123", "-1.5e3", "true", "null",
           "line\nbreak", "tab\there", 'quote " inside', "back\\slash", "slash/", "\u0000nul", "\u001fus", "\u007fdel",
           "\u2028\u2029", "\ufeffbom inside", "\uffff", "{\"not\": \"an object\"}", "   spaces   ", "\r\n"]


class Gen:
    def __init__(self, rnd):
        self.r = rnd

    # -- values ------------------------------------------------------------------------------------------
    def string(self):
        r = self.r
        if r.random() < 0.6:
            return r.choice(STRINGS)
        alphabet = "abcxyz09 _-.,:;!?'\"\\/\n\t\r\b\f\u0001\u00e9\u00fc\u4e2d\U0001F600\U0001D11E\u0301\u200b\u00a0"
        return "".join(r.choice(alphabet) for _ in range(r.randint(0, 12)))

    def big_int(self, flavor):
        r = self.r
        if flavor == "small":
            return r.randint(-1000, 1000)
        if flavor == "edge":
            return r.choice([0, -1, 1, 2**53, 2**53 + 1, -(2**53), -(2**53) - 1, 2**63 - 1, -(2**63), 2**31, -(2**31) - 1,
                             r.randint(-(2**63), 2**63 - 1), Lit("-0")] )
        if flavor == "u64":
            return r.choice([2**63, 2**63 + 1, 2**64 - 1, 2**64 - 2, r.randint(2**63, 2**64 - 1), r.randint(0, 100)])
        if flavor == "dec":
            d = r.randint(20, 38)
            return r.choice([2**64, -(2**63) - 1, -(2**64), 10**37, 10**38 - 1, -(10**38 - 1), r.randint(-1000, 1000),
                             r.choice([1, -1]) * r.randint(10 ** (d - 1), 10**d - 1)])
        if flavor == "f53":
            return r.choice([2**53, -(2**53), 2**53 - 1, r.randint(-(2**53), 2**53), r.randint(-100, 100)])
        raise ValueError(flavor)

    def float_lit(self):
        r = self.r
        c = r.random()
        if c < 0.25:
            return Lit(repr(r.uniform(-1e6, 1e6)))
        if c < 0.4:
            return Lit(repr(r.random() * 10.0 ** r.randint(-300, 300)))
        if c < 0.6:
            return Lit(r.choice(["-0.0", "0.0", "1.0", "1e5", "1E+5", "-2.5e-3", "5e-324", "2.2250738585072014e-308",
                                 "1.7976931348623157e308", "0.1", "0.30000000000000004", "-1.5E-10", "1e2", "9007199254740993.0",
                                 "4.9406564584124654e-324", "123456789012345678901234567890.5", "0e0", "-0e-0", "1.5e+300"]))
        if c < 0.85:
            # long mantissas: correct rounding is not the fast path
            digits = "".join(r.choice("0123456789") for _ in range(r.randint(17, 30)))
            return Lit(f"{r.choice(['', '-'])}{digits[0]}.{digits[1:]}e{r.randint(-320, 300)}")
        # halfway-ish decimal expansions of doubles
        x = r.uniform(0, 1) * 2.0 ** r.randint(-60, 60)
        return Lit(f"{x:.{r.randint(17, 25)}g}")

    def value(self, t, depth=0):
        """A random value of generator type t (never ABSENT)."""
        r = self.r
        tag = t[0]
        if tag == "bool":
            return r.random() < 0.5
        if tag == "int":
            return self.big_int(t[1])
        if tag == "float":
            return self.float_lit()
        if tag == "mixnum":
            return self.float_lit() if r.random() < 0.5 else self.big_int("f53")
        if tag == "string":
            return self.string()
        if tag == "list":
            if t[2] == "empty":
                return []
            out = []
            for _ in range(r.choice([0, 0, 1, 2, 3, 4])):
                out.append(None if r.random() < 0.1 else self.value(t[1], depth + 1))
            return out
        if tag == "struct":
            if r.random() < 0.12:
                return {}
            obj = {}
            for name, ft in t[1]:
                c = r.random()
                if c < 0.15:
                    continue
                obj[name] = None if c < 0.25 else self.value(ft, depth + 1)
            return obj
        if tag == "json":
            return self.any_json(depth)
        if tag == "emptyobj":
            return {}
        if tag == "nullonly":
            return None
        raise ValueError(t)

    def any_json(self, depth=0):
        r = self.r
        c = r.random()
        if depth >= 3:
            c = c * 0.6
        if c < 0.08:
            return None
        if c < 0.16:
            return r.random() < 0.5
        if c < 0.3:
            return self.big_int(r.choice(["small", "edge", "u64", "dec"]))
        if c < 0.42:
            return self.float_lit()
        if c < 0.6:
            return self.string()
        if c < 0.8:
            return [self.any_json(depth + 1) for _ in range(r.randint(0, 3))]
        return {self.key(): self.any_json(depth + 1) for _ in range(r.randint(0, 3))}

    def key(self):
        return self.r.choice(NAMES + ODD_NAMES[:3])

    # -- types -------------------------------------------------------------------------------------------
    def gen_type(self, depth=0):
        r = self.r
        # json (any value at all) makes most inferred runs refusals: keep it rare
        choices = ["bool", "int_small", "int_edge", "int_u64", "int_dec", "float", "mixnum", "string", "string",
                   "emptyobj", "nullonly", "list", "list", "struct", "struct", "list_empty"] * 2 + ["json"]
        if depth >= 2:
            choices = [c for c in choices if c not in ("list", "struct")]
        c = r.choice(choices)
        if c.startswith("int_"):
            return ("int", c[4:])
        if c == "list":
            return ("list", self.gen_type(depth + 1), "some")
        if c == "list_empty":
            return ("list", ("string",), "empty")
        if c == "struct":
            return ("struct", self.fields(r.randint(1, 4), depth + 1))
        return (c,)

    def fields(self, n, depth=0):
        r = self.r
        names = []
        while len(names) < n:
            k = r.choice(ODD_NAMES) if r.random() < 0.1 else r.choice(NAMES)
            if k not in names:
                names.append(k)
        return [(k, self.gen_type(depth)) for k in names]

    def declared(self, t, top=False):
        """The oracle type an explicit schema declares for generator type t."""
        r = self.r
        if r.random() < 0.1:
            return ("json",)
        tag = t[0]
        if tag == "int":
            return {"small": ("int64",), "edge": ("int64",), "u64": ("uint64",), "dec": ("decimal",), "f53": ("int64",)}[t[1]]
        if tag in ("float", "mixnum"):
            return ("float64",)
        if tag in ("emptyobj", "json"):
            return ("json",)
        if tag == "nullonly":
            return ("string",)
        if tag == "list":
            return ("list", self.declared(t[1]))
        if tag == "struct":
            return ("struct", [(n, self.declared(ft)) for n, ft in t[1]])
        return (tag,)

    # -- wrong values ------------------------------------------------------------------------------------
    def conflicting(self, t):
        """A value whose JSON kind conflicts with generator type t (string-vs-bool is left out: the spec does
        not list it)."""
        r = self.r
        tag = t[0]
        if tag in ("int", "float", "mixnum"):
            return r.choice(["7", True, [1], {"k": 1}])
        if tag == "bool":
            return r.choice([1, 2.5, [True], {"k": True}])
        if tag == "string":
            return r.choice([5, [self.string()], {"k": "v"}])
        if tag == "list":
            return r.choice(["x", 3, {"k": []}, True])
        if tag == "struct":
            return r.choice([[{"k": 1}], "s", 9])
        if tag == "emptyobj":
            return r.choice([[], "s", 1])
        return None  # json / nullonly: nothing conflicts in the sample

    # -- serialisation -----------------------------------------------------------------------------------
    def enc_str(self, s):
        r = self.r
        out = ['"']
        for ch in s:
            o = ord(ch)
            if ch == '"':
                out.append('\\"')
            elif ch == "\\":
                out.append("\\\\")
            elif o < 0x20:
                named = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f"}
                out.append(named[ch] if ch in named and r.random() < 0.7 else f"\\u{o:04x}" if r.random() < 0.5 else f"\\u{o:04X}")
            elif ch == "/" and r.random() < 0.3:
                out.append("\\/")
            elif r.random() < 0.12:
                if o > 0xFFFF:
                    v = o - 0x10000
                    out.append(f"\\u{0xD800 + (v >> 10):04x}\\u{0xDC00 + (v & 0x3FF):04x}")
                else:
                    out.append(f"\\u{o:04x}")
            else:
                out.append(ch)
        out.append('"')
        return "".join(out)

    def ws(self):
        return self.r.choice(["", "", "", " ", "  ", "\t"])

    def enc(self, v):
        if isinstance(v, (Lit, Raw)):
            return v.text
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return repr(v)
        if isinstance(v, str):
            return self.enc_str(v)
        if isinstance(v, list):
            return "[" + ",".join(self.ws() + self.enc(x) + self.ws() for x in v) + "]"
        if isinstance(v, dict):
            items = list(v.items())
            return "{" + ",".join(f"{self.ws()}{self.enc_str(k)}{self.ws()}:{self.ws()}{self.enc(x)}" for k, x in items) + self.ws() + "}"
        raise TypeError(v)

    def row(self, schema_t, shuffle):
        obj = {}
        for name, ft in schema_t:
            c = self.r.random()
            if c < 0.12:
                continue
            obj[name] = None if c < 0.2 else self.value(ft)
        if shuffle and len(obj) > 1:
            items = list(obj.items())
            self.r.shuffle(items)
            obj = dict(items)
        return obj


# (Duplicate keys are left out: the spec does not say what they mean.)
BAD_LINE_KINDS = ["truncated", "not_object", "garbage", "invalid_utf8", "raw_control", "unknown_key", "wrong_kind",
                  "wrong_kind", "int_range", "lone_surrogate", "nan", "huge_float", "digits39"]


def bad_line(g, fields, base_obj):
    """(bytes, kind) of a line that must be rejected under the inferred or declared schema of `fields`."""
    r = g.r
    k = r.choice(BAD_LINE_KINDS)
    text = g.enc(base_obj)
    if k == "truncated":
        return text[: max(1, len(text) // 2)].encode(), k
    if k == "not_object":
        return r.choice([b"[1,2]", b'"just a string"', b"42", b"null", b"[]", b"true"]), k
    if k == "garbage":
        return (text + r.choice([" x", "}", ",", " {}", "]"])).encode(), k
    if k == "invalid_utf8":
        return b'{"' + fields[0][0].encode() + b'":"caf\xe9"}', k
    if k == "raw_control":
        return ('{"' + fields[0][0].replace('"', "") + '":"a\u0001b\tc"}').encode(), k
    if k == "unknown_key":
        obj = dict(base_obj)
        obj["zz_unknown_" + str(r.randint(0, 99))] = 1
        return g.enc(obj).encode(), k
    if k == "lone_surrogate":
        return b'{"s_":"\\ud800x"}', k
    if k == "nan":
        return b'{"f_": NaN}', k
    if k == "huge_float":
        return b'{"f_": 1e400}', k
    # typed defects on a real field
    name, ft = r.choice(fields)
    obj = dict(base_obj)
    if k == "digits39":
        obj[name] = 10**38 + r.randint(0, 10**6)
    elif k == "int_range":
        obj[name] = r.choice([2**64, -(2**63) - 1, 10**40])
    else:
        v = g.conflicting(ft)
        obj[name] = v if v is not None else [Raw("nan")]  # json columns: a malformed value
    return g.enc(obj).encode(), k


def make_case(g, idx, out_dir, bin_path):
    r = g.r
    cid = f"c{idx:04d}"
    cdir = os.path.join(out_dir, cid)
    fields = g.fields(r.randint(1, 6))
    n = r.choice([1, 2, 3, 5, 8, 10, 12, 15, 20, 30, 40])
    shuffle = r.random() < 0.3
    objs = [g.row(fields, shuffle) for _ in range(n)]
    notes = []
    # the sample must show at least one key
    if not any(objs[0].values()) and not objs[0]:
        objs[0] = {fields[0][0]: g.value(fields[0][1])}
    lines = [g.enc(o).encode() for o in objs]

    infer_rows = None
    if r.random() < 0.4 and n > 1:
        infer_rows = r.randint(1, n - 1)
    sample_len = infer_rows if infer_rows is not None else n

    if r.random() < 0.2:
        # a conflicting kind inside the sample: inference must refuse
        i = r.randrange(sample_len)
        name, ft = r.choice(fields)
        v = g.conflicting(ft)
        if v is not None:
            obj = dict(objs[i])
            obj[name] = v
            lines[i] = g.enc(obj).encode()
            notes.append(f"sample conflict at line {i + 1} key {name!r}")
    if r.random() < 0.35 and n > 1:
        if infer_rows is None:
            infer_rows = r.randint(1, n - 1)
            sample_len = infer_rows
        for _ in range(r.randint(1, 3)):
            i = r.randrange(sample_len, n)
            lines[i], k = bad_line(g, fields, objs[i])
            notes.append(f"bad line {i + 1}: {k}")

    # line ends, blank lines (never inside a short sample window), BOM
    crlf = r.random() < 0.2
    out = []
    for i, l in enumerate(lines):
        if r.random() < 0.1 and (infer_rows is None or i > sample_len):
            out.append(b"" if crlf or r.random() < 0.5 else b"\r")
        out.append(l)
    if r.random() < 0.1:
        out.append(b"")
    eol = b"\r\n" if crlf else b"\n"
    data = eol.join(out)
    if r.random() < 0.85:
        data += eol
    stdin = r.random() < 0.25
    if r.random() < 0.15 and not stdin:
        data = oracle.BOM + data
        notes.append("BOM")
    compress = r.choices(["none", "gzip", "zstd"], [6, 2, 2])[0]
    ext = r.choice({"none": [".ndjson", ".json", ""], "gzip": [".gz", ".ndjson.gz", ".ndjson", ".data"],
                    "zstd": [".zst", ".zstd", ".ndjson", ".bin"]}[compress])
    declared = None
    if r.random() < 0.7:
        declared = ("struct", [(nm, g.declared(ft)) for nm, ft in fields])
    return emit_case(r, cid, cdir, data, compress, ext, stdin, infer_rows, declared, notes, bin_path)


def emit_case(r, cid, cdir, data, compress, ext, stdin, infer_rows, declared, notes, bin_path, all_runs=False):
    os.makedirs(cdir, exist_ok=True)
    with open(os.path.join(cdir, "raw.ndjson"), "wb") as f:
        f.write(data)
    input_path = None if stdin else os.path.join(cdir, "input" + ext)
    if declared:
        with open(os.path.join(cdir, "schema.json"), "w") as f:
            json.dump(oracle.to_schema_file(declared), f, ensure_ascii=False)
    # which runs: the checker decides what each must produce
    runs = []
    modes = ["inferred"] + (["explicit"] if declared else [])
    for mode in modes:
        for on_error in ["fail", "skip"]:
            if on_error == "skip" and not all_runs and not notes and r.random() < 0.8:
                continue
            name = f"{mode}-{on_error}"
            lake = os.path.join(cdir, f"lake-{name}")
            args = ["ingest"] + ([] if stdin else [input_path]) + ["--to", lake, "--format", "json", "--on-error", on_error]
            args += ["--prefix", r.choice(["data", "events", "deep/ev"])]
            if mode == "explicit":
                args += ["--schema", os.path.join(cdir, "schema.json")]
            elif infer_rows is not None:
                args += ["--infer-rows", str(infer_rows)]
            if r.random() < 0.3:
                args += ["--max-rows", str(r.randint(1, 4))]
            args += ["--threads", str(r.choice([1, 2]))]
            runs.append({"name": name, "args": args, "mode": mode, "on_error": on_error,
                         "infer_rows": infer_rows if mode == "inferred" else None, "lake": lake,
                         "state": os.path.join(cdir, f"state-{name}"), "rerun": on_error == "fail" and not stdin})

    case = {"id": cid, "dir": cdir, "raw": os.path.join(cdir, "raw.ndjson"), "compress": compress,
            "input": input_path, "runs": runs, "notes": notes, "declared": oracle.type_str(declared) if declared else None}
    write_repro(case, bin_path)
    return case


def write_repro(case, bin_path):
    lines = ["#!/bin/sh", f"# case {case['id']}: {'; '.join(case['notes']) or 'no defects injected'}",
             f"# input: raw.ndjson ({case['compress']}) " + ("on stdin" if case["input"] is None else f"as {case['input']}"),
             "set -x", f"cd {sh(case['dir'])}"]
    if case["compress"] != "none":
        tool = "gzip -c" if case["compress"] == "gzip" else "zstd -q -c"
        src = f"{tool} raw.ndjson"
    else:
        src = "cat raw.ndjson"
    if case["input"] is not None:
        lines.append(f"{src} > {sh(case['input'])}")
    for run in case["runs"]:
        lines.append(f"rm -rf {sh(run['lake'])} {sh(run['state'])}")
        cmd = f"PRESTIGE_STATE_DIR={sh(run['state'])} {sh(bin_path)} " + " ".join(sh(a) for a in run["args"])
        lines.append(f"{src} | {cmd}; echo exit=$?" if case["input"] is None else f"{cmd}; echo exit=$?")
    with open(os.path.join(case["dir"], "repro.sh"), "w") as f:
        f.write("\n".join(lines) + "\n")


def sh(s):
    return "'" + str(s).replace("'", "'\\''") + "'"


I, U, D, F, S, B, J = ("int64",), ("uint64",), ("decimal",), ("float64",), ("string",), ("bool",), ("json",)


def L(t):
    return ("list", t)


def St(*fields):
    return ("struct", list(fields))


# Named cases for the spec's corners: (name, lines, options). Options: infer_rows, schema (oracle type),
# compress, stdin, crlf, bom, ext, eof_newline.
FIXED = [
    ("neg_zero_int", ['{"a":-0}', '{"a":5}'], {"schema": St(("a", I))}),
    ("neg_zero_float_is_not_an_integer", ['{"a":1}', '{"a":-0.0}', '{"a":2}'], {"infer_rows": 1, "schema": St(("a", I))}),
    ("inexact_integer_into_float_after_sample", ['{"f":0.5}', '{"f":9007199254740993}', '{"f":9007199254740994}'],
     {"infer_rows": 1, "schema": St(("f", F))}),
    ("beyond_u64_float_mix_refused", ['{"f":0.5}', '{"f":18446744073709551617}'], {}),
    ("beyond_u64_into_float_after_sample", ['{"f":0.5}', '{"f":18446744073709551617}', '{"f":1}'],
     {"infer_rows": 1, "schema": St(("f", F))}),
    ("uint64_max", ['{"u":18446744073709551615}', '{"u":1}', '{"u":9223372036854775808}'], {"schema": St(("u", U))}),
    ("uint64_then_negative_post_sample", ['{"u":18446744073709551615}', '{"u":-1}'], {"infer_rows": 1}),
    ("decimal_beyond_int64", ['{"d":-9223372036854775809}', '{"d":99999999999999999999999999999999999999}', '{"d":0}'],
     {"schema": St(("d", D))}),
    ("decimal_uint64_and_negative", ['{"d":18446744073709551615}', '{"d":-1}'], {}),
    ("digits39_refused", ['{"d":1}', '{"d":1000000000000000000000000000000000000000}'], {}),
    ("int53_float_mix_ok", ['{"f":9007199254740992}', '{"f":0.5}', '{"f":-9007199254740992}'], {"schema": St(("f", F))}),
    ("int53plus1_float_mix_refused", ['{"f":9007199254740993}', '{"f":0.5}'], {}),
    ("int64_max_float_mix_refused", ['{"f":0.5}', '{"f":9223372036854775807}'], {}),
    ("float_post_sample_into_int", ['{"i":1}', '{"i":2.0}'], {"infer_rows": 1}),
    ("always_empty_object_is_json", ['{"m":{}}', '{"m":null}', '{"x":1}', '{"m":{"a":[1,2.5,"s",{}]},"x":2}'],
     {"infer_rows": 3, "schema": St(("m", J), ("x", I))}),
    ("sometimes_empty_object_is_struct", ['{"s":{}}', '{"s":{"a":1}}', '{"s":null}', '{}'], {"schema": St(("s", St(("a", I))))}),
    ("nested_always_empty_is_json", ['{"s":{"t":{}}}', '{"s":{"t":{},"u":2}}', '{"s":{"u":3}}'], {}),
    ("struct_of_nulls_is_not_null", ['{"s":{"a":null}}', '{"s":{"a":1}}'], {}),
    ("always_empty_list", ['{"l":[]}', '{"l":[]}'], {"schema": St(("l", L(S)))}),
    ("list_of_nulls_and_empty", ['{"l":[null]}', '{"l":[]}', '{"l":null}'], {}),
    ("list_merge_int_float", ['{"l":[1,2]}', '{"l":[0.5]}', '{"l":[]}'], {}),
    ("list_of_structs_merge", ['{"l":[{"a":1},{}]}', '{"l":[{"b":"x","a":2}]}'], {}),
    ("field_order_first_appearance", ['{"b":1,"a":{"y":1}}', '{"a":{"x":2,"y":3},"c":true}'], {}),
    ("conflict_string_number", ['{"a":1}', '{"a":"x"}'], {}),
    ("conflict_bool_number", ['{"a":true}', '{"a":0}'], {}),
    ("conflict_scalar_array", ['{"a":[1]}', '{"a":1}'], {}),
    ("conflict_array_object", ['{"a":{"k":1}}', '{"a":[{"k":1}]}'], {}),
    ("conflict_nested", ['{"s":{"t":1}}', '{"s":{"t":"one"}}'], {}),
    ("conflict_in_list", ['{"l":[1,"a"]}'], {}),
    ("conflict_empty_object_vs_scalar", ['{"m":{}}', '{"m":3}'], {}),
    ("rfc3339_stays_string", ['{"ts":"2024-01-02T03:04:05Z"}', '{"ts":"2024-01-02T03:04:05.123+02:00"}'], {}),
    ("null_only_is_string", ['{"n":null,"i":1}', '{"i":2}', '{"n":"later","i":3}'], {"infer_rows": 2}),
    ("null_only_then_number_is_bad", ['{"n":null}', '{"n":1}', '{"n":"ok"}'], {"infer_rows": 1}),
    ("unknown_key_after_sample", ['{"a":1}', '{"a":2,"b":3}', '{"a":4}'], {"infer_rows": 1}),
    ("int64_overflow_after_sample", ['{"a":1}', '{"a":9223372036854775808}', '{"a":3}'], {"infer_rows": 1}),
    ("all_lines_bad_explicit", ['{"a":"x"}', '{"a":"y"}'], {"schema": St(("a", I))}),
    ("hard_floats", ['{"f":0.1}', '{"f":2.2250738585072011e-308}', '{"f":1.00000000000000011102230246251565404236316680908203125}',
                     '{"f":1.00000000000000011102230246251565404236316680908203126}', '{"f":2.4703282292062328e-324}',
                     '{"f":7.038531e-26}', '{"f":-0.0}', '{"f":1e-400}', '{"f":179769313486231580793728971405301e276}',
                     '{"f":9007199254740993.0}', '{"f":0.000000000000000000000000000000000000000000001e45}',
                     '{"f":8.98846567431158e307}', '{"f":4.35679e-321}'], {"schema": St(("f", F))}),
    ("json_column_exact", ['{"j":123456789012345678901234567890}', '{"j":{"a":[1.0,-0.0,"\\ud83d\\ude00",{}],"b":null}}',
                           '{"j":null}', '{"j":"s"}', '{"j":[]}', '{"j":18446744073709551616}', '{"j":-0}'],
     {"schema": St(("j", J))}),
    ("json_in_struct_and_list", ['{"s":{"j":{"x":1}},"l":[{"y":2},null,3]}'], {"schema": St(("s", St(("j", J))), ("l", L(J)))}),
    ("unicode_and_escapes", ['{"s":"\\u00e9\\u0301 \\ud834\\udd1e \\"q\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u0000 \\u001f","k\\u00e9y":"\U0001F600"}',
                             '{"s":"e\u0301\U0001D11E\u2028","k\u00e9y":"\u200d"}'], {"schema": St(("s", S), ("k\u00e9y", S))}),
    ("raw_control_char_is_bad", ['{"s":"ok"}', '{"s":"a\tb"}'], {"infer_rows": 1}),
    ("lone_surrogate_is_bad", ['{"s":"ok"}', '{"s":"\\ud800"}'], {"infer_rows": 1}),
    ("crlf_blank_lines", ['{"a":1}', '', '{"a":2}', '', ''], {"crlf": True}),
    ("bom_file", ['{"a":1}', '{"a":2}'], {"bom": True}),
    ("bom_gzip_any_extension", ['{"a":1}', '{"a":2}'], {"bom": True, "compress": "gzip", "ext": ".txt"}),
    ("gzip_stdin", ['{"a":1}', '{"a":"2"}'], {"compress": "gzip", "stdin": True, "schema": St(("a", J))}),
    ("zstd_stdin", ['{"a":[1]}', '{"a":[2,3]}'], {"compress": "zstd", "stdin": True}),
    ("zstd_ndjson_extension", ['{"a":1}', '{"a":2}', '{"a":"bad"}', '{"a":4}'], {"compress": "zstd", "ext": ".ndjson",
                                                                                 "infer_rows": 2}),
    ("no_final_newline", ['{"a":1}', '{"a":2}'], {"eof_newline": False}),
    ("default_sample_is_1000_lines", ['{"a":%d}' % i for i in range(1000)] + ['{"a":1.5}', '{"a":7}'], {}),
    ("null_for_1000_lines_then_string", ['{"a":null,"i":%d}' % i for i in range(1000)] + ['{"a":"late","i":1}'], {}),
    ("post_sample_bad_then_rotation", ['{"a":%d}' % i for i in range(9)] + ['{"a":"x"}', '{"a":10}'],
     {"infer_rows": 3, "max_rows": 2}),
]


def fixed_cases(out_dir, bin_path):
    r = random.Random(7)
    cases = []
    for name, lines, o in FIXED:
        eol = b"\r\n" if o.get("crlf") else b"\n"
        data = eol.join(line.encode() for line in lines) + (eol if o.get("eof_newline", True) else b"")
        if o.get("bom"):
            data = oracle.BOM + data
        compress = o.get("compress", "none")
        ext = o.get("ext", {"none": ".ndjson", "gzip": ".gz", "zstd": ".zst"}[compress])
        case = emit_case(r, f"f-{name}", os.path.join(out_dir, f"f-{name}"), data, compress, ext, o.get("stdin", False),
                         o.get("infer_rows"), o.get("schema"), [name], bin_path, all_runs=True)
        if "max_rows" in o:
            for run in case["runs"]:
                i = run["args"].index("--max-rows") if "--max-rows" in run["args"] else None
                if i is None:
                    run["args"] += ["--max-rows", str(o["max_rows"])]
            write_repro(case, bin_path)
        cases.append(case)
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--bin", default="prestige")
    ap.add_argument("--fixed", action="store_true", help="the named corner cases instead of random ones")
    a = ap.parse_args()
    if a.fixed:
        cases = fixed_cases(a.out, a.bin)
    else:
        g = Gen(random.Random(a.seed))
        cases = [make_case(g, i, a.out, a.bin) for i in range(a.count)]
    with open(os.path.join(a.out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1, ensure_ascii=False)
    json.dump({"cases": len(cases), "runs": sum(len(c["runs"]) for c in cases)}, sys.stdout)


if __name__ == "__main__":
    main()
