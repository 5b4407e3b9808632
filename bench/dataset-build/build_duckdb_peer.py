"""The DuckDB peer: DuckDB reads the same PostgreSQL tables through its postgres
extension and does our extraction with ASOF JOINs (constraints and pantry as of
generation, the previous accepted plan as of acceptance), builds the input
context as JSON and the planning prompt as text in SQL, and writes zstd Parquet.
No validation and no features, so it is still less work per row than ours.
Usage: python build_duckdb_peer.py <database url> <output file>; prints one JSON line."""
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import duckdb_extension_postgres

url, output = sys.argv[1:3]
started = time.perf_counter()

# Only PyPI is reachable, so the extension comes from the duckdb-extension-postgres wheel (same version as duckdb). It
# ships the signed binary as postgres.duckdb_extension, but LOAD takes the entry point from the file name and the
# extension's own name is postgres_scanner: a link by that name loads it. Autoloading is off so nothing downloads.
binary = Path(duckdb_extension_postgres.__file__).parent / "extensions" / f"v{duckdb.__version__}" / "postgres.duckdb_extension"
if not binary.is_file():
    sys.exit(f"{binary} is missing: duckdb-extension-postgres must match duckdb {duckdb.__version__}")
scratch = tempfile.TemporaryDirectory()
link = Path(scratch.name) / "postgres_scanner.duckdb_extension"
link.symlink_to(binary)
# DuckDB's own memory limit (80% of RAM) stands; what it spills past it goes to the scratch, not the working directory.
db = duckdb.connect(
    config={"autoinstall_known_extensions": False, "autoload_known_extensions": False, "temp_directory": scratch.name}
)
db.execute(f"load '{link}'")
db.execute("set TimeZone = 'UTC'")
quoted = url.replace("'", "''")
db.execute(f"attach '{quoted}' as pg (type postgres, read_only)")

# normalizeTerm, sortedTerms and listOrNone of the input-context codec (packages/domain); number_text prints a
# whole number without a decimal point, as JavaScript does.
db.execute(r"""
create macro term(t) as trim(regexp_replace(lower(t), '[^a-z0-9]+', '_', 'g'), '_');
create macro terms(ts) as list_sort(list_distinct(list_transform(coalesce(ts, []), t -> term(t))));
create macro list_or_none(ts) as if(len(ts) = 0, 'none', array_to_string(ts, ', '));
create macro number_text(x) as if(x = trunc(x), x::bigint::varchar, x::varchar);
""")

PLAN_TYPE = '{"days": [{"day": "INTEGER", "meals": [{"slot": "VARCHAR", "recipe_id": "VARCHAR"}]}]}'
# Field order is the codec's sort order for pantry items: ingredient, expiry, unit, quantity.
ITEMS_TYPE = '[{"ingredient": "VARCHAR", "expires_on": "DATE", "unit": "VARCHAR", "quantity": "DOUBLE"}]'
WINDOW = ("1970-01-01 00:00:00+00", "2100-01-01 00:00:00+00")  # the bench's window: every event

