"""An executable model of what `prestige ingest` promises for NDJSON input (issue 9 §5a).

Used by gen_ndjson_cases.py (to compute each case's expected outcome) and ndjson_roundtrip.py (to compare
what was written). It is written from the spec, not from the Rust code, and shares nothing with it:

- lines: split on \\n, a trailing \\r is dropped, empty lines are ignored, a UTF-8 BOM at the start of the
  (decompressed) input is skipped; line numbers count every physical line from 1.
- a line is bad when it is not UTF-8, not one JSON value (RFC 8259: raw control characters in strings, NaN,
  lone surrogates are errors), not an object, or does not fit the schema.
- inference over the sample: null-only -> string; bool; int64; uint64 (some above int64, none negative);
  decimal(38,0) (other integers beyond int64 with <= 38 digits, else refusal); ints + floats -> float64 when every
  integer has |x| <= 2^53, else refusal; string; list<merged element> (always empty -> list<string>);
  struct (fields in order of first appearance); an object that is always {} -> json; conflicting kinds ->
  refusal.
- strict decoding: a value must already have its column's JSON type (a float literal, -0.0 included, is never
  an integer); float64 columns take integers only when exact as a double; decimal(38,0) also takes integer
  strings (README); json columns take any value.

Types are plain tuples: ("string",) ("bool",) ("int64",) ("uint64",) ("decimal",) ("float64",) ("json",)
("list", T) ("struct", [(name, T), ...]).
"""
import json
import math
import re
import struct

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
U64_MAX = 2**64 - 1
F64_EXACT = 2**53
BOM = b"\xef\xbb\xbf"
DECIMAL_TEXT = re.compile(r"-?[0-9]+\Z")


class BadJson(Exception):
    pass


def _reject_constant(name):
    raise BadJson(f"non-JSON constant {name}")


def _has_surrogate(v):
    if isinstance(v, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in v)
    if isinstance(v, list):
        return any(_has_surrogate(x) for x in v)
    if isinstance(v, dict):
        return any(_has_surrogate(k) or _has_surrogate(x) for k, x in v.items())
    return False


