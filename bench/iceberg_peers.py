"""The Iceberg peers of bench/iceberg, each run as its own process by bench.py.

Catalog (before the subcommand):
  --sqlite DB --warehouse DIR      PyIceberg SqlCatalog named `default` (the same tables prestige's
                                   `--catalog sqlite:////DB --warehouse DIR` opens)
  --rest URI                       SeaweedFS's Iceberg REST catalog, warehouse `warehouse`; OAuth2 client
                                   credentials and S3 from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_ENDPOINT_URL

Subcommands:
  pyiceberg-ingest SRC.ndjson TABLE      pyarrow reads the NDJSON with the benchmark schema, PyIceberg creates
                                         TABLE partitioned by day(ts) and appends it (one snapshot)
  duckdb-ingest SRC.ndjson TABLE         (REST) DuckDB: ATTACH, CREATE TABLE ... PARTITIONED BY (day(ts)),
                                         INSERT INTO ... SELECT * FROM read_json(... explicit columns)
  pyiceberg-scan TABLE OUT.csv WHERE COLS    scan(row_filter, selected_fields).to_arrow() written as CSV
  duckdb-scan METADATA.json OUT.csv WHERE COLS THREADS    COPY (SELECT COLS FROM iceberg_scan(...) WHERE ...)
  pyiceberg-compact TABLE COLUMN         the rewrite `compact --table` does, done with PyIceberg's public API:
                                         for each value of the identity partition COLUMN, read the partition
                                         and `overwrite` it (overwrite_filter COLUMN == value)
  layout TABLE COLUMN -> JSON {"rows", "distinct_ids", "files", "files_per_partition": {value: n},
                               "operations": [...]}: the current snapshot's files per partition value
  mkns NS                                create the namespace (fails until the catalog is up)
  drop TABLE                             drop the table and purge its files
  verify TABLE -> JSON {"rows", "distinct_ids", "min_id", "max_id", "files", "bytes", "spec", "snapshots",
                        "metadata_location"}: every `id` read back, and the current snapshot's data files
The timed subcommands print `peer-query-seconds: X` on stderr (the work alone, without interpreter start-up
and imports), like peers.py.
"""
import argparse
import glob
import json
import os
import sys
import time

WAREHOUSE = "warehouse"  # SeaweedFS's table bucket, the REST catalog's warehouse and prefix


def report_query_time(start):
    print(f"peer-query-seconds: {time.perf_counter() - start:.4f}", file=sys.stderr)


