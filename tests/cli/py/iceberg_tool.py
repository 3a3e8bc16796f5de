"""Independent Iceberg reader/writer for the end-to-end tests: PyIceberg and DuckDB, JSON on stdout.

Catalog (every subcommand that names a TABLE, as `ns.table`; nested namespaces are dotted):
  --sqlite catalog.db --warehouse DIR [--name default]       PyIceberg SqlCatalog
  --rest http://127.0.0.1:PORT [--s3-endpoint URL --key K --secret S]
                                                             PyIceberg RestCatalog, warehouse `warehouse`,
                                                             OAuth2 client credentials K:S, path-style S3
--s3-endpoint/--key/--secret default to AWS_ENDPOINT_URL / AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.

Subcommands:
  read TABLE [--snapshot-id ID | --as-of-ms MS | --ref NAME] [--since A] [--until B] [--columns a,b] [--where EXPR]
      -> {"snapshot_id", "count", "rows", "metadata_location"}; --since/--until = incremental append scan
  read-duckdb METADATA_JSON [--snapshot-id ID] [--allow-moved-paths] -> {"snapshot_id", "count", "rows", "metadata"}
      DuckDB iceberg_scan, no catalog: a local path, file:// or s3:// (S3 via --s3-endpoint/--key/--secret);
      a table directory instead of a metadata file picks its newest metadata/*.metadata.json
  read-duckdb-rest TABLE [--snapshot-id ID] -> {"snapshot_id", "count", "rows"}   (DuckDB ATTACH of --rest)
  snapshots TABLE -> {"metadata_location", "location", "format_version", "current_snapshot_id", "refs",
      "snapshots": [{"snapshot_id", "parent_id", "sequence_number", "timestamp_ms", "operation", "schema_id",
      "manifest_list", "summary"}]}   (metadata order)
  make-pyiceberg-table TABLE -> {"snapshots": [{"snapshot_id", "timestamp_ms", "operation"}], "metadata_location"}
      v2, bucket[4](id) then + day(ts), identity(label); 8 snapshots: append, append, overwrite(filter)
      (= overwrite + append), delete(filter) rewriting files (overwrite), add column `extra` + rename
      name->label, append, spec evolution, append, delete(whole file); 34 rows in the end
  make-duckdb-table TABLE (REST only) -> same shape; DuckDB writes 3 appends, DELETE and UPDATE (position
      delete files; UPDATE = overwrite snapshot) and one more append; 29 rows in the end
  entries TABLE -> {"entries": [{"status", "snapshot_id", "sequence_number", "file_sequence_number", "path",
      "manifest"}]}: the live manifest entries of the current snapshot
  append TABLE --rows FILE.ndjson -> {"snapshot_id", "rows": N, "metadata_location"}
      rows in `read`'s canonical form, converted with the table's current schema (missing keys are null)
  append-loop TABLE --seconds N --batch K --id-start S
      -> {"commits", "rows", "retries", "first_id", "last_id", "snapshot_ids": [one per commit]}
      K rows per commit, ids S, S+1, ... in column `id`, other columns deterministic from the id; a commit
      conflict reloads and retries (`retries` counts only those beyond PyIceberg's own 409 retries)
  delete-loop TABLE --seconds N [--every S] [--batch K] [--modulo M] [--seed X]
      -> {"deleted": [ids], "commits", "retries"}: every S seconds deletes K random ids (multiples of M) the
      table holds with PyIceberg's delete, retrying conflicts

Rows are canonical: sorted by their compact sorted-keys JSON text; timestamptz `2026-11-23T10:00:00.000000Z`,
timestamp without `Z`, dates ISO, times `HH:MM:SS.ffffff`, decimals as strings, binary/fixed as hex, uuid as
text, NaN/Infinity as strings, maps as objects (keys as text), lists and structs recursively.
"""

import argparse
import datetime as dt
import decimal
import glob
import json
import os
import re
import sys
import time
import uuid

import pyarrow as pa

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------- canonical values


def _fmt_ts(d, tz, nanos=None):
    if tz:
        if d.tzinfo is None:
            d = d.replace(tzinfo=UTC)
        d = d.astimezone(UTC)
    frac = f"{d.microsecond:06d}" if nanos is None else f"{nanos:09d}"
    s = f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}.{frac}"
    return s + "Z" if tz else s


