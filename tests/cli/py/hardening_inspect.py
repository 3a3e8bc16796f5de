"""Describes the schema of Parquet files as two independent readers see them (for ingest_hardening.rs).

usage: hardening_inspect.py LOCATION...   (a .parquet file or a directory searched recursively)
Output: {"files": [{"file", "parquet": str(ParquetFile.schema), "arrow": {col: type}, "duckdb": {col: type}}],
         "union": {col: type} (DuckDB's union_by_name view of all files, or {"error": ...})}
"""
import json
import os
import sys


def files_of(locations):
    out = []
    for loc in locations:
        if os.path.isdir(loc):
            for root, _, names in os.walk(loc):
                out += [os.path.join(root, n) for n in names if n.endswith(".parquet") and not n.startswith(".")]
        else:
            out.append(loc)
    return sorted(out)


def main():
    import duckdb
    import pyarrow.parquet as pq

    files = files_of(sys.argv[1:])
    con = duckdb.connect()
    described = []
    for f in files:
        pf = pq.ParquetFile(f)
        arrow = {field.name: str(field.type) for field in pf.schema_arrow}
        rel = con.read_parquet(f)
        described.append({
            "file": f,
            "parquet": str(pf.schema),
            "arrow": arrow,
            "duckdb": {n: str(t) for n, t in zip(rel.columns, rel.types)},
        })
    union = {}
    if files:
        try:
            rel = con.read_parquet(files, union_by_name=True)
            union = {n: str(t) for n, t in zip(rel.columns, rel.types)}
        except Exception as e:  # a type conflict between files
            union = {"error": str(e)}
    json.dump({"files": described, "union": union}, sys.stdout)


if __name__ == "__main__":
    main()
