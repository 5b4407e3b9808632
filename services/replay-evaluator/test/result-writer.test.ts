/**
 * Row results written in batches, on the real PostgreSQL (the service's own
 * migrated tables): a full batch goes at once, a partial one after its delay,
 * the rest at close; a failed write is reported by close, and nothing after
 * it is tried.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createDatabase } from '@planner/db';
import type { Kysely } from 'kysely';
import { eventually } from '../../../scripts/local-lifecycle/eventually.ts';
import { serviceUnderTest } from '../../../tests/support/service-under-test.ts';
import { type ResultRow, ResultWriter } from '../src/result-writer.ts';
import type { ReplayTables } from '../src/tables.ts';

const service = serviceUnderTest('replay-evaluator', 'result_writer', { REPLAY_ON_REGISTER: 'false', REPLAY_WORKER: 'false' });
let opened: Kysely<ReplayTables> | undefined;
/** Opened inside the first test: the service's environment exists only once its own hooks ran. */
const database = () => {
  opened ??= createDatabase<ReplayTables>(service.env().DATABASE_URL as string, { maxConnections: 2 });
  return opened;
};
after(() => opened?.destroy());

const row = (key: string, rowId: string, metrics = '{"plan_alignment":0.5}'): ResultRow => ({
  result_key: key,
  row_id: rowId,
  dataset_version: 'planner/2026-11-30',
  seed: 7,
  policy_version_id: 'planner:heuristic',
  model_name: null,
  model_version: null,
  plan: null,
  error: null,
  metrics,
  offline_score: 0.5,
  latency_ms: 1,
  cost_usd: 0,
});

const written = async (key: string) =>
  (
    await database().selectFrom('exp.offline_replay_results').select('row_id').where('result_key', '=', key).orderBy('row_id').execute()
  ).map((r) => r.row_id);

test('a full batch is written at once, a partial one at close; a row already there is kept as it was', async () => {
  const writer = new ResultWriter(database(), { maxRows: 3, maxDelayMs: 60_000 });
  writer.add(row('k-full', 'r1'));
  writer.add(row('k-full', 'r2'));
  writer.add(row('k-full', 'r3'));
  await eventually('the full batch is written', async () => ((await written('k-full')).length === 3 ? true : undefined));
  writer.add(row('k-full', 'r1', '{"plan_alignment":0.9}'));
  writer.add(row('k-full', 'r4'));
  assert.deepEqual(await written('k-full'), ['r1', 'r2', 'r3'], 'the partial batch waits');
  await writer.close();
  assert.deepEqual(await written('k-full'), ['r1', 'r2', 'r3', 'r4']);
  const first = await database()
    .selectFrom('exp.offline_replay_results')
    .select('metrics')
    .where('result_key', '=', 'k-full')
    .where('row_id', '=', 'r1')
    .executeTakeFirstOrThrow();
  assert.deepEqual(first.metrics, { plan_alignment: 0.5 }, 'the second result for r1 did not overwrite the first');
});

test('a partial batch is written once its oldest row has waited the delay, without close', async () => {
  const writer = new ResultWriter(database(), { maxRows: 100, maxDelayMs: 50 });
  writer.add(row('k-delay', 'r1'));
  await eventually('the delayed batch is written', async () => ((await written('k-delay')).length === 1 ? true : undefined));
  await writer.close();
  assert.deepEqual(await written('k-delay'), ['r1']);
});

test('close reports a failed write, and the batches after it are not tried', async () => {
  const writer = new ResultWriter(database(), { maxRows: 1, maxDelayMs: 60_000 });
  writer.add(row('k-fail', 'r1', 'not json'));
  writer.add(row('k-fail', 'r2'));
  await assert.rejects(writer.close(), /invalid input syntax for type json/);
  assert.deepEqual(await written('k-fail'), []);
});
