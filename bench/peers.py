"""Runs one peer on the benchmark input: python peers.py {duckdb|polars} IN.ndjson OUT.parquet THREADS."""
import sys

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


if __name__ == "__main__":
    tool, src, out, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    {
        "duckdb": duckdb_ingest,
        "polars": polars_ingest,
        "duckdb-compact": duckdb_compact,
        "polars-compact": polars_compact,
    }[tool](src, out, threads)
