"""Compares a sample of our training rows with the DuckDB peer's rows of the same
plan: the plain columns, the plans and edits, and every field of the input
context, which holds the as-of joined values (constraints and pantry at
generation, previous accepted plan). JSON is compared parsed, so 68 and 68.0 agree.
Usage: python compare_peer_rows.py <our training.parquet> <peer parquet> <sample size>; prints one JSON line."""
import json
import sys

import duckdb

ours, peer, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
COLUMNS = ["household_id", "workflow_type", "mode", "region", "household_size", "segment", "policy_version_id", "experiment_id", "variant_id"]
JSON_COLUMNS = ["generated_plan_json", "accepted_plan_json", "user_edits_json"]
CONTEXT = ["as_of", "household", "constraints", "pantry", "previous_plan", "workflow_type", "mode"]

db = duckdb.connect()
fields = ["epoch_ms(occurred_at) as occurred_at", *COLUMNS, *JSON_COLUMNS, "input_context_json", "prompt"]
select = ", ".join(fields)
# A fixed seed: the same rows each run of a size.
sample = db.sql(f"select row_id, {select} from read_parquet(?) using sample reservoir({size} rows) repeatable (42)", params=[ours]).fetchall()
theirs = {
    row[0]: row
    for row in db.execute(
        f"select row_id, {select} from read_parquet(?) where row_id in (select unnest(?))", [peer, [row[0] for row in sample]]
    ).fetchall()
}
names = ["row_id", "occurred_at", *COLUMNS, *JSON_COLUMNS, "input_context_json", "prompt"]

mismatches = []
identical_prompts = 0
for mine in sample:
    other = theirs.get(mine[0])
    if other is None:
        mismatches.append({"row_id": mine[0], "field": "row", "ours": "present", "peer": "missing"})
        continue
    a, b = dict(zip(names, mine)), dict(zip(names, other))
    for name in ["occurred_at", *COLUMNS]:
        if a[name] != b[name]:
            mismatches.append({"row_id": a["row_id"], "field": name, "ours": a[name], "peer": b[name]})
    for name in JSON_COLUMNS:
        if json.loads(a[name]) != json.loads(b[name]):
            mismatches.append({"row_id": a["row_id"], "field": name, "ours": a[name], "peer": b[name]})
    context_a, context_b = json.loads(a["input_context_json"]), json.loads(b["input_context_json"])
    for key in CONTEXT:
        if context_a.get(key) != context_b.get(key):
            mismatches.append({"row_id": a["row_id"], "field": f"input_context.{key}", "ours": context_a.get(key), "peer": context_b.get(key)})
    # The prompt is the peer's SQL rendering of the codec's: counted, not required to match.
    identical_prompts += a["prompt"] == b["prompt"]

print(json.dumps({"sampled": len(sample), "mismatches": mismatches, "identicalPrompts": identical_prompts}, default=str))