def _pairs(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise BadJson("duplicate key")
    return dict(pairs)


def parse_line(raw):
    """The JSON object on a line, or raises BadJson."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadJson(f"invalid UTF-8: {e}")
    try:
        v = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_pairs)
    except (ValueError, RecursionError) as e:
        raise BadJson(str(e))
    if not isinstance(v, dict):
        raise BadJson("not an object")
    if _has_surrogate(v):
        raise BadJson("lone surrogate")
    if _has_inf(v):
        raise BadJson("number out of range")
    return v


def _has_inf(v):
    if isinstance(v, float):
        return math.isinf(v) or math.isnan(v)
    if isinstance(v, list):
        return any(_has_inf(x) for x in v)
    if isinstance(v, dict):
        return any(_has_inf(x) for x in v.values())
    return False


def split_lines(data):
    """[(line_number, raw_bytes)] of the non-blank lines of a decompressed input."""
    if data.startswith(BOM):
        data = data[len(BOM):]
    out = []
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    for i, p in enumerate(parts, 1):
        if p.endswith(b"\r"):
            p = p[:-1]
        if p == b"":
            continue
        out.append((i, p))
    return out


# --------------------------------------------------------------------------------------------------------
# Inference


def kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


# Kinds that merge without a conflict.
CLASS = {"bool": "bool", "int": "number", "float": "number", "string": "string", "array": "array", "object": "object"}


class Acc:
    """What the sample showed at one key path."""

    def __init__(self):
        self.kinds = {}  # kind -> first line numbers (witnesses)
        self.ints = []
        self.elem = None
        self.fields = {}  # insertion order = first appearance
        self.nonempty_object = False

    def observe(self, v, line):
        k = kind(v)
        self.kinds.setdefault(k, [])
        if len(self.kinds[k]) < 20:
            self.kinds[k].append(line)
        if k == "int":
            self.ints.append(v)
        elif k == "array":
            if self.elem is None:
                self.elem = Acc()
            for x in v:
                self.elem.observe(x, line)
        elif k == "object":
            if v:
                self.nonempty_object = True
            for name, x in v.items():
                self.fields.setdefault(name, Acc()).observe(x, line)


class Refusal(Exception):
    def __init__(self, path, reason, witnesses):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.witnesses = witnesses  # {kind: [lines]}


def resolve(acc, path):
    kinds = {k: v for k, v in acc.kinds.items() if k != "null"}
    classes = {CLASS[k] for k in kinds}
    if len(classes) > 1:
        raise Refusal(path, "conflicting types " + "/".join(sorted(classes)), kinds)
    if not classes:
        return ("string",)
    c = classes.pop()
    if c in ("bool", "string"):
        return (c,)
    if c == "number":
        if "float" in kinds:
            if any(abs(i) > F64_EXACT for i in acc.ints):
                raise Refusal(path, "integers beyond 2^53 mixed with floats", kinds)
            return ("float64",)
        if all(I64_MIN <= i <= I64_MAX for i in acc.ints):
            return ("int64",)
        if all(0 <= i <= U64_MAX for i in acc.ints):
            return ("uint64",)
        if all(len(str(abs(i))) <= 38 for i in acc.ints):
            return ("decimal",)
        raise Refusal(path, "integer with more than 38 digits", kinds)
    if c == "array":
        if acc.elem is None:
            return ("list", ("string",))
        return ("list", resolve(acc.elem, path + "[]"))
    # object
    if not acc.nonempty_object:
        return ("json",)
    return ("struct", [(n, resolve(a, f"{path}.{n}" if path else n)) for n, a in acc.fields.items()])


def infer(objects_with_lines):
    """Schema (a struct type) from [(line, obj)], or raises Refusal."""
    root = Acc()
    for line, obj in objects_with_lines:
        root.observe(obj, line)
    return ("struct", [(n, resolve(a, n)) for n, a in root.fields.items()])


def all_refusals(objects_with_lines):
    """Every key path the sample cannot type (for checking that the message names one of them)."""
    root = Acc()
    for line, obj in objects_with_lines:
        root.observe(obj, line)
    out = []

    def walk(acc, path):
        try:
            t = resolve(acc, path)
            return t
        except Refusal as r:
            # Descend anyway: children may be the real conflict.
            out.append(r)
            if acc.elem is not None:
                walk(acc.elem, path + "[]")
            for n, a in acc.fields.items():
                walk(a, f"{path}.{n}")
            return None

    for n, a in root.fields.items():
        walk(a, n)
    return out


# --------------------------------------------------------------------------------------------------------
# Strict decoding


def conforms(t, v):
    """Whether value v (not absent) fits type t; returns None if it fits, else a reason."""
    if v is None:
        return None
    tag = t[0]
    k = kind(v)
    if tag == "json":
        return None
    if tag == "string":
        return None if k == "string" else f"expected string, got {k}"
    if tag == "bool":
        return None if k == "bool" else f"expected bool, got {k}"
    if tag == "int64":
        if k != "int":
            return f"expected int64, got {k}"
        return None if I64_MIN <= v <= I64_MAX else "int64 out of range"
    if tag == "uint64":
        if k != "int":
            return f"expected uint64, got {k}"
        return None if 0 <= v <= U64_MAX else "uint64 out of range"
    if tag == "decimal":
        # README: decimals take JSON numbers or numeric strings (only integer forms are generated for scale 0)
        if k == "string" and DECIMAL_TEXT.match(v):
            v, k = int(v), "int"
        if k != "int":
            return f"expected decimal(38,0) integer, got {k}"
        return None if len(str(abs(v))) <= 38 else "too many digits"
    if tag == "float64":
        if k == "int":
            # No integer is rounded silently: one that is not exact as a double is a bad line (the spec refuses
            # such samples; for later lines and declared float64 columns prestige rejects them, and so do we).
            try:
                exact = int(float(v)) == v
            except OverflowError:
                exact = False
            return None if exact else "integer not exact as float64"
        return None if k == "float" else f"expected float64, got {k}"
    if tag == "list":
        if k != "array":
            return f"expected list, got {k}"
        for x in v:
            r = conforms(t[1], x)
            if r:
                return "[]: " + r
        return None
    if tag == "struct":
        if k != "object":
            return f"expected object, got {k}"
        names = {n for n, _ in t[1]}
        for key in v:
            if key not in names:
                return f"unknown key {key!r}"
        for n, ft in t[1]:
            if n in v:
                r = conforms(ft, v[n])
                if r:
                    return f"{n}: {r}"
        return None
    raise ValueError(f"unknown type {t}")


# --------------------------------------------------------------------------------------------------------
# Read-back comparison


def f64_bits(x):
    return struct.pack("<d", x)


def strict_json_eq(a, b):
    """JSON value equality that keeps bool/int/float apart and compares numbers exactly (-0.0 != 0.0)."""
    ka, kb = kind(a), kind(b)
    if ka != kb:
        return False
    if ka == "float":
        return f64_bits(a) == f64_bits(b)
    if ka == "array":
        return len(a) == len(b) and all(strict_json_eq(x, y) for x, y in zip(a, b))
    if ka == "object":
        return a.keys() == b.keys() and all(strict_json_eq(a[k], b[k]) for k in a)
    return a == b


def diff(t, src, got, path="$"):
    """None when `got` (read back) matches `src` (the JSON source value; None for absent/null) under type t,
    else a description of the first difference.

    Normalisation (decided here, per the spec): an absent key and null read back as null; a struct column reads
    back either as null or as a struct whose fields are all null where the source had {}, null or no key, and
    as a struct (never null) where the source had a non-empty object; json columns compare
    json.loads(stored) with the source strictly (no 1 == 1.0 == True)."""
    tag = t[0]
    if tag == "struct":
        def all_null(g):
            return isinstance(g, dict) and all(diff(ft, None, g.get(n), f"{path}.{n}") is None for n, ft in t[1])
        if src is None or src == {}:
            if got is None or all_null(got):
                return None
            return f"{path}: expected null or an all-null struct, got {got!r}"
        if not isinstance(got, dict):
            return f"{path}: expected a struct, got {got!r}"
        if [n for n, _ in t[1]] != list(got.keys()):
            return f"{path}: struct fields {list(got.keys())} != {[n for n, _ in t[1]]}"
        for n, ft in t[1]:
            d = diff(ft, src.get(n), got.get(n), f"{path}.{n}")
            if d:
                return d
        return None
    if src is None:
        return None if got is None else f"{path}: expected null, got {got!r}"
    if got is None:
        return f"{path}: expected {src!r}, got null"
    if tag == "json":
        if not isinstance(got, str):
            return f"{path}: json column holds {type(got).__name__} {got!r}, not JSON text"
        try:
            back = json.loads(got)
        except ValueError as e:
            return f"{path}: stored JSON text {got!r} does not parse: {e}"
        return None if strict_json_eq(back, src) else f"{path}: json {got!r} != source {json.dumps(src)}"
    if tag == "string" or tag == "bool":
        return None if (type(got) is type(src) and got == src) else f"{path}: {got!r} != {src!r}"
    if tag == "decimal" and isinstance(src, str) and DECIMAL_TEXT.match(src):
        src = int(src)
    if tag in ("int64", "uint64", "decimal"):
        try:
            g = int(got)
            exact = g == got
        except (TypeError, ValueError):
            return f"{path}: {got!r} is not an integer"
        return None if exact and g == src and not isinstance(got, bool) else f"{path}: {got!r} != {src!r}"
    if tag == "float64":
        if not isinstance(got, float):
            return f"{path}: {got!r} is not a float"
        want = float(src)
        return None if f64_bits(want) == f64_bits(got) else f"{path}: {got!r} != {want!r} (source {src!r})"
    if tag == "list":
        if not isinstance(got, list):
            return f"{path}: expected a list, got {got!r}"
        if len(got) != len(src):
            return f"{path}: list of {len(got)} != {len(src)}"
        for i, (s, g) in enumerate(zip(src, got)):
            d = diff(t[1], s, g, f"{path}[{i}]")
            if d:
                return d
        return None
    raise ValueError(f"unknown type {t}")


def row_diff(schema, obj, got):
    return diff(schema, obj, got, "$")


def type_str(t):
    tag = t[0]
    if tag == "list":
        return f"list<{type_str(t[1])}>"
    if tag == "struct":
        return "struct<" + ", ".join(f"{json.dumps(n, ensure_ascii=False)}: {type_str(ft)}" for n, ft in t[1]) + ">"
    if tag == "decimal":
        return "decimal(38,0)"
    return tag


def to_schema_type(t):
    """The schema-file form of a type (object forms for nesting, so any field name works)."""
    tag = t[0]
    if tag == "list":
        return {"type": "list", "element": to_schema_type(t[1])}
    if tag == "struct":
        return {"type": "struct", "fields": [{"name": n, "type": to_schema_type(ft)} for n, ft in t[1]]}
    if tag == "decimal":
        return "decimal(38, 0)"
    return tag


def to_schema_file(t):
    return {"fields": [{"name": n, "type": to_schema_type(ft)} for n, ft in t[1]]}


def from_arrow(at):
    """Our type tuple for a pyarrow type (read with the arrow.json extension enabled)."""
    import pyarrow as pa
    ext = getattr(at, "extension_name", None)
    if ext is not None:
        return ("json",) if ext == "arrow.json" else ("ext:" + ext,)
    if pa.types.is_string(at) or pa.types.is_large_string(at) or pa.types.is_string_view(at):
        return ("string",)
    if pa.types.is_boolean(at):
        return ("bool",)
    if pa.types.is_int64(at):
        return ("int64",)
    if pa.types.is_uint64(at):
        return ("uint64",)
    if pa.types.is_float64(at):
        return ("float64",)
    if pa.types.is_decimal(at):
        return ("decimal",) if (at.precision, at.scale) == (38, 0) else (f"decimal({at.precision},{at.scale})",)
    if pa.types.is_list(at) or pa.types.is_large_list(at):
        return ("list", from_arrow(at.value_type))
    if pa.types.is_struct(at):
        return ("struct", [(at.field(i).name, from_arrow(at.field(i).type)) for i in range(at.num_fields)])
    return (str(at),)