def arrow_schema():
    """ingest_schema.json as pyarrow types. Timestamps are read as microseconds: Iceberg's timestamptz is in
    microseconds, and PyIceberg's day() transform refuses millisecond arrays."""
    import pyarrow as pa
    return pa.schema([
        pa.field("id", pa.int64(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC")),
        pa.field("user_id", pa.int64()),
        pa.field("event", pa.string()),
        pa.field("amount", pa.float64()),
        pa.field("ok", pa.bool_()),
        pa.field("session", pa.string()),
        pa.field("path", pa.string()),
        pa.field("tags", pa.list_(pa.string())),
        pa.field("geo", pa.struct([("country", pa.string()), ("city", pa.string())])),
    ])


DUCK_COLUMNS = [
    ("id", "BIGINT"), ("ts", "TIMESTAMPTZ"), ("user_id", "BIGINT"), ("event", "VARCHAR"), ("amount", "DOUBLE"),
    ("ok", "BOOLEAN"), ("session", "VARCHAR"), ("path", "VARCHAR"), ("tags", "VARCHAR[]"),
    ("geo", "STRUCT(country VARCHAR, city VARCHAR)"),
]


def s3_props():
    props = {"s3.region": os.environ.get("AWS_REGION", "us-east-1"), "s3.path-style-access": "true"}
    for env, key in [("AWS_ENDPOINT_URL", "s3.endpoint"), ("AWS_ACCESS_KEY_ID", "s3.access-key-id"),
                     ("AWS_SECRET_ACCESS_KEY", "s3.secret-access-key")]:
        if os.environ.get(env):
            props[key] = os.environ[env]
    return props


def load_catalog(a):
    if a.sqlite:
        from pyiceberg.catalog.sql import SqlCatalog
        os.makedirs(a.warehouse, exist_ok=True)
        return SqlCatalog("default", uri="sqlite:///" + os.path.abspath(a.sqlite),
                          warehouse="file://" + os.path.abspath(a.warehouse))
    from pyiceberg.catalog.rest import RestCatalog
    uri = a.rest.rstrip("/")
    return RestCatalog("default", **{
        "uri": uri, "warehouse": WAREHOUSE,
        "credential": f"{os.environ['AWS_ACCESS_KEY_ID']}:{os.environ['AWS_SECRET_ACCESS_KEY']}",
        "oauth2-server-uri": uri + "/v1/oauth/tokens",
        # SeaweedFS vends an empty config to a vended-credentials request; without the header it gives its S3
        # endpoint. The S3 settings above are complete anyway.
        "header.X-Iceberg-Access-Delegation": "",
        **s3_props(),
    })


def pyiceberg_ingest(a):
    import pyarrow.json as pj
    import pyiceberg.catalog.rest  # noqa: F401 (imported before the clock starts)
    import pyiceberg.catalog.sql  # noqa: F401
    from pyiceberg.transforms import DayTransform
    start = time.perf_counter()
    schema = arrow_schema()
    data = pj.read_json(a.src, parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error"))
    data = data.cast(schema)  # the JSON reader drops `not null`; PyIceberg insists on it for the required id
    cat = load_catalog(a)
    ns = a.table.rsplit(".", 1)[0]
    cat.create_namespace_if_not_exists(ns)
    tbl = cat.create_table(a.table, schema=schema)
    with tbl.update_spec() as spec:
        spec.add_field("ts", DayTransform(), "ts_day")
    tbl.append(data)
    report_query_time(start)


def duckdb_connect(need_s3):
    import duckdb
    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
    con.execute("SET TimeZone='UTC'")
    for name in ["avro", "iceberg"] + (["httpfs"] if need_s3 else []):  # avro before iceberg
        mod = __import__(f"duckdb_extension_{name}")
        base = os.path.dirname(mod.__file__)
        found = glob.glob(os.path.join(base, "extensions", f"v{duckdb.__version__}", f"{name}.duckdb_extension"))
        found = found or glob.glob(os.path.join(base, "extensions", "*", f"{name}.duckdb_extension"))
        if not found:
            sys.exit(f"iceberg_peers: no {name}.duckdb_extension under {base}")
        con.execute(f"LOAD '{found[0]}'")
    return con


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def duckdb_ingest(a):
    if not a.rest:
        sys.exit("iceberg_peers: duckdb-ingest needs --rest (DuckDB has no SQL catalog)")
    con = duckdb_connect(True)
    start = time.perf_counter()
    key, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    endpoint = os.environ["AWS_ENDPOINT_URL"].split("://", 1)[1]
    con.execute(f"CREATE SECRET s3 (TYPE s3, KEY_ID {sql_str(key)}, SECRET {sql_str(secret)}, "
                f"ENDPOINT {sql_str(endpoint)}, REGION 'us-east-1', URL_STYLE 'path', USE_SSL false)")
    uri = a.rest.rstrip("/")
    con.execute(f"ATTACH {sql_str(WAREHOUSE)} AS c (TYPE iceberg, ENDPOINT {sql_str(uri)}, CLIENT_ID {sql_str(key)}, "
                f"CLIENT_SECRET {sql_str(secret)}, OAUTH2_SERVER_URI {sql_str(uri + '/v1/oauth/tokens')})")
    ns, name = a.table.rsplit(".", 1)
    ident = f'c."{ns}"."{name}"'
    con.execute(f'CREATE SCHEMA IF NOT EXISTS c."{ns}"')
    cols = ", ".join(f"{n} {t}" + (" NOT NULL" if n == "id" else "") for n, t in DUCK_COLUMNS)
    con.execute(f"CREATE TABLE {ident} ({cols}) PARTITIONED BY (day(ts))")
    spec = "{" + ", ".join(f"'{n}': '{t}'" for n, t in DUCK_COLUMNS) + "}"
    con.execute(f"INSERT INTO {ident} SELECT * FROM read_json({sql_str(a.src)}, format='newline_delimited', "
                f"columns={spec})")
    report_query_time(start)


def pyiceberg_scan(a):
    import pyarrow.csv as pc
    import pyiceberg.catalog.rest  # noqa: F401 (imported before the clock starts)
    import pyiceberg.catalog.sql  # noqa: F401
    start = time.perf_counter()
    tbl = load_catalog(a).load_table(a.table)
    cols = tuple(c.strip() for c in a.columns.split(","))
    data = tbl.scan(row_filter=a.where, selected_fields=cols).to_arrow()
    pc.write_csv(data, a.out)
    report_query_time(start)


def duckdb_scan(a):
    con = duckdb_connect(False)
    con.execute(f"SET threads={int(a.threads)}")
    start = time.perf_counter()
    con.execute(f"COPY (SELECT {a.columns} FROM iceberg_scan({sql_str(a.metadata)}) WHERE {a.where}) "
                f"TO {sql_str(a.out)} (HEADER)")
    report_query_time(start)


def verify(a):
    import pyarrow.compute as pc
    tbl = load_catalog(a).load_table(a.table)
    ids = tbl.scan(selected_fields=("id",)).to_arrow()["id"]
    files = list(tbl.scan().plan_files())
    json.dump({
        "rows": len(ids),
        "distinct_ids": pc.count_distinct(ids).as_py(),
        "min_id": pc.min(ids).as_py(),
        "max_id": pc.max(ids).as_py(),
        "files": len(files),
        "bytes": sum(f.file.file_size_in_bytes for f in files),
        "spec": str(tbl.spec()).replace("\n", " "),
        "snapshots": len(tbl.metadata.snapshots),
        "metadata_location": tbl.metadata_location,
    }, sys.stdout)
    print()


def pyiceberg_compact(a):
    import pyarrow.compute as pc
    import pyiceberg.catalog.rest  # noqa: F401 (imported before the clock starts)
    import pyiceberg.catalog.sql  # noqa: F401
    from pyiceberg.expressions import EqualTo
    start = time.perf_counter()
    tbl = load_catalog(a).load_table(a.table)
    values = sorted({task.file.partition[0] for task in tbl.scan().plan_files()})
    for v in values:
        data = tbl.scan(row_filter=EqualTo(a.column, v)).to_arrow()
        data = data.filter(pc.equal(data[a.column], v))
        tbl.overwrite(data, overwrite_filter=EqualTo(a.column, v))
    report_query_time(start)


def layout(a):
    import collections
    import pyarrow.compute as pc
    tbl = load_catalog(a).load_table(a.table)
    ids = tbl.scan(selected_fields=("id",)).to_arrow()["id"]
    per = collections.Counter(str(t.file.partition[0]) for t in tbl.scan().plan_files())
    json.dump({
        "rows": len(ids),
        "distinct_ids": pc.count_distinct(ids).as_py(),
        "files": sum(per.values()),
        "files_per_partition": dict(sorted(per.items())),
        "operations": [s.summary.operation.value for s in tbl.metadata.snapshots if s.summary],
    }, sys.stdout)
    print()


def mkns(a):
    load_catalog(a).create_namespace_if_not_exists(a.ns)


def drop(a):
    load_catalog(a).purge_table(a.table)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sqlite")
    ap.add_argument("--warehouse")
    ap.add_argument("--rest")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pyiceberg-ingest")
    p.add_argument("src")
    p.add_argument("table")
    p = sub.add_parser("duckdb-ingest")
    p.add_argument("src")
    p.add_argument("table")
    p = sub.add_parser("pyiceberg-scan")
    for n in ["table", "out", "where", "columns"]:
        p.add_argument(n)
    p = sub.add_parser("duckdb-scan")
    for n in ["metadata", "out", "where", "columns", "threads"]:
        p.add_argument(n)
    p = sub.add_parser("verify")
    p.add_argument("table")
    p = sub.add_parser("pyiceberg-compact")
    p.add_argument("table")
    p.add_argument("column")
    p = sub.add_parser("layout")
    p.add_argument("table")
    p.add_argument("column")
    p = sub.add_parser("drop")
    p.add_argument("table")
    p = sub.add_parser("mkns")
    p.add_argument("ns")
    a = ap.parse_args()
    if a.cmd != "duckdb-scan" and not (a.rest or (a.sqlite and a.warehouse)):
        sys.exit("iceberg_peers: choose a catalog with --sqlite DB --warehouse DIR or --rest URI")
    {"pyiceberg-ingest": pyiceberg_ingest, "duckdb-ingest": duckdb_ingest, "pyiceberg-scan": pyiceberg_scan,
     "duckdb-scan": duckdb_scan, "verify": verify,
     "pyiceberg-compact": pyiceberg_compact, "layout": layout, "drop": drop, "mkns": mkns}[a.cmd](a)


if __name__ == "__main__":
    main()