EXTRACTION = f"""
with accepted as (
  select plan_id, household_id, occurred_at, workflow_type, mode, experiment_id, variant_id, plan, edits
  from pg.exp.events
  where event_type = 'plan_accepted' and occurred_at >= '{WINDOW[0]}' and occurred_at < '{WINDOW[1]}'
  qualify row_number() over (partition by plan_id order by occurred_at desc, event_id) = 1
), generated as (
  select plan_id, occurred_at, plan, policy_version_id from pg.exp.events
  where event_type = 'plan_generated'
  qualify row_number() over (partition by plan_id order by occurred_at, event_id) = 1
), acceptances as (
  -- every acceptance, for the previous plan; the first event id wins a tie, as in ours
  select household_id, occurred_at, arg_min(plan, event_id) as plan from pg.exp.events
  where event_type = 'plan_accepted' group by household_id, occurred_at
), joined as (
  select a.plan_id, a.household_id, a.occurred_at as accepted_at, a.workflow_type, a.mode, a.experiment_id, a.variant_id,
         a.plan as accepted_plan, a.edits,
         g.occurred_at as generated_at, g.plan as generated_plan, g.policy_version_id,
         h.region, h.size, h.segment, h.created_at as household_created_at,
         terms(c.allergies) as allergies, term(c.diet) as diet, c.weekly_budget_usd, c.max_prep_minutes,
         terms(c.excluded_ingredients) as excluded_ingredients,
         p.taken_at as pantry_taken_at,
         list_sort(list_transform(coalesce(from_json(p.items, '{ITEMS_TYPE}'), []),
           i -> {{'ingredient': term(i.ingredient), 'expires_on': i.expires_on, 'unit': i.unit, 'quantity': i.quantity}})) as items,
         prev.plan as previous_plan
  from accepted a
  join generated g on g.plan_id = a.plan_id
  join pg.product.households h on h.household_id = a.household_id
  asof left join pg.product.household_constraints c on c.household_id = a.household_id and c.valid_from <= g.occurred_at
  asof left join pg.product.pantry_snapshots p on p.household_id = a.household_id and p.taken_at <= g.occurred_at
  asof left join acceptances prev on prev.household_id = a.household_id and prev.occurred_at < a.occurred_at
), contexts as (
  select *,
    if(size <= 1, 'single', if(size = 2, 'couple', if(size <= 4, 'family', 'large'))) as size_band,
    -- normalizePlan: days in order, meals by slot (breakfast, lunch, dinner) then recipe
    list_transform(list_sort(from_json(previous_plan, '{PLAN_TYPE}').days), d -> {{'day': d.day, 'meals':
      list_transform(list_sort(list_transform(d.meals, m -> {{'rank': list_position(['breakfast', 'lunch', 'dinner'], m.slot),
        'recipe_id': m.recipe_id, 'slot': m.slot}})), m -> {{'recipe_id': m.recipe_id, 'slot': m.slot}})}}) as previous_days,
    -- the codec's usable pantry: in stock and not expired, soonest expiry first
    list_sort(list_transform(list_filter(items, i -> i.quantity > 0 and i.expires_on >= generated_at::date),
      i -> {{'expires_on': i.expires_on, 'item': i}})) as usable
  from joined
)
select plan_id as row_id, household_id, accepted_at as occurred_at, workflow_type, mode, region, size as household_size, segment,
  policy_version_id, experiment_id, variant_id,
  -- keys in the codec's canonical (sorted) order
  json_object(
    'as_of', epoch_ms(generated_at),
    'constraints', json_object('allergies', allergies, 'diet', diet, 'excluded_ingredients', excluded_ingredients,
      'household_id', household_id, 'max_prep_minutes', max_prep_minutes, 'weekly_budget_usd', weekly_budget_usd),
    'household', json_object('created_at', epoch_ms(household_created_at), 'household_id', household_id,
      'region', region, 'segment', segment, 'size', size),
    'mode', mode,
    'pantry', json_object('household_id', household_id, 'items', list_transform(items, i -> {{'expires_on': strftime(i.expires_on, '%Y-%m-%d'),
      'ingredient': i.ingredient, 'quantity': i.quantity, 'unit': i.unit}}), 'taken_at', epoch_ms(coalesce(pantry_taken_at, generated_at))),
    'previous_plan', if(previous_plan is null, null, json_object('days', previous_days)),
    'workflow_type', workflow_type
  ) as input_context_json,
  concat_ws(chr(10),
    'Plan one week of meals for a household.',
    format('Household {{}}: region {{}}, {{}} {{}} ({{}}), segment {{}}.', household_id, region, size, if(size = 1, 'person', 'people'), size_band, segment),
    format('Planning date: {{}}.', strftime(generated_at, '%Y-%m-%d')),
    format('Workflow: {{}} — {{}}.', workflow_type, case workflow_type
      when 'plan_first' then 'propose the whole week at once; the household reviews it afterwards'
      when 'meal_first' then 'the household looks at one meal at a time, so every meal should stand on its own'
      when 'pantry_first' then 'build the week around the pantry, using expiring items first' end),
    format('Mode: {{}} — {{}}.', coalesce(mode, 'none'), case coalesce(mode, 'none')
      when 'autopilot' then 'the household expects to accept the plan as it is'
      when 'exploratory' then 'the household welcomes variety and cuisines it has not had lately'
      when 'constrained' then 'the household cares most that every constraint and the budget hold'
      when 'none' then 'not stated' end),
    'Constraints (hard: a plan that breaks one is rejected):',
    '- allergies: ' || list_or_none(allergies),
    '- diet: ' || coalesce(diet, 'none'),
    '- excluded ingredients: ' || list_or_none(excluded_ingredients),
    '- max prep time per recipe: ' || coalesce(max_prep_minutes::varchar || ' minutes', 'none'),
    '- weekly budget: ' || coalesce(format('{{}} USD for 21 meals of {{}} serving{{}} each', printf('%.2f', weekly_budget_usd), size,
      if(size = 1, '', 's')), 'none'),
    'Pantry (soonest expiry first; use items expiring within 3 days first):',
    if(len(usable) = 0, '- empty', array_to_string(list_transform(usable, u -> format('- {{}}: {{}} {{}}, expires {{}}{{}}', u.item.ingredient,
      number_text(u.item.quantity), u.item.unit, strftime(u.expires_on, '%Y-%m-%d'),
      if(u.expires_on - generated_at::date <= 3, ' (expiring)', ''))), chr(10))),
    if(previous_plan is null, 'Previous week: no plan.', 'Previous week (avoid repeating these recipes):' || chr(10) ||
      array_to_string(list_transform(previous_days, d -> format('- day {{}}: {{}}', d.day,
        array_to_string(list_transform(d.meals, m -> m.slot || ' ' || m.recipe_id), ', '))), chr(10))),
    'Answer with JSON only, no prose, in this shape:',
    '{{"days":[{{"day":0,"meals":[{{"slot":"breakfast","recipe_id":"..."}},{{"slot":"lunch","recipe_id":"..."}},{{"slot":"dinner","recipe_id":"..."}}]}}]}}',
    'with days 0 (Monday) to 6 (Sunday), each with breakfast, lunch and dinner, recipe ids from the recipe catalogue, and no recipe twice in the week.'
  ) as prompt,
  generated_plan::varchar as generated_plan_json, accepted_plan::varchar as accepted_plan_json,
  coalesce(edits, '[]')::varchar as user_edits_json
from contexts
order by accepted_at, plan_id
"""

rows = db.execute(f"copy ({EXTRACTION}) to '{output}' (format parquet, compression zstd, row_group_size 10000)").fetchone()[0]
db.close()
seconds = time.perf_counter() - started
print(json.dumps({"rows": rows, "seconds": seconds, "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
