"""Reads Parquet files with an independent reader and prints canonical JSON rows.

usage: read_parquet.py {pyarrow|duckdb} [--order-by COL] LOCATION...
LOCATION: a .parquet file, a directory (all *.parquet in it, recursively) or s3://bucket/prefix
(objects ending in .parquet under it; endpoint and keys from the AWS_* environment).
Output: {"files": N, "rows": [...]} with timestamps as epoch microseconds, dates as YYYY-MM-DD,
decimals as strings and binary as base64.
"""
import base64
import datetime
import decimal
import json
import os
import sys
import tempfile


def s3fs():
    from pyarrow import fs
    return fs.S3FileSystem(
        access_key=os.environ["AWS_ACCESS_KEY_ID"],
        secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        endpoint_override=os.environ["AWS_ENDPOINT_URL"],
        scheme="http",
        region=os.environ.get("AWS_REGION", "us-east-1"),
    )


def local_files(locations, tmp):
    from pyarrow import fs
    out = []
    for loc in locations:
        if loc.startswith("s3://"):
            s3 = s3fs()
            base = loc[len("s3://"):]
            for info in s3.get_file_info(fs.FileSelector(base, recursive=True)):
                if info.type == fs.FileType.File and info.path.endswith(".parquet"):
                    dest = os.path.join(tmp, info.path.replace("/", "_"))
                    with s3.open_input_stream(info.path) as src, open(dest, "wb") as dst:
                        dst.write(src.read())
                    out.append(dest)
        elif os.path.isdir(loc):
            for root, _, names in os.walk(loc):
                out += [os.path.join(root, n) for n in names if n.endswith(".parquet") and not n.startswith(".")]
        else:
            out.append(loc)
    return sorted(out)


def canon(v):
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        delta = v - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode()
    if isinstance(v, dict):
        return {k: canon(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [canon(x) for x in v]
    return v


def read_pyarrow(files):
    import pyarrow as pa
    import pyarrow.parquet as pq
    rows = []
    for f in files:
        rows += pq.read_table(f).to_pylist()
    return rows


def read_duckdb(files):
    import duckdb
    con = duckdb.connect()
    rel = con.read_parquet(files, union_by_name=True)
    cols = []
    for name, typ in zip(rel.columns, rel.types):
        t = str(typ).upper()
        q = '"' + name.replace('"', '""') + '"'
        if t.startswith("TIMESTAMP"):
            cols.append(f"epoch_us({q}) AS {q}")
        else:
            cols.append(q)
    names = rel.columns
    data = con.execute(f"SELECT {', '.join(cols)} FROM read_parquet(?, union_by_name=true)", [files]).fetchall()
    return [dict(zip(names, r)) for r in data]


def main():
    args = sys.argv[1:]
    engine = args.pop(0)
    order = None
    if args and args[0] == "--order-by":
        order = args[1]
        args = args[2:]
    with tempfile.TemporaryDirectory() as tmp:
        files = local_files(args, tmp)
        rows = (read_pyarrow if engine == "pyarrow" else read_duckdb)(files) if files else []
    rows = [canon(r) for r in rows]
    if order:
        rows.sort(key=lambda r: r[order])
    json.dump({"files": len(files), "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