def _canon(v, t):
    """A Python value from pyarrow's to_pylist, made JSON-comparable using its arrow type."""
    if v is None:
        return None
    if isinstance(t, pa.ExtensionType):
        if isinstance(v, uuid.UUID):
            return str(v)
        return _canon(v, t.storage_type)
    if pa.types.is_timestamp(t):
        if isinstance(v, int):  # already an epoch count (nanosecond columns are cast before to_pylist)
            secs, ns = divmod(v, 1_000_000_000)
            d = dt.datetime.fromtimestamp(secs, UTC)
            return _fmt_ts(d if t.tz else d.replace(tzinfo=None), t.tz is not None, nanos=ns)
        return _fmt_ts(v, t.tz is not None)
    if pa.types.is_date(t):
        return v.isoformat()
    if pa.types.is_time(t):
        return f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"
    if pa.types.is_decimal(t):
        return format(v, "f")
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t) or pa.types.is_binary_view(t):
        return bytes(v).hex()
    if pa.types.is_floating(t):
        if v != v:
            return "NaN"
        if v in (float("inf"), float("-inf")):
            return "Infinity" if v > 0 else "-Infinity"
        return float(v)
    if pa.types.is_map(t):
        out = {}
        for k, x in v:
            k = _canon(k, t.key_type)
            out[k if isinstance(k, str) else json.dumps(k, sort_keys=True)] = _canon(x, t.item_type)
        return out
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) or pa.types.is_list_view(t):
        return [_canon(x, t.value_type) for x in v]
    if pa.types.is_struct(t):
        return {t.field(i).name: _canon(v.get(t.field(i).name), t.field(i).type) for i in range(t.num_fields)}
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, bytes):
        return v.hex()
    return v


def canonical_rows(table: pa.Table):
    cols = []
    for name, col in zip(table.column_names, table.columns):
        t = col.type
        if pa.types.is_timestamp(t) and t.unit == "ns":
            vals = col.cast(pa.int64()).to_pylist()
        else:
            vals = col.to_pylist()
        cols.append((name, t, vals))
    rows = []
    for i in range(table.num_rows):
        rows.append({name: _canon(vals[i], t) for name, t, vals in cols})
    rows.sort(key=lambda r: json.dumps(r, sort_keys=True, separators=(",", ":")))
    return rows


def emit(obj):
    json.dump(obj, sys.stdout, separators=(",", ":"), allow_nan=False)
    sys.stdout.write("\n")


# ---------------------------------------------------------------- catalogs


def s3_settings(a):
    endpoint = a.s3_endpoint or os.environ.get("AWS_ENDPOINT_URL")
    key = a.key or os.environ.get("AWS_ACCESS_KEY_ID")
    secret = a.secret or os.environ.get("AWS_SECRET_ACCESS_KEY")
    return endpoint, key, secret


def s3_props(a):
    endpoint, key, secret = s3_settings(a)
    props = {"s3.region": os.environ.get("AWS_REGION", "us-east-1"), "s3.path-style-access": "true"}
    if endpoint:
        props["s3.endpoint"] = endpoint
    if key:
        props["s3.access-key-id"] = key
    if secret:
        props["s3.secret-access-key"] = secret
    return props


def load_catalog(a):
    if a.sqlite:
        from pyiceberg.catalog.sql import SqlCatalog

        warehouse = a.warehouse or os.path.dirname(os.path.abspath(a.sqlite))
        if "://" not in warehouse:
            os.makedirs(warehouse, exist_ok=True)
            warehouse = "file://" + os.path.abspath(warehouse)
        return SqlCatalog(a.name, uri="sqlite:///" + os.path.abspath(a.sqlite), warehouse=warehouse, **s3_props(a))
    if a.rest:
        from pyiceberg.catalog.rest import RestCatalog

        _, key, secret = s3_settings(a)
        uri = a.rest.rstrip("/")
        props = {"uri": uri, "warehouse": a.rest_warehouse, **s3_props(a)}
        if key and secret:
            props["credential"] = f"{key}:{secret}"
            props["oauth2-server-uri"] = uri + "/v1/oauth/tokens"
        return RestCatalog(a.name, **props)
    sys.exit("iceberg_tool: choose a catalog with --sqlite DB --warehouse DIR or --rest URI")


def split_ident(name):
    parts = name.split(".")
    if len(parts) < 2:
        sys.exit(f"iceberg_tool: table {name!r} needs a namespace (ns.table)")
    return tuple(parts[:-1]), parts[-1]


