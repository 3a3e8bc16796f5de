"""Runs one peer on the benchmark input: python peers.py {duckdb|polars} IN.ndjson OUT.parquet THREADS."""
import sys
import time


def report_query_time(start):
    """Tells bench.py how long the query itself took, without interpreter start-up and imports."""
    print(f"peer-query-seconds: {time.perf_counter() - start:.4f}", file=sys.stderr)

DUCK_COLUMNS = {
    "id": "BIGINT", "ts": "TIMESTAMPTZ", "user_id": "BIGINT", "event": "VARCHAR", "amount": "DOUBLE",
    "ok": "BOOLEAN", "session": "VARCHAR", "path": "VARCHAR", "tags": "VARCHAR[]",
    "geo": "STRUCT(country VARCHAR, city VARCHAR)",
}


def duckdb_ingest(src, out, threads):
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    cols = "{" + ", ".join(f"'{k}': '{v}'" for k, v in DUCK_COLUMNS.items()) + "}"
    con.execute(
        f"COPY (SELECT * FROM read_json('{src}', format='newline_delimited', columns={cols})) "
        f"TO '{out}' (FORMAT parquet, COMPRESSION zstd)"
    )


def polars_ingest(src, out, threads):
    import os
    os.environ["POLARS_MAX_THREADS"] = str(threads)
    import polars as pl
    schema = {
        "id": pl.Int64, "ts": pl.String, "user_id": pl.Int64, "event": pl.String, "amount": pl.Float64,
        "ok": pl.Boolean, "session": pl.String, "path": pl.String, "tags": pl.List(pl.String),
        "geo": pl.Struct({"country": pl.String, "city": pl.String}),
    }
    (
        pl.scan_ndjson(src, schema=schema)
        .with_columns(pl.col("ts").str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_unit="ms", time_zone="UTC"))
        .sink_parquet(out, compression="zstd")
    )


def duckdb_compact(pattern, out, threads):
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    con.execute(f"COPY (SELECT * FROM read_parquet('{pattern}')) TO '{out}' (FORMAT parquet, COMPRESSION zstd)")


def polars_compact(pattern, out, threads):
    import os
    os.environ["POLARS_MAX_THREADS"] = str(threads)
    import polars as pl
    pl.scan_parquet(pattern).sink_parquet(out, compression="zstd")


def duckdb_scan(pattern, out, threads, where, cols, s3=False):
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    con.execute("SET TimeZone='UTC'")
    if s3:
        import os
        import glob
        import duckdb_extension_httpfs  # the extension binary from PyPI: no download at run time
        ext = glob.glob(os.path.join(os.path.dirname(duckdb_extension_httpfs.__file__), "extensions", "*",
                                     "httpfs.duckdb_extension"))[0]
        con.load_extension(ext)
        endpoint = os.environ["AWS_ENDPOINT_URL"].split("://", 1)[1]
        con.execute(f"CREATE SECRET (TYPE s3, KEY_ID '{os.environ['AWS_ACCESS_KEY_ID']}', "
                    f"SECRET '{os.environ['AWS_SECRET_ACCESS_KEY']}', REGION 'us-east-1', ENDPOINT '{endpoint}', "
                    f"URL_STYLE 'path', USE_SSL false)")
    start = time.perf_counter()
    con.execute(f"COPY (SELECT {cols} FROM read_parquet('{pattern}') WHERE {where}) TO '{out}' (HEADER)")
    report_query_time(start)


def polars_scan(pattern, out, threads, where, cols):
    import os
    os.environ["POLARS_MAX_THREADS"] = str(threads)
    import polars as pl
    start = time.perf_counter()
    ctx = pl.SQLContext(t=pl.scan_parquet(pattern))
    ctx.execute(f"SELECT {cols} FROM t WHERE {where}").sink_csv(out)
    report_query_time(start)


def s3_mkbucket(name):
    """Creates a bucket on AWS_ENDPOINT_URL with a SigV4-signed PUT (standard library only)."""
    import datetime
    import hashlib
    import hmac
    import os
    import urllib.request
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    host = endpoint.split("://", 1)[1]
    now = datetime.datetime.now(datetime.timezone.utc)
    amz, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload = hashlib.sha256(b"").hexdigest()
    canonical = f"PUT\n/{name}\n\nhost:{host}\nx-amz-content-sha256:{payload}\nx-amz-date:{amz}\n\n" \
                f"host;x-amz-content-sha256;x-amz-date\n{payload}"
    scope = f"{day}/us-east-1/s3/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{amz}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = ("AWS4" + os.environ["AWS_SECRET_ACCESS_KEY"]).encode()
    for part in (day, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    auth = (f"AWS4-HMAC-SHA256 Credential={os.environ['AWS_ACCESS_KEY_ID']}/{scope}, "
            f"SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}")
    req = urllib.request.Request(f"{endpoint}/{name}", method="PUT", headers={
        "x-amz-date": amz, "x-amz-content-sha256": payload, "Authorization": auth})
    urllib.request.urlopen(req).read()


if __name__ == "__main__":
    tool, src, out, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if tool == "s3-mkbucket":
        s3_mkbucket(src)
        sys.exit(0)
    if tool.endswith("-scan") or tool == "duckdb-scan-s3":
        where, cols = sys.argv[5], sys.argv[6]
        if tool == "duckdb-scan":
            duckdb_scan(src, out, threads, where, cols)
        elif tool == "duckdb-scan-s3":
            duckdb_scan(src, out, threads, where, cols, s3=True)
        else:
            polars_scan(src, out, threads, where, cols)
        sys.exit(0)
    {
        "duckdb": duckdb_ingest,
        "polars": polars_ingest,
        "duckdb-compact": duckdb_compact,
        "polars-compact": polars_compact,
    }[tool](src, out, threads)
