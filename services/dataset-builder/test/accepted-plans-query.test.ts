/**
 * The accepted-plans query on the real PostgreSQL, with exposure rows in
 * exp.events: an exposure carries the plan id it was first served with, so it
 * must never pass for the plan's generating event, an acceptance or a previous plan.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HandlerContext } from '@planner/bus';
import { createDatabase, migrate } from '@planner/db';
import type { PlanEvent } from '@planner/schemas';
import { type Kysely, sql } from 'kysely';
import { isolatedLifecycle } from '../../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { useStack } from '../../../tests/support/stack.ts';
import { type AcceptedPlanRecord, acceptedPlans } from '../src/accepted-plans-query.ts';
import { ingestEvent } from '../src/handlers/exp-events.ts';
import { type DatasetBuilderTables, datasetBuilderMigrations } from '../src/tables.ts';
import { ONE_DINNER, planEvent } from './fixtures.ts';

const stack = useStack('postgres');
let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let db: Kysely<DatasetBuilderTables>;

const T0 = Date.parse('2026-03-02T10:00:00Z');
const MINUTE = 60_000;
const EDITED = { days: [{ day: 0, meals: [{ slot: 'dinner' as const, recipe_id: 'r-002' }] }] };

before(async () => {
  life = await isolatedLifecycle(stack, 'accepted');
  db = createDatabase<DatasetBuilderTables>(life.databaseUrl);
  await migrate(db, 'dataset-builder', datasetBuilderMigrations);
});

after(async () => {
  await db?.destroy();
  await life?.cleanup();
});

async function ingest(event: PlanEvent): Promise<void> {
  // The handler writes only through trx; the bus's own tables are not needed here.
  await db.transaction().execute((trx) => ingestEvent(event, { trx } as unknown as HandlerContext<DatasetBuilderTables>));
}

async function all(): Promise<AcceptedPlanRecord[]> {
  const records: AcceptedPlanRecord[] = [];
  for await (const record of acceptedPlans(life.databaseUrl, new Date(T0 - MINUTE), new Date(T0 + 60 * MINUTE))) records.push(record);
  return records;
}

test('exposure rows change nothing: one row for the one accepted plan, its generating event the plan_generated', async () => {
  await db
    .insertInto('product.households')
    .values({ household_id: 'h1', region: 'north', size: 3, segment: 'north-family', created_at: new Date(0) })
    .execute();
  const inExperiment = { experiment_id: 'exp-ranker', variant_id: 'treatment', policy_version_id: 'planner_policy:2' };
  await ingest(
    planEvent({ ...inExperiment, event_id: '20000000-0000-4000-8000-000000000000', event_type: 'plan_generated', occurred_at: T0 }),
  );
  // At the same instant, with an event id that sorts first: a generating-event lookup blind to the type would take it.
  await ingest(
    planEvent({
      ...inExperiment,
      event_id: '10000000-0000-4000-8000-000000000000',
      event_type: 'exposure',
      occurred_at: T0,
      plan: null,
      hash_version: 3,
    }),
  );
  await ingest(
    planEvent({ ...inExperiment, event_id: '30000000-0000-4000-8000-000000000000', occurred_at: T0 + 5 * MINUTE, plan: EDITED }),
  );
  // Another experiment's exposure after the acceptance, in the window: neither an acceptance nor a previous plan.
  await ingest(
    planEvent({
      event_id: '40000000-0000-4000-8000-000000000000',
      event_type: 'exposure',
      occurred_at: T0 + 10 * MINUTE,
      plan_id: 'p2',
      experiment_id: 'exp-other',
      variant_id: 'control',
      policy_version_id: 'planner_policy:1',
      plan: null,
      hash_version: 1,
    }),
  );

  const records = await all();
  assert.equal(records.length, 1);
  const [record] = records as [AcceptedPlanRecord];
  assert.deepEqual(
    {
      plan_id: record.plan_id,
      accepted_at: record.accepted_at.getTime(),
      variant_id: record.variant_id,
      accepted_plan: record.accepted_plan,
      generated_at: record.generated_at.getTime(),
      generated_plan: record.generated_plan,
      generated_policy_version_id: record.generated_policy_version_id,
      previous_plan: record.previous_plan,
    },
    {
      plan_id: 'p1',
      accepted_at: T0 + 5 * MINUTE,
      variant_id: 'treatment',
      accepted_plan: EDITED,
      generated_at: T0,
      generated_plan: ONE_DINNER,
      generated_policy_version_id: 'planner_policy:2',
      previous_plan: null,
    },
  );
});

test('a plan accepted twice in the window is one row, its latest acceptance; a tie in time goes to the smaller event id; rows come by time then plan id', async () => {
  await db
    .insertInto('product.households')
    .values({ household_id: 'h2', region: 'south', size: 2, segment: 'south-couple', created_at: new Date(0) })
    .execute();
  const plan = (recipe: string) => ({ days: [{ day: 1, meals: [{ slot: 'lunch' as const, recipe_id: recipe }] }] });
  const event = (id: number, plan_id: string, minutes: number, overrides: Partial<PlanEvent> = {}) =>
    planEvent({
      event_id: `${String(id).padStart(8, '0')}-0000-4000-8000-000000000000`,
      household_id: 'h2',
      plan_id,
      occurred_at: T0 + minutes * MINUTE,
      ...overrides,
    });
  for (const id of ['p3', 'p4', 'p5']) await ingest(event(50 + Number(id.slice(1)), id, 20, { event_type: 'plan_generated' }));
  await ingest(event(61, 'p3', 21, { plan: plan('r-021') }));
  await ingest(event(62, 'p3', 25, { plan: plan('r-025') }));
  // Two acceptances of p4 at one instant: the smaller event id wins, whichever was ingested first.
  await ingest(event(72, 'p4', 30, { plan: plan('r-072') }));
  await ingest(event(71, 'p4', 30, { plan: plan('r-071') }));
  // An acceptance after the window's end neither counts nor hides the one inside it.
  await ingest(event(73, 'p4', 90, { plan: plan('r-090') }));
  await ingest(event(81, 'p5', 30, { plan: plan('r-081') }));

  const rows = (await all()).filter((r) => r.household_id === 'h2');
  assert.deepEqual(
    rows.map((r) => [r.plan_id, (r.accepted_at.getTime() - T0) / MINUTE, r.accepted_plan]),
    [
      ['p3', 25, plan('r-025')],
      ['p4', 30, plan('r-071')],
      ['p5', 30, plan('r-081')],
    ],
  );
  // The previous plan is the household's acceptance just before, re-acceptances included.
  assert.deepEqual(
    rows.map((r) => r.previous_plan),
    [plan('r-021'), plan('r-025'), plan('r-025')],
  );
});

test('a caller that stops after the first record ends the cursor cleanly: the batch asked for ahead is not left unheard', async () => {
  // More plans than one cursor batch (2,000), a day after the other tests' window, so a second batch is in flight at the break.
  const at = T0 + 24 * 60 * MINUTE;
  await db
    .insertInto('product.households')
    .values({ household_id: 'bulk', region: 'north', size: 2, segment: 'north-couple', created_at: new Date(0) })
    .execute();
  await sql`
    insert into exp.events (event_id, event_type, occurred_at, household_id, plan_id, workflow_type, policy_version_id, plan, edits, correlation_id, producer)
    select gen_random_uuid(), t.type, ${new Date(at)}::timestamptz + make_interval(secs => g + t.later), 'bulk', 'bulk-' || g, 'plan_first',
           'heuristic-baseline-v1', ${JSON.stringify(ONE_DINNER)}::jsonb, '[]'::jsonb, 'c', 'p'
    from generate_series(1, 2100) g, (values ('plan_generated', 0), ('plan_accepted', 0.5)) t(type, later)`.execute(db);
  const unheard: unknown[] = [];
  const listener = (reason: unknown) => unheard.push(reason);
  process.on('unhandledRejection', listener);
  try {
    for await (const record of acceptedPlans(life.databaseUrl, new Date(at), new Date(at + 60 * MINUTE))) {
      assert.equal(record.plan_id, 'bulk-1');
      break;
    }
    // Unhandled rejections are reported once the microtask queue drains; two turns of the event loop cover it.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', listener);
  }
  assert.deepEqual(unheard, []);
});
