/**
 * Ingestion on the real PostgreSQL: every event type, exposure included, is
 * stored in exp.events with the v2 fields (migration 0003).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HandlerContext } from '@planner/bus';
import { createDatabase, migrate } from '@planner/db';
import type { PlanEvent } from '@planner/schemas';
import type { Kysely } from 'kysely';
import { isolatedLifecycle } from '../../../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { useStack } from '../../../../tests/support/stack.ts';
import { ingestEvent } from '../../src/handlers/exp-events.ts';
import { type DatasetBuilderTables, datasetBuilderMigrations } from '../../src/tables.ts';
import { ONE_DINNER, planEvent } from '../fixtures.ts';

const stack = useStack('postgres');
let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let db: Kysely<DatasetBuilderTables>;

before(async () => {
  life = await isolatedLifecycle(stack, 'ingest');
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

test('an exposure, a fallback and a v1 event are stored with their hash version and fallback reason', async () => {
  await ingest(
    planEvent({
      event_id: '00000000-0000-4000-8000-000000000001',
      event_type: 'exposure',
      experiment_id: 'exp-ranker',
      variant_id: 'treatment',
      policy_version_id: 'planner_policy:2',
      plan: null,
      hash_version: 3,
    }),
  );
  await ingest(
    planEvent({
      event_id: '00000000-0000-4000-8000-000000000002',
      event_type: 'plan_generated',
      experiment_id: 'exp-ranker',
      variant_id: 'treatment',
      policy_version_id: 'planner_policy:1',
      hash_version: 3,
      fallback_reason: 'timeout',
    }),
  );
  // What a v1 message decodes to under v2: both fields null.
  await ingest(planEvent({ event_id: '00000000-0000-4000-8000-000000000003', schema_version: 1 }));

  const rows = await db
    .selectFrom('exp.events')
    .select(['event_id', 'event_type', 'plan', 'variant_id', 'policy_version_id', 'hash_version', 'fallback_reason'])
    .orderBy('event_id')
    .execute();
  assert.deepEqual(rows, [
    {
      event_id: '00000000-0000-4000-8000-000000000001',
      event_type: 'exposure',
      plan: null,
      variant_id: 'treatment',
      policy_version_id: 'planner_policy:2',
      hash_version: 3,
      fallback_reason: null,
    },
    {
      event_id: '00000000-0000-4000-8000-000000000002',
      event_type: 'plan_generated',
      plan: ONE_DINNER,
      variant_id: 'treatment',
      policy_version_id: 'planner_policy:1',
      hash_version: 3,
      fallback_reason: 'timeout',
    },
    {
      event_id: '00000000-0000-4000-8000-000000000003',
      event_type: 'plan_accepted',
      plan: ONE_DINNER,
      variant_id: 'control',
      policy_version_id: 'heuristic-baseline-v1',
      hash_version: null,
      fallback_reason: null,
    },
  ]);
});
