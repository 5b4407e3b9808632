/**
 * A build holds every exp.events message published before it began: the
 * arithmetic on hand-computed offsets, the offsets read from the real broker,
 * and the build loop on the real PostgreSQL waiting for ingestion, then giving
 * up with DATASET_EVENTS_BEHIND.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type BusTables, busMigrations, type PartitionOffset } from '@planner/bus';
import { createDatabase, migrate } from '@planner/db';
import type { MlflowClient } from '@planner/mlflow-client';
import type { ObjectStore } from '@planner/object-store';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { isolatedLifecycle } from '../../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { clientBus } from '../../../scripts/local-lifecycle/lifecycle-services.ts';
import { useStack } from '../../../tests/support/stack.ts';
import { DatasetBuilds } from '../src/dataset-builds.ts';
import { type EventsIngestion, eventsIngestion, messagesBehind } from '../src/events-ingestion.ts';
import { type DatasetBuilderTables, datasetBuilderMigrations } from '../src/tables.ts';
import { planEvent } from './fixtures.ts';

test('messages behind: per partition the target minus the committed offset, never below 0; nothing committed counts from 0', () => {
  const target = [
    { partition: 0, offset: '10' },
    { partition: 1, offset: '4' },
    { partition: 2, offset: '7' },
    { partition: 3, offset: '0' },
  ];
  // 10 - 6, 4 - 4, 7 - 0 (committed nothing: -1), partition 3 empty; a committed offset past the target counts 0.
  const committed = [
    { partition: 0, offset: '6' },
    { partition: 1, offset: '9' },
    { partition: 2, offset: '-1' },
  ];
  assert.equal(messagesBehind(target, committed), 4 + 0 + 7 + 0);
  assert.equal(
    messagesBehind(target, [
      { partition: 0, offset: '10' },
      { partition: 1, offset: '4' },
      { partition: 2, offset: '7' },
    ]),
    0,
  );
});

describe('on the real servers', () => {
  const stack = useStack('postgres', 'kafka');
  let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
  let client: ReturnType<typeof clientBus>;
  let db: Kysely<DatasetBuilderTables & BusTables>;

  before(async () => {
    life = await isolatedLifecycle(stack, 'ingest-target');
    client = clientBus(life.env, 'events-ingestion-test');
    db = createDatabase<DatasetBuilderTables & BusTables>(life.databaseUrl);
    await migrate(db, 'bus', busMigrations);
    await migrate(db, 'dataset-builder', datasetBuilderMigrations);
  });
  after(async () => {
    await client?.transport.close();
    await db?.destroy();
    await life?.cleanup();
  });

  test("the broker's end and committed offsets: behind by what was published until the group has handled it", async () => {
    const group = 'dataset-builder.exp-events';
    const ingestion = eventsIngestion(client.transport, group);
    const households = ['h1', 'h2', 'h3', 'h4', 'h5'];
    await client.bus.publishMany(
      'exp.events',
      households.map((household_id, i) => planEvent({ event_id: `00000000-0000-4000-8000-00000000000${i}`, household_id })),
      (e) => e.household_id,
    );
    const target = await ingestion.end();
    assert.equal(
      target.reduce((sum, p) => sum + Number(p.offset), 0),
      households.length,
    );
    assert.equal(await ingestion.behind(target), households.length, 'the group has committed nothing');

    let handled = 0;
    const consumption = await client.transport.consume({
      groupId: group,
      topics: ['exp.events'],
      fromBeginning: true,
      handleBatch: async (messages) => {
        handled += messages.length;
      },
    });
    const deadline = Date.now() + 60_000;
    while (handled < households.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await consumption.stop(); // commits what was handled
    assert.equal(handled, households.length);
    assert.equal(await ingestion.behind(target), 0);
  });

  describe('the build loop', () => {
    /** Ingestion that reports `behind` messages missing until told otherwise. */
    function scripted(target: PartitionOffset[]) {
      const state = { behind: 3, asked: 0 };
      const ingestion: EventsIngestion = {
        end: async () => target,
        behind: async (asked) => {
          assert.deepEqual(asked, target, 'the stored target is the one compared');
          state.asked++;
          return state.behind;
        },
      };
      return { state, ingestion };
    }

    function builds(ingestion: EventsIngestion, ingestWaitSeconds: number) {
      return new DatasetBuilds({
        db,
        databaseUrl: life.databaseUrl,
        bus: client.bus,
        // Never reached while the build waits for ingestion: a build that got past the wait would fail on them.
        store: {} as ObjectStore,
        mlflow: {} as MlflowClient,
        mlflowExperiment: 'unused',
        logger: pino({ level: 'silent' }),
        maxAttempts: 3,
        dependencyBudgetSeconds: 60,
        ingestion,
        ingestWaitSeconds,
      });
    }

    async function request(version: string): Promise<void> {
      await db
        .insertInto('exp.datasets')
        .values({
          dataset_version: version,
          model_name: 'planner',
          dataset_date: version.split('/')[1] as string,
          window_start: new Date('2026-01-01T00:00:00Z'),
          window_end: new Date('2026-02-01T00:00:00Z'),
          split_seed: 1,
          status: 'pending',
          correlation_id: 'c',
          requested_by: 'test',
        })
        .execute();
    }

    const row = (version: string) =>
      db.selectFrom('exp.datasets').selectAll().where('dataset_version', '=', version).executeTakeFirstOrThrow();

    test('a build waits while ingestion is behind the target it took when first claimed, and keeps that target', async () => {
      const target = [
        { partition: 0, offset: '12' },
        { partition: 1, offset: '3' },
      ];
      const { state, ingestion } = scripted(target);
      await request('planner/2026-01-31');
      assert.equal(await builds(ingestion, 600).buildNext(), false);
      const waiting = await row('planner/2026-01-31');
      assert.equal(waiting.status, 'pending');
      assert.deepEqual(waiting.events_target, target);
      assert.ok(waiting.events_target_at && waiting.retry_at && waiting.retry_at > waiting.events_target_at, 'put back for a second');
      assert.equal(waiting.attempts, 0, 'waiting is not a failed attempt');
      assert.equal(state.asked, 1);
      await db.updateTable('exp.datasets').set({ status: 'failed' }).where('dataset_version', '=', 'planner/2026-01-31').execute();
    });

    test('past DATASET_INGEST_WAIT_SECONDS the build fails with DATASET_EVENTS_BEHIND, naming how far behind', async () => {
      const target = [{ partition: 0, offset: '7' }];
      const { ingestion } = scripted(target);
      await request('planner/2026-01-30');
      await db
        .updateTable('exp.datasets')
        .set({ events_target: JSON.stringify(target), events_target_at: new Date(Date.now() - 5_000) })
        .where('dataset_version', '=', 'planner/2026-01-30')
        .execute();
      await builds(ingestion, 2).buildNext();
      const failed = await row('planner/2026-01-30');
      assert.equal(failed.status, 'failed');
      assert.match(
        failed.error ?? '',
        /^DATASET_EVENTS_BEHIND: the ingestion of exp\.events is 3 messages short .* after 5 s \(DATASET_INGEST_WAIT_SECONDS=2\)/,
      );
    });
  });
});
