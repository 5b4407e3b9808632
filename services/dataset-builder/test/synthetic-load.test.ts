/**
 * The bulk path on the real PostgreSQL: a synthetic world copied into the
 * tables, loaded twice without duplicates, and built into rows whose input
 * contexts are exactly the ones the generator planned with (the join
 * reconstructs what the policy was asked).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createDatabase, migrate } from '@planner/db';
import { DEFAULT_WORLD_START_MS, encodeInputContext, generateSyntheticWorld, type InputContext } from '@planner/domain';
import type { Kysely } from 'kysely';
import { isolatedLifecycle } from '../../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { useStack } from '../../../tests/support/stack.ts';
import { acceptedPlans } from '../src/accepted-plans-query.ts';
import { writeDatasetFiles } from '../src/dataset-files.ts';
import { loadSyntheticWorld } from '../src/synthetic-load.ts';
import { type DatasetBuilderTables, datasetBuilderMigrations } from '../src/tables.ts';
import { trainingRow } from '../src/training-row.ts';

const stack = useStack('postgres');
const world = { seed: 5, households: 150, weeks: 3, startMs: DEFAULT_WORLD_START_MS, missingMetadataRate: 0.02 };
let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let db: Kysely<DatasetBuilderTables>;
const scratch = mkdtempSync(join(tmpdir(), 'pl-load-'));

before(async () => {
  life = await isolatedLifecycle(stack, 'load');
  db = createDatabase<DatasetBuilderTables>(life.databaseUrl);
  await migrate(db, 'dataset-builder', datasetBuilderMigrations);
});

after(async () => {
  await db?.destroy();
  await life?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

async function tableCount(table: keyof DatasetBuilderTables): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

test('COPY loads every table; events without required metadata are left out and counted; a second load adds nothing', async () => {
  const first = await loadSyntheticWorld(generateSyntheticWorld(world), { databaseUrl: life.databaseUrl });
  assert.equal(first.recipes, 400);
  assert.equal(first.households, 150);
  assert.ok(first.rejected > 0, 'some events lacked required metadata');
  assert.equal(await tableCount('product.recipes'), first.recipes);
  assert.equal(await tableCount('product.households'), first.households);
  assert.equal(await tableCount('product.household_constraints'), first.households);
  assert.equal(await tableCount('product.pantry_snapshots'), first.pantries);
  assert.equal(await tableCount('exp.events'), first.events);

  const second = await loadSyntheticWorld(generateSyntheticWorld(world), { databaseUrl: life.databaseUrl });
  assert.deepEqual(second, first);
  assert.equal(await tableCount('exp.events'), first.events, 'no duplicates');
});

test("the build's input contexts are the contexts the generator planned with", async () => {
  // A world without dropped events, so every previous plan the generator saw is in the database too.
  const clean = { ...world, missingMetadataRate: 0 };
  const other = await isolatedLifecycle(stack, 'contexts');
  const otherDb = createDatabase<DatasetBuilderTables>(other.databaseUrl);
  try {
    await migrate(otherDb, 'dataset-builder', datasetBuilderMigrations);
    await loadSyntheticWorld(generateSyntheticWorld(clean), { databaseUrl: other.databaseUrl });
    const planned = new Map<string, InputContext>();
    for (const record of generateSyntheticWorld({ ...clean, includeContexts: true })) {
      if (record.type === 'input_context') planned.set(record.plan_id, record.context);
    }
    const known = new Set((await otherDb.selectFrom('product.recipes').select('recipe_id').execute()).map((r) => r.recipe_id));
    let rows = 0;
    for await (const record of acceptedPlans(other.databaseUrl, new Date(0), new Date('2100-01-01'))) {
      const { row } = trainingRow(record, 42, known);
      const context = planned.get(row.row_id);
      assert.ok(context, `the generator planned ${row.row_id}`);
      assert.equal(row.input_context_json, JSON.stringify(encodeInputContext(context).input), `input context of ${row.row_id}`);
      assert.equal(row.features_json, JSON.stringify(encodeInputContext(context).features));
      assert.equal(row.prompt, encodeInputContext(context).prompt);
      rows++;
    }
    assert.ok(rows > 300, `${rows} rows`);
  } finally {
    await otherDb.destroy();
    await other.cleanup();
  }
});

test('building the same pins twice gives the same bytes and digest', async () => {
  const pins = { datasetVersion: 'planner/2026-02-01', windowStart: new Date(0), windowEnd: new Date('2100-01-01'), splitSeed: 42 };
  const a = mkdtempSync(join(scratch, 'a-'));
  const b = mkdtempSync(join(scratch, 'b-'));
  const first = await writeDatasetFiles(life.databaseUrl, db, pins, a);
  const second = await writeDatasetFiles(life.databaseUrl, db, pins, b);
  assert.equal(first.digest, second.digest);
  assert.equal(first.profile.rows, second.profile.rows);
  const other = await writeDatasetFiles(life.databaseUrl, db, { ...pins, splitSeed: 43 }, mkdtempSync(join(scratch, 'c-')));
  assert.notEqual(other.digest, first.digest, 'another split seed is another dataset');
});