def ensure_namespace(cat, ns):
    from pyiceberg.exceptions import NamespaceAlreadyExistsError

    for i in range(1, len(ns) + 1):
        try:
            cat.create_namespace(ns[:i])
        except NamespaceAlreadyExistsError:
            pass


def snapshot_list(tbl):
    out = []
    for s in tbl.metadata.snapshots:
        summary = dict(s.summary.additional_properties) if s.summary else {}
        out.append(
            {
                "snapshot_id": s.snapshot_id,
                "parent_id": s.parent_snapshot_id,
                "sequence_number": s.sequence_number,
                "timestamp_ms": s.timestamp_ms,
                "operation": s.summary.operation.value if s.summary else None,
                "schema_id": s.schema_id,
                "manifest_list": s.manifest_list,
                "summary": summary,
            }
        )
    return out


# ---------------------------------------------------------------- read (PyIceberg)


def cmd_read(a):
    cat = load_catalog(a)
    tbl = cat.load_table(a.table)
    fields = tuple(c.strip() for c in a.columns.split(",")) if a.columns else ("*",)
    where = a.where or "True"
    if a.since is not None or a.until is not None:
        if a.snapshot_id is not None or a.as_of_ms is not None or a.ref is not None:
            sys.exit("iceberg_tool: --since/--until cannot be combined with --snapshot-id/--as-of-ms/--ref")
        scan = tbl.incremental_append_scan(
            from_snapshot_id_exclusive=a.since, to_snapshot_id_inclusive=a.until, row_filter=where, selected_fields=fields
        )
        snap_id = a.until if a.until is not None else (tbl.current_snapshot().snapshot_id if tbl.current_snapshot() else None)
    else:
        snap_id = None
        if a.snapshot_id is not None:
            snap_id = a.snapshot_id
            if tbl.snapshot_by_id(snap_id) is None:
                sys.exit(f"iceberg_tool: no snapshot {snap_id}")
        elif a.as_of_ms is not None:
            s = tbl.snapshot_as_of_timestamp(a.as_of_ms)
            if s is None:
                sys.exit(f"iceberg_tool: no snapshot at or before {a.as_of_ms}")
            snap_id = s.snapshot_id
        elif a.ref is not None:
            s = tbl.snapshot_by_name(a.ref)
            if s is None:
                sys.exit(f"iceberg_tool: no ref {a.ref!r}")
            snap_id = s.snapshot_id
        else:
            s = tbl.current_snapshot()
            snap_id = s.snapshot_id if s else None
        scan = tbl.scan(row_filter=where, selected_fields=fields, snapshot_id=snap_id)
    rows = canonical_rows(scan.to_arrow())
    emit({"snapshot_id": snap_id, "count": len(rows), "rows": rows, "metadata_location": tbl.metadata_location})


def cmd_entries(a):
    """The live manifest entries of the current snapshot: status, snapshot id, sequence numbers, path."""
    tbl = load_catalog(a).load_table(a.table)
    snap = tbl.current_snapshot()
    out = []
    for m in snap.manifests(tbl.io) if snap else []:
        for e in m.fetch_manifest_entry(tbl.io, discard_deleted=True):
            out.append({"status": e.status.name, "snapshot_id": e.snapshot_id, "sequence_number": e.sequence_number,
                        "file_sequence_number": e.file_sequence_number, "path": e.data_file.file_path,
                        "manifest": m.manifest_path})
    emit({"entries": out})


def cmd_snapshots(a):
    tbl = load_catalog(a).load_table(a.table)
    cur = tbl.current_snapshot()
    emit(
        {
            "metadata_location": tbl.metadata_location,
            "location": tbl.metadata.location,
            "format_version": tbl.metadata.format_version,
            "current_snapshot_id": cur.snapshot_id if cur else None,
            "refs": {n: {"snapshot_id": r.snapshot_id, "type": r.snapshot_ref_type.value} for n, r in tbl.metadata.refs.items()},
            "snapshots": snapshot_list(tbl),
        }
    )


# ---------------------------------------------------------------- DuckDB


