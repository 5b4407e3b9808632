"""The peer: the same extraction query through a psycopg2 server-side cursor,
the joined records written to Parquet with pyarrow, 10,000 rows per row group.
It does not run the input-context codec (no features or prompt), so it is the
floor for "query and write Parquet" rather than the same work as ours.
Usage: python build_peer.py <database url> <sql file> <output file>; prints one JSON line."""
import json
import resource
import sys
import time

import psycopg2
import pyarrow as pa
import pyarrow.parquet as pq

url, sql_file, output = sys.argv[1:4]
started = time.perf_counter()
connection = psycopg2.connect(url)
cursor = connection.cursor(name="peer")
# The query names its window $1 and $2; the bench writes them as %(start)s and %(end)s, so a bound may appear in it any number of times.
cursor.execute(open(sql_file).read(), {"start": "1970-01-01", "end": "2100-01-01"})


def cell(value):
    """JSON for jsonb values, ISO text for times, text for the rest: one string column per field."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


writer = None
rows = 0
while True:
    records = cursor.fetchmany(10000)
    if not records:
        break
    names = [d[0] for d in cursor.description]
    table = pa.table({name: pa.array([cell(r[i]) for r in records], type=pa.string()) for i, name in enumerate(names)})
    if writer is None:
        writer = pq.ParquetWriter(output, table.schema, compression="snappy")
    writer.write_table(table)
    rows += len(records)
if writer is not None:
    writer.close()
connection.close()
seconds = time.perf_counter() - started
print(json.dumps({"rows": rows, "seconds": seconds, "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
