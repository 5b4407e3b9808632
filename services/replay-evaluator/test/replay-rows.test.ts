/**
 * A replay's rows for other services and for SQL, on the real stack (issue
 * points 8 and 10): GET /v1/replays/{replay_id}/rows answers the paired rows
 * with the digest of exactly those rows, 404 for an unknown replay and 409
 * while they are not final; the exp.replay_rows view answers "the rows of
 * replay R" in one query, shared rows included.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type RecordedRow, recordReplay, rowMetrics } from '../../../tests/support/recorded-replay.ts';
import { serviceUnderTest } from '../../../tests/support/service-under-test.ts';
import type { ReplayRows } from '../src/replay-rows.ts';

const service = serviceUnderTest('replay-evaluator', 'replay_rows', { REPLAY_ON_REGISTER: 'false', REPLAY_WORKER: 'false' });
const { call } = service;
const CANDIDATE = { policy_version_id: 'planner:m:v1', model_name: 'm', model_version: '1' };

const rows = (...ids: string[]): RecordedRow[] =>
  ids.map((row_id, i) => ({
    row_id,
    candidate: { metrics: rowMetrics(0.5 + i / 10), offline_score: 0.5 + i / 10 },
    baseline: { metrics: rowMetrics(0.4), offline_score: 0.4 },
  }));

const recorded = (replayId: string, ids: string[], options: { keys?: { candidate: string; baseline: string }; running?: boolean } = {}) =>
  recordReplay(service.env().DATABASE_URL as string, {
    replayId,
    candidate: CANDIDATE,
    rows: rows(...ids),
    ...(options.keys ? { keys: options.keys } : {}),
    status: options.running ? 'running' : 'completed',
  });

test("a completed replay's rows: paired, in row-id order, with the digest of exactly them (the one the replay recorded)", async () => {
  const digest = await recorded('replay-rows-a', ['r2', 'r0', 'r1']);
  const answer = await call<ReplayRows>('/v1/replays/replay-rows-a/rows');
  assert.equal(answer.status, 200);
  assert.equal(answer.body.results_digest, digest);
  assert.equal((await call('/v1/replays/replay-rows-a')).body.results_digest, digest);
  assert.equal(answer.body.row_count, 3);
  assert.deepEqual(
    answer.body.rows.map((r) => [r.row_id, r.candidate.offline_score, r.baseline.offline_score, r.candidate.metrics.plan_alignment]),
    [
      ['r0', 0.6, 0.4, 0.6],
      ['r1', 0.7, 0.4, 0.7],
      ['r2', 0.5, 0.4, 0.5],
    ],
  );
  assert.deepEqual(answer.body.rows[0]?.baseline.metrics, rowMetrics(0.4), 'every metric, as the gate reads it');
});

test('an unknown replay is a 404 naming it; a running one is a 409 saying so', async () => {
  const unknown = await call('/v1/replays/replay-nowhere/rows');
  assert.equal(unknown.status, 404);
  assert.deepEqual(unknown.body.error, { code: 'NOT_FOUND', message: 'no replay replay-nowhere' });
  await recorded('replay-rows-running', ['r0', 'r1'], { running: true });
  const running = await call('/v1/replays/replay-rows-running/rows');
  assert.equal(running.status, 409);
  assert.deepEqual(running.body.error, { code: 'CONFLICT', message: 'replay replay-rows-running is running, not completed' });
});

test('exp.replay_rows: one query gives the rows of a replay, each with its role, shared baseline rows included', async () => {
  const shared = { candidate: 'view-c1', baseline: 'view-shared-baseline' };
  await recorded('replay-view-1', ['r0', 'r1'], { keys: shared });
  await recorded('replay-view-2', ['r0', 'r1'], { keys: { ...shared, candidate: 'view-c2' } });
  const of = (replayId: string) =>
    service.query<{ role: string; row_id: string; result_key: string; policy_version_id: string }>(
      'select role, row_id, result_key, policy_version_id from exp.replay_rows where replay_id = $1 order by role desc, row_id',
      [replayId],
    );
  assert.deepEqual(await of('replay-view-2'), [
    { role: 'candidate', row_id: 'r0', result_key: 'view-c2', policy_version_id: 'planner:m:v1' },
    { role: 'candidate', row_id: 'r1', result_key: 'view-c2', policy_version_id: 'planner:m:v1' },
    { role: 'baseline', row_id: 'r0', result_key: 'view-shared-baseline', policy_version_id: 'heuristic-baseline-v1' },
    { role: 'baseline', row_id: 'r1', result_key: 'view-shared-baseline', policy_version_id: 'heuristic-baseline-v1' },
  ]);
  assert.equal((await of('replay-view-1')).length, 4, 'the baseline rows are stored once and belong to both replays');
  const [documented] = await service.query<{ comment: string }>(`select obj_description('exp.replay_rows'::regclass) as comment`);
  assert.match(documented?.comment ?? '', /^The rows of each replay: select \* from exp\.replay_rows where replay_id = \$1/);
});

test("a rerun recomputing rows another replay shares makes that replay's rows a 409 until they are back as they were", async () => {
  const shared = { candidate: 'rerun-c1', baseline: 'rerun-shared-baseline' };
  const digest = await recorded('replay-share-1', ['r0', 'r1', 'r2'], { keys: shared });
  await recorded('replay-share-2', ['r0', 'r1', 'r2'], { keys: { ...shared, candidate: 'rerun-c2' } });
  await service.query(
    "create table exp.test_saved_rows as select * from exp.offline_replay_results where result_key = 'rerun-shared-baseline'",
  );

  const rerun = await call('/v1/replays/replay-share-2/rerun', { method: 'POST' });
  assert.equal(rerun.status, 202);
  const during = await call('/v1/replays/replay-share-1/rows');
  assert.equal(during.status, 409);
  assert.match(
    during.body.error?.message ?? '',
    new RegExp(
      `^the rows of replay replay-share-1 digest to [0-9a-f]{64}, not its recorded ${digest}: rows it shares with another replay are being recomputed`,
    ),
  );

  // The rerun's workers write the shared rows again, byte for byte.
  await service.query('insert into exp.offline_replay_results select * from exp.test_saved_rows');
  const after = await call<ReplayRows>('/v1/replays/replay-share-1/rows');
  assert.equal(after.status, 200);
  assert.equal(after.body.results_digest, digest);
});