def duckdb_connect(a, need_s3):
    import duckdb

    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
    con.execute("SET autoinstall_known_extensions=false")
    con.execute("SET autoload_known_extensions=false")
    con.execute("SET TimeZone='UTC'")
    exts = ["avro", "iceberg"] + (["httpfs"] if need_s3 else [])
    for name in exts:
        mod = __import__(f"duckdb_extension_{name}")
        base = os.path.dirname(mod.__file__)
        found = glob.glob(os.path.join(base, "extensions", f"v{duckdb.__version__}", f"{name}.duckdb_extension"))
        found = found or glob.glob(os.path.join(base, "extensions", "*", f"{name}.duckdb_extension"))
        if not found:
            sys.exit(f"iceberg_tool: no {name}.duckdb_extension under {base}")
        con.execute(f"LOAD '{found[0]}'")
    if need_s3:
        endpoint, key, secret = s3_settings(a)
        if not (endpoint and key and secret):
            sys.exit("iceberg_tool: reading s3:// needs --s3-endpoint, --key and --secret (or AWS_* env)")
        m = re.match(r"^(https?)://([^/]+)/?$", endpoint)
        if not m:
            sys.exit(f"iceberg_tool: bad --s3-endpoint {endpoint!r}")
        con.execute(
            "CREATE SECRET s3 (TYPE s3, KEY_ID ?, SECRET ?, ENDPOINT ?, REGION ?, URL_STYLE 'path', USE_SSL ?)",
            [key, secret, m.group(2), os.environ.get("AWS_REGION", "us-east-1"), m.group(1) == "https"],
        )
    return con


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def resolve_metadata_path(con, p):
    """A metadata file path for iceberg_scan. A table directory (local or s3://) resolves to its newest
    metadata/*.metadata.json by version number: neither SQLite-catalog nor SeaweedFS tables have a version-hint.text."""
    if p.startswith("file://"):
        p = p[len("file://") :]
    if p.endswith(".json"):
        return p
    files = [r[0] for r in con.execute("SELECT file FROM glob(?)", [p.rstrip("/") + "/metadata/*.metadata.json"]).fetchall()]
    if not files:
        sys.exit(f"iceberg_tool: no metadata/*.metadata.json under {p}")

    def version(f):
        m = re.match(r"^v?(\d+)", f.rsplit("/", 1)[-1])
        return int(m.group(1)) if m else -1

    return max(files, key=version)


def cmd_read_duckdb(a):
    con = duckdb_connect(a, a.metadata.startswith("s3://"))
    path = resolve_metadata_path(con, a.metadata)
    opts = ""
    if a.snapshot_id is not None:
        opts += f", snapshot_from_id={int(a.snapshot_id)}"
    target = path
    if a.allow_moved_paths:
        # A copied/moved table: DuckDB rewrites the recorded absolute paths only when it is given the table
        # directory and the version (the metadata file name without `.metadata.json`), not the metadata file.
        head, _, name = path.rpartition("/metadata/")
        if not head or not name.endswith(".metadata.json"):
            sys.exit(f"iceberg_tool: --allow-moved-paths needs .../metadata/<version>.metadata.json, got {path}")
        target = head
        opts += f", allow_moved_paths=true, version={sql_str(name[: -len('.metadata.json')])}"
    table = con.execute(f"SELECT * FROM iceberg_scan({sql_str(target)}{opts})").to_arrow_table()
    snap_id = a.snapshot_id
    if snap_id is None:
        meta = json.loads(con.execute("SELECT content FROM read_text(?)", [path]).fetchone()[0])
        snap_id = meta.get("current-snapshot-id")
        if snap_id == -1:
            snap_id = None
    rows = canonical_rows(table)
    emit({"snapshot_id": snap_id, "count": len(rows), "rows": rows, "metadata": path})


def duckdb_attach(a):
    if not a.rest:
        sys.exit("iceberg_tool: this subcommand needs --rest URI")
    _, key, secret = s3_settings(a)
    con = duckdb_connect(a, True)
    uri = a.rest.rstrip("/")
    con.execute(
        f"ATTACH {sql_str(a.rest_warehouse)} AS c (TYPE iceberg, ENDPOINT {sql_str(uri)}, CLIENT_ID {sql_str(key)}, "
        f"CLIENT_SECRET {sql_str(secret)}, OAUTH2_SERVER_URI {sql_str(uri + '/v1/oauth/tokens')})"
    )
    return con


def duck_ident(name):
    ns, t = split_ident(name)
    return "c." + ".".join('"' + p.replace('"', '""') + '"' for p in (".".join(ns), t))


