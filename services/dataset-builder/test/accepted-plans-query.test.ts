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
import type { Kysely } from 'kysely';
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
