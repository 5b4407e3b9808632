/**
 * The replay-evaluator's HTTP edge on the real stack: over-long values are
 * refused before a replay or its shard events are written (issue 17, item 5),
 * `?limit=` is read from the query string (item 8), and the shards a request
 * stages continue the caller's trace.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIELD_LIMITS } from '@planner/schemas';
import { recordReplay } from '../../../tests/support/recorded-replay.ts';
import { serviceUnderTest } from '../../../tests/support/service-under-test.ts';

const service = serviceUnderTest('replay-evaluator', 'replay_routes', { REPLAY_ON_REGISTER: 'false', REPLAY_WORKER: 'false' });
const { call } = service;

async function written() {
  return {
    replays: await service.rows('exp.replays'),
    shards: await service.rows('exp.replay_shards'),
    outbox: await service.rows('exp.outbox'),
  };
}

test('over-long names, versions, dataset versions and correlation ids are refused, each named, and nothing is written', async () => {
  const response = await call('/v1/replays', {
    method: 'POST',
    body: {
      candidate: { model_name: 'm'.repeat(FIELD_LIMITS.name + 1), model_version: '1'.repeat(FIELD_LIMITS.id + 1) },
      baseline: 'heuristic',
      dataset_version: 'd'.repeat(FIELD_LIMITS.id + 1),
      correlation_id: 'c'.repeat(600_000),
    },
  });
  assert.equal(response.status, 400);
  assert.equal(response.body.error?.code, 'VALIDATION_FAILED');
  assert.equal(
    response.body.error?.message,
    [
      `body/candidate/model_name must NOT have more than ${FIELD_LIMITS.name} characters`,
      `body/candidate/model_version must NOT have more than ${FIELD_LIMITS.id} characters`,
      `body/dataset_version must NOT have more than ${FIELD_LIMITS.id} characters`,
      `body/correlation_id must NOT have more than ${FIELD_LIMITS.id} characters`,
    ].join('; '),
  );
  assert.ok(response.size < 4000, `the answer does not echo the values (${response.size} characters)`);
  assert.deepEqual(await written(), { replays: 0, shards: 0, outbox: 0 });
});

test('an over-long policy id is refused: it becomes part of the policy version id in every shard event', async () => {
  const response = await call('/v1/replays', {
    method: 'POST',
    body: {
      candidate: { model_name: 'planner', model_version: '1', policy_id: 'p'.repeat(FIELD_LIMITS.name + 1) },
      dataset_version: 'planner/2026-01-01',
    },
  });
  assert.equal(response.status, 400);
  assert.equal(response.body.error?.message, `body/candidate/policy_id must NOT have more than ${FIELD_LIMITS.name} characters`);
  assert.deepEqual(await written(), { replays: 0, shards: 0, outbox: 0 });
});

test('an over-long replay id is a 400 naming it, on GET and on rerun', async () => {
  const long = 'r'.repeat(FIELD_LIMITS.id + 1);
  for (const [method, path] of [
    ['GET', `/v1/replays/${long}`],
    ['POST', `/v1/replays/${long}/rerun`],
  ] as const) {
    const response = await call(path, { method });
    assert.equal(response.status, 400, `${method} ${path}`);
    assert.equal(response.body.error?.message, `params/replay_id must NOT have more than ${FIELD_LIMITS.id} characters`);
  }
  assert.equal((await call(`/v1/replays/${'r'.repeat(FIELD_LIMITS.id)}`)).status, 404, 'an id within the limit is looked up');
});

test('?limit= is read from the query string as the integer it is', async () => {
  const listed = await call('/v1/replays?limit=10');
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body, []);
  assert.equal((await call('/v1/replays?limit=1.5')).body.error?.message, 'querystring/limit must be integer');
});

test("a rerun's shard events continue the caller's trace", async () => {
  const replayId = 'replay-traced-rerun';
  await recordReplay(service.env().DATABASE_URL as string, {
    replayId,
    candidate: { policy_version_id: 'planner:m:v1', model_name: 'm', model_version: '1' },
    rows: [],
    status: 'completed',
  });
  await service.query('insert into exp.replay_shards (replay_id, shard_index, row_offset, row_limit) values ($1, 0, 0, 10)', [replayId]);
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const rerun = await call(`/v1/replays/${replayId}/rerun`, {
    method: 'POST',
    headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
  });
  assert.equal(rerun.status, 202);
  const staged = await service.query<{ headers: Record<string, string> }>("select headers from exp.outbox where topic = 'replay.shards'");
  assert.equal(staged.length, 1);
  assert.equal(staged[0]?.headers.traceparent?.split('-')[1], traceId);
});