def cmd_read_duckdb_rest(a):
    con = duckdb_attach(a)
    at = f" AT (VERSION => {int(a.snapshot_id)})" if a.snapshot_id is not None else ""
    table = con.execute(f"SELECT * FROM {duck_ident(a.table)}{at}").to_arrow_table()
    rows = canonical_rows(table)
    snap_id = a.snapshot_id
    if snap_id is None:
        s = load_catalog(a).load_table(a.table).current_snapshot()
        snap_id = s.snapshot_id if s else None
    emit({"snapshot_id": snap_id, "count": len(rows), "rows": rows})


def cmd_make_duckdb_table(a):
    con = duckdb_attach(a)
    ns, t = split_ident(a.table)
    ensure_namespace(load_catalog(a), ns)
    ident = duck_ident(a.table)
    con.execute(
        f"CREATE TABLE {ident} (id BIGINT, ts TIMESTAMPTZ, name VARCHAR, amount DOUBLE, price DECIMAL(10,2), day DATE, flag BOOLEAN)"
    )

    def batch(lo, hi):
        return (
            f"INSERT INTO {ident} SELECT i, TIMESTAMPTZ '2026-11-23 10:00:00+00' + to_hours(i), 'name-' || i, i * 1.5, "
            f"CAST(i AS DECIMAL(10,2)) / 4, DATE '2026-11-23' + CAST(i % 7 AS INTEGER), i % 2 = 0 FROM range({lo}, {hi}) r(i)"
        )

    con.execute(batch(1, 11))
    con.execute(batch(11, 21))
    con.execute(batch(21, 31))
    con.execute(f"DELETE FROM {ident} WHERE id % 5 = 0")
    con.execute(f"UPDATE {ident} SET name = name || '-updated', amount = amount + 100 WHERE id % 3 = 0")
    con.execute(batch(31, 36))
    con.close()
    tbl = load_catalog(a).load_table(a.table)
    emit(
        {
            "snapshots": [{k: s[k] for k in ("snapshot_id", "timestamp_ms", "operation")} for s in snapshot_list(tbl)],
            "metadata_location": tbl.metadata_location,
        }
    )


# ---------------------------------------------------------------- writers (PyIceberg)


def _from_json(v, t):
    """A canonical JSON value (as `read` prints it) turned into the Python value pyarrow wants for iceberg type t."""
    from pyiceberg import types as T

    if v is None:
        return None
    if isinstance(t, (T.TimestamptzType, T.TimestampType)) or type(t).__name__ in ("TimestampNanoType", "TimestamptzNanoType"):
        if isinstance(v, (int, float)):
            d = EPOCH + dt.timedelta(microseconds=int(v))
        else:
            s = v.rstrip("Z")
            m = re.match(r"^(.*?)(\.(\d+))?([+-]\d\d:\d\d)?$", s)
            base, frac, off = m.group(1), (m.group(3) or ""), m.group(4)
            d = dt.datetime.fromisoformat(base + ("." + (frac + "000000")[:6] if frac else "") + (off or ""))
            if d.tzinfo is None:
                d = d.replace(tzinfo=UTC)
        return d if isinstance(t, T.TimestamptzType) or "tz" in type(t).__name__.lower() else d.astimezone(UTC).replace(tzinfo=None)
    if isinstance(t, T.DateType):
        return dt.date.fromisoformat(v) if isinstance(v, str) else dt.date(1970, 1, 1) + dt.timedelta(days=v)
    if isinstance(t, T.TimeType):
        return dt.time.fromisoformat(v)
    if isinstance(t, T.DecimalType):
        return decimal.Decimal(str(v)).quantize(decimal.Decimal(1).scaleb(-t.scale), context=decimal.Context(prec=80))
    if isinstance(t, (T.BinaryType, T.FixedType)):
        return bytes.fromhex(v) if isinstance(v, str) else bytes(v)
    if isinstance(t, T.UUIDType):
        return uuid.UUID(v).bytes if isinstance(v, str) else v
    if isinstance(t, (T.FloatType, T.DoubleType)):
        return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}.get(v, v) if isinstance(v, str) else float(v)
    if isinstance(t, (T.IntegerType, T.LongType)):
        return int(v)
    if isinstance(t, T.StructType):
        return {f.name: _from_json(v.get(f.name), f.field_type) for f in t.fields}
    if isinstance(t, T.ListType):
        return [_from_json(x, t.element_type) for x in v]
    if isinstance(t, T.MapType):
        items = v.items() if isinstance(v, dict) else v
        out = []
        for k, x in items:
            if not isinstance(t.key_type, T.StringType) and isinstance(k, str):
                try:
                    k = json.loads(k)
                except ValueError:
                    pass
            out.append((_from_json(k, t.key_type), _from_json(x, t.value_type)))
        return out
    return v


