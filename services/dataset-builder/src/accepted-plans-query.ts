import pg from 'pg';
import Cursor from 'pg-cursor';

/** One accepted plan joined with what the household looked like when the plan was generated. */
export interface AcceptedPlanRecord {
  plan_id: string;
  household_id: string;
  accepted_at: Date;
  workflow_type: string;
  mode: string | null;
  experiment_id: string | null;
  variant_id: string | null;
  accepted_plan: unknown;
  edits: unknown;
  generated_at: Date;
  generated_plan: unknown;
  generated_policy_version_id: string;
  region: string;
  size: number;
  segment: string;
  household_created_at: Date;
  allergies: string[] | null;
  diet: string | null;
  weekly_budget_usd: number | null;
  max_prep_minutes: number | null;
  excluded_ingredients: string[] | null;
  pantry_taken_at: Date | null;
  pantry_items: unknown;
  previous_plan: unknown;
}

/**
 * Seed §2.3 steps 1–2: accepted plans in the window (the latest acceptance per
 * plan), each with its generating event, household, the constraints and pantry
 * snapshot in force when the plan was generated, and the household's previous
 * accepted plan. Ordered by acceptance time and plan id, so the dataset's bytes
 * are reproducible.
 *
 * The latest acceptance per plan is picked from narrow tuples (plan id, time,
 * event id) and joined back by event id, so the only sorts are of narrow rows,
 * before the lookups: rows then stream while PostgreSQL works through the
 * lookups, instead of all of them being joined, sorted (about 5 kB each) and
 * spilled before the first arrives. (A `not exists` anti-join did the same on
 * a fresh database but, planned on statistics older than the window, ran for
 * minutes over 19,000 plans.)
 */
export const ACCEPTED_PLANS_SQL = `
select a.plan_id, a.household_id, a.occurred_at as accepted_at, a.workflow_type, a.mode, a.experiment_id, a.variant_id,
       a.plan as accepted_plan, a.edits,
       g.occurred_at as generated_at, g.plan as generated_plan, g.policy_version_id as generated_policy_version_id,
       h.region, h.size, h.segment, h.created_at as household_created_at,
       c.allergies, c.diet, c.weekly_budget_usd, c.max_prep_minutes, c.excluded_ingredients,
       p.taken_at as pantry_taken_at, p.items as pantry_items,
       prev.plan as previous_plan
from (
  select event_id, occurred_at, plan_id from (
    select distinct on (plan_id) event_id, occurred_at, plan_id from exp.events
    where event_type = 'plan_accepted' and occurred_at >= $1 and occurred_at < $2
    order by plan_id, occurred_at desc, event_id
  ) per_plan
  order by occurred_at, plan_id
) latest
join exp.events a on a.event_id = latest.event_id
join lateral (
  select occurred_at, plan, policy_version_id from exp.events
  where plan_id = a.plan_id and event_type = 'plan_generated'
  order by occurred_at, event_id limit 1
) g on true
join product.households h on h.household_id = a.household_id
left join lateral (
  select allergies, diet, weekly_budget_usd, max_prep_minutes, excluded_ingredients from product.household_constraints
  where household_id = a.household_id and valid_from <= g.occurred_at
  order by valid_from desc limit 1
) c on true
left join lateral (
  select taken_at, items from product.pantry_snapshots
  where household_id = a.household_id and taken_at <= g.occurred_at
  order by taken_at desc limit 1
) p on true
left join lateral (
  select plan from exp.events
  where household_id = a.household_id and event_type = 'plan_accepted' and occurred_at < a.occurred_at
  order by occurred_at desc, event_id limit 1
) prev on true
order by latest.occurred_at, latest.plan_id`;

const BATCH = 2000;

/** Streams the records through a server-side cursor: memory holds two batches, whatever the window holds. */
export async function* acceptedPlans(databaseUrl: string, windowStart: Date, windowEnd: Date): AsyncGenerator<AcceptedPlanRecord> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // A connection lost between reads surfaces on the next read; unheard, the client's 'error' event would end the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const cursor = client.query(new Cursor<AcceptedPlanRecord>(ACCEPTED_PLANS_SQL, [windowStart, windowEnd]));
    // One batch is always on its way while the caller works through the last, so PostgreSQL and this process overlap.
    const read = () => {
      const batch = cursor.read(BATCH);
      // A caller that stops early leaves this read pending when the connection ends: it must not become unheard.
      batch.catch(() => undefined);
      return batch;
    };
    let next = read();
    for (;;) {
      const rows = await next;
      if (rows.length === 0) break;
      next = read();
      yield* rows;
    }
    await cursor.close();
  } finally {
    await client.end();
  }
}