def arrow_table_for(tbl, rows):
    from pyiceberg.io.pyarrow import schema_to_pyarrow

    schema = tbl.schema()
    arrow_schema = schema_to_pyarrow(schema, include_field_ids=False)
    conv = [{f.name: _from_json(r.get(f.name), f.field_type) for f in schema.fields} for r in rows]
    return pa.Table.from_pylist(conv, schema=arrow_schema)


def commit_with_retry(tbl_loader, fn, deadline=None):
    """Runs fn(table) until it commits; returns (table, retries). Conflicts reload the table and retry."""
    from pyiceberg.exceptions import CommitFailedException, ValidationException

    retries = 0
    while True:
        tbl = tbl_loader()
        try:
            fn(tbl)
            return tbl, retries
        except CommitFailedException:
            pass
        except ValidationException:
            pass  # PyIceberg's own check of a concurrent change (e.g. a compaction replaced the files): nothing committed
        except Exception as e:  # SQLite: "database is locked" under concurrent writers
            if "locked" not in str(e).lower():
                raise
        retries += 1
        if deadline is not None and time.monotonic() > deadline + 60:
            raise RuntimeError(f"append-loop: still conflicting after {retries} retries")
        time.sleep(min(0.5, 0.01 * (2 ** min(retries, 6))))


def cmd_append(a):
    cat = load_catalog(a)
    with open(a.rows) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    tbl, _ = commit_with_retry(lambda: cat.load_table(a.table), lambda t: t.append(arrow_table_for(t, rows)))
    tbl = cat.load_table(a.table)
    s = tbl.current_snapshot()
    emit({"snapshot_id": s.snapshot_id if s else None, "rows": len(rows), "metadata_location": tbl.metadata_location})


def _synth(t, i, name):
    """A deterministic value of iceberg type t for row id i."""
    from pyiceberg import types as T

    if isinstance(t, (T.LongType, T.IntegerType)):
        return i if isinstance(t, T.LongType) else i % 2_000_000_000
    if isinstance(t, (T.FloatType, T.DoubleType)):
        return i * 0.5
    if isinstance(t, T.StringType):
        return f"{name}-{i}"
    if isinstance(t, T.BooleanType):
        return i % 2 == 0
    if isinstance(t, T.TimestamptzType):
        return dt.datetime(2026, 11, 23, 10, tzinfo=UTC) + dt.timedelta(seconds=i)
    if isinstance(t, T.TimestampType):
        return dt.datetime(2026, 11, 23, 10) + dt.timedelta(seconds=i)
    if isinstance(t, T.DateType):
        return dt.date(2026, 11, 23) + dt.timedelta(days=i % 30)
    if isinstance(t, T.TimeType):
        return dt.time(i % 24, i % 60, 0)
    if isinstance(t, T.DecimalType):
        return decimal.Decimal(i % (10 ** max(1, min(18, t.precision - t.scale)))).quantize(
            decimal.Decimal(1).scaleb(-t.scale), context=decimal.Context(prec=80)
        )
    if isinstance(t, (T.BinaryType,)):
        return i.to_bytes(8, "big")
    if isinstance(t, T.FixedType):
        return (i.to_bytes(8, "big") * (t.length // 8 + 1))[: t.length]
    if isinstance(t, T.UUIDType):
        return uuid.UUID(int=i).bytes
    if isinstance(t, T.StructType):
        return {f.name: _synth(f.field_type, i, f.name) for f in t.fields}
    if isinstance(t, T.ListType):
        return [_synth(t.element_type, i, name), _synth(t.element_type, i + 1, name)]
    if isinstance(t, T.MapType):
        return [(_synth(t.key_type, i, name + "k"), _synth(t.value_type, i, name + "v"))]
    return None


def cmd_append_loop(a):
    from pyiceberg.io.pyarrow import schema_to_pyarrow

    cat = load_catalog(a)
    deadline = time.monotonic() + a.seconds
    next_id, commits, rows, retries, snap_ids = a.id_start, 0, 0, 0, []
    while time.monotonic() < deadline:
        ids = list(range(next_id, next_id + a.batch))

        def do(t, ids=ids):
            schema = t.schema()
            data = [
                {f.name: (i if f.name == "id" else _synth(f.field_type, i, f.name)) for f in schema.fields} for i in ids
            ]
            t.append(pa.Table.from_pylist(data, schema=schema_to_pyarrow(schema, include_field_ids=False)))

        tbl, r = commit_with_retry(lambda: cat.load_table(a.table), do, deadline)
        retries += r
        commits += 1
        rows += len(ids)
        next_id += a.batch
        cur = tbl.current_snapshot()
        snap_ids.append(cur.snapshot_id if cur else None)
    emit(
        {
            "commits": commits,
            "rows": rows,
            "retries": retries,
            "first_id": a.id_start,
            "last_id": next_id - 1,
            "snapshot_ids": snap_ids,
        }
    )


def cmd_delete_loop(a):
    """Every --every seconds, deletes --batch random ids (multiples of --modulo) that the table holds, with
    PyIceberg's `delete` (copy-on-write), retrying conflicts; prints the ids deleted."""
    import random

    from pyiceberg.expressions import In

    cat = load_catalog(a)
    rnd = random.Random(a.seed)
    deadline = time.monotonic() + a.seconds
    deleted, commits, retries = [], 0, 0
    while time.monotonic() < deadline:
        time.sleep(a.every)
        ids = cat.load_table(a.table).scan(selected_fields=("id",)).to_arrow()["id"].to_pylist()
        gone = set(deleted)
        candidates = sorted(i for i in ids if i % a.modulo == 0 and i not in gone)
        if not candidates:
            continue
        chosen = rnd.sample(candidates, min(a.batch, len(candidates)))
        # Ids are appended once and only this loop deletes, so every chosen id is present until it commits.
        _, r = commit_with_retry(lambda: cat.load_table(a.table), lambda t: t.delete(In("id", chosen)), deadline)
        retries += r
        commits += 1
        deleted.extend(chosen)
    emit({"deleted": sorted(deleted), "commits": commits, "retries": retries})


def cmd_make_pyiceberg_table(a):
    from pyiceberg import types as T
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.transforms import BucketTransform, DayTransform

    cat = load_catalog(a)
    ns, _ = split_ident(a.table)
    ensure_namespace(cat, ns)
    schema = Schema(
        T.NestedField(1, "id", T.LongType(), required=False),
        T.NestedField(2, "ts", T.TimestamptzType(), required=False),
        T.NestedField(3, "amount", T.DoubleType(), required=False),
        T.NestedField(4, "name", T.StringType(), required=False),
        T.NestedField(5, "price", T.DecimalType(10, 2), required=False),
        T.NestedField(6, "day", T.DateType(), required=False),
        T.NestedField(
            7,
            "info",
            T.StructType(
                T.NestedField(8, "a", T.IntegerType(), required=False),
                T.NestedField(9, "b", T.StringType(), required=False),
            ),
            required=False,
        ),
        T.NestedField(10, "tags", T.ListType(11, T.StringType(), element_required=False), required=False),
        T.NestedField(12, "attrs", T.MapType(13, T.StringType(), 14, T.LongType(), value_required=False), required=False),
    )
    spec = PartitionSpec(PartitionField(source_id=1, field_id=1000, transform=BucketTransform(4), name="id_bucket"))
    tbl = cat.create_table(a.table, schema=schema, partition_spec=spec, properties={"format-version": "2"})

    def rows(lo, hi, extra=False):
        out = []
        for i in range(lo, hi):
            r = {
                "id": i,
                "ts": f"2026-11-23T{10 + i % 12:02d}:00:00.{i:06d}Z",
                "amount": i * 1.25,
                "name": None if i % 9 == 0 else f"name-{i}",
                "price": f"{i * 3}.{i % 100:02d}",
                "day": f"2026-11-{1 + i % 28:02d}",
                "info": None if i % 7 == 0 else {"a": i * 10, "b": f"b{i}"},
                "tags": [] if i % 4 == 0 else [f"t{i}", f"u{i}"],
                "attrs": {"k": i, "n": None} if i % 3 else None,
            }
            if extra:
                r["label"] = r.pop("name")
                r["extra"] = f"x{i}"
            out.append(r)
        return out

    tbl.append(arrow_table_for(tbl, rows(1, 11)))
    tbl.append(arrow_table_for(tbl, rows(11, 21)))
    tbl.overwrite(arrow_table_for(tbl, rows(21, 26)), overwrite_filter="id <= 3")
    tbl.delete("amount >= 20.0 and amount < 22.5")  # ids 16, 17
    with tbl.update_schema() as u:
        u.add_column("extra", T.StringType())
        u.rename_column("name", "label")
    tbl.append(arrow_table_for(tbl, rows(26, 31, extra=True)))
    with tbl.update_spec() as u:
        u.add_field("ts", DayTransform(), "ts_day")
        u.add_identity("label")
    tbl.append(arrow_table_for(tbl, rows(31, 41, extra=True)))
    tbl.delete("id = 35")
    tbl = cat.load_table(a.table)
    emit(
        {
            "snapshots": [{k: s[k] for k in ("snapshot_id", "timestamp_ms", "operation")} for s in snapshot_list(tbl)],
            "metadata_location": tbl.metadata_location,
        }
    )


# ---------------------------------------------------------------- CLI


def main():
    # Catalog options are accepted before or after the subcommand (SUPPRESS: a subparser does not reset them).
    common = argparse.ArgumentParser(add_help=False)
    d = argparse.SUPPRESS
    common.add_argument("--sqlite", default=d, help="SQLite catalog database file")
    common.add_argument("--warehouse", default=d, help="warehouse directory or URI for --sqlite")
    common.add_argument("--name", default=d, help="catalog name (default: default)")
    common.add_argument("--rest", default=d, help="Iceberg REST catalog URI")
    common.add_argument("--rest-warehouse", default=d, help="REST warehouse (default: warehouse)")
    common.add_argument("--s3-endpoint", default=d, help="default: $AWS_ENDPOINT_URL")
    common.add_argument("--key", default=d, help="default: $AWS_ACCESS_KEY_ID")
    common.add_argument("--secret", default=d, help="default: $AWS_SECRET_ACCESS_KEY")

    ap = argparse.ArgumentParser(prog="iceberg_tool.py", parents=[common], description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("read", parents=[common])
    p.add_argument("table")
    p.add_argument("--snapshot-id", type=int)
    p.add_argument("--as-of-ms", type=int)
    p.add_argument("--ref")
    p.add_argument("--since", type=int, help="exclusive start snapshot (incremental append scan)")
    p.add_argument("--until", type=int, help="inclusive end snapshot (incremental append scan)")
    p.add_argument("--columns")
    p.add_argument("--where")
    p.set_defaults(fn=cmd_read)

    p = sub.add_parser("read-duckdb", parents=[common])
    p.add_argument("metadata")
    p.add_argument("--snapshot-id", type=int)
    p.add_argument("--allow-moved-paths", action="store_true")
    p.set_defaults(fn=cmd_read_duckdb)

    p = sub.add_parser("read-duckdb-rest", parents=[common])
    p.add_argument("table")
    p.add_argument("--snapshot-id", type=int)
    p.set_defaults(fn=cmd_read_duckdb_rest)

    p = sub.add_parser("entries", parents=[common])
    p.add_argument("table")
    p.set_defaults(fn=cmd_entries)

    p = sub.add_parser("snapshots", parents=[common])
    p.add_argument("table")
    p.set_defaults(fn=cmd_snapshots)

    p = sub.add_parser("make-pyiceberg-table", parents=[common])
    p.add_argument("table")
    p.set_defaults(fn=cmd_make_pyiceberg_table)

    p = sub.add_parser("make-duckdb-table", parents=[common])
    p.add_argument("table")
    p.set_defaults(fn=cmd_make_duckdb_table)

    p = sub.add_parser("append", parents=[common])
    p.add_argument("table")
    p.add_argument("--rows", required=True, help="NDJSON file, values as `read` prints them")
    p.set_defaults(fn=cmd_append)

    p = sub.add_parser("append-loop", parents=[common])
    p.add_argument("table")
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--id-start", type=int, required=True)
    p.set_defaults(fn=cmd_append_loop)

    p = sub.add_parser("delete-loop", parents=[common])
    p.add_argument("table")
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--every", type=float, default=2.0)
    p.add_argument("--batch", type=int, default=20)
    p.add_argument("--modulo", type=int, default=7)
    p.add_argument("--seed", type=int, default=11)
    p.set_defaults(fn=cmd_delete_loop)

    a = ap.parse_args()
    for k, v in (("sqlite", None), ("warehouse", None), ("name", "default"), ("rest", None), ("rest_warehouse", "warehouse"),
                 ("s3_endpoint", None), ("key", None), ("secret", None)):
        if not hasattr(a, k):
            setattr(a, k, v)
    a.fn(a)


if __name__ == "__main__":
    main()
