/**
 * The trainer-dispatcher's HTTP edge on the real stack: over-long values are
 * refused before anything is written (issue 17, item 5), `?limit=` is read
 * from the query string, and a job id that is not a UUID is a 400 naming it,
 * never a database error (item 8).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { FIELD_LIMITS } from '@planner/schemas';
import { serviceUnderTest } from '../../../tests/support/service-under-test.ts';

const service = serviceUnderTest('trainer-dispatcher', 'trainer_routes', { TRAINING_AUTO_MODELS: '' });
const { call } = service;

async function written() {
  return { jobs: await service.rows('exp.training_jobs'), outbox: await service.rows('exp.outbox') };
}

test('over-long ids, names and correlation ids are refused with a 400 naming each, and nothing is written', async () => {
  const response = await call('/v1/training-jobs', {
    method: 'POST',
    body: {
      dataset_version: 'd'.repeat(FIELD_LIMITS.id + 1),
      recipe_id: 'r'.repeat(FIELD_LIMITS.name + 1),
      policy_id: 'p'.repeat(FIELD_LIMITS.name + 1),
      correlation_id: 'c'.repeat(600_000),
    },
  });
  assert.equal(response.status, 400);
  assert.equal(response.body.error?.code, 'VALIDATION_FAILED');
  assert.equal(
    response.body.error?.message,
    [
      `body/dataset_version must NOT have more than ${FIELD_LIMITS.id} characters`,
      `body/recipe_id must NOT have more than ${FIELD_LIMITS.name} characters`,
      `body/policy_id must NOT have more than ${FIELD_LIMITS.name} characters`,
      `body/correlation_id must NOT have more than ${FIELD_LIMITS.id} characters`,
    ].join('; '),
  );
  assert.ok(response.size < 4000, `the answer does not echo the values (${response.size} characters)`);
  assert.deepEqual(await written(), { jobs: 0, outbox: 0 });
});

test('an over-long Idempotency-Key is refused: it would be stored as the request key', async () => {
  const response = await call('/v1/training-jobs', {
    method: 'POST',
    body: { dataset_version: 'planner/2026-01-01', recipe_id: 'planner-ranker@1' },
    headers: { 'idempotency-key': 'k'.repeat(FIELD_LIMITS.id + 1) },
  });
  assert.equal(response.status, 400);
  assert.equal(response.body.error?.message, `headers/idempotency-key must NOT have more than ${FIELD_LIMITS.id} characters`);
  assert.deepEqual(await written(), { jobs: 0, outbox: 0 });
});

test('a job id that is not a UUID is a 400 naming it on GET, /log and /cancel', async () => {
  for (const id of ['-'.repeat(36), 'not-a-job', `urn:uuid:${randomUUID()}`]) {
    for (const [method, path] of [
      ['GET', `/v1/training-jobs/${id}`],
      ['GET', `/v1/training-jobs/${id}/log`],
      ['POST', `/v1/training-jobs/${id}/cancel`],
    ] as const) {
      const response = await call(path, { method });
      assert.equal(response.status, 400, `${method} ${path}`);
      assert.equal(response.body.error?.code, 'VALIDATION_FAILED');
      assert.match(response.body.error?.message ?? '', /^params\/job_id must (match format "uuid"|NOT have more than 36 characters)$/);
    }
  }
  const unknown = randomUUID();
  assert.equal((await call(`/v1/training-jobs/${unknown}`)).body.error?.message, `no training job ${unknown}`);
  assert.equal((await call(`/v1/training-jobs/${unknown.toUpperCase()}/log`)).status, 404, 'upper-case hex is a UUID too');
});

test('?limit= is read from the query string as the integer it is', async () => {
  const listed = await call('/v1/training-jobs?limit=10&status=queued');
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body, []);
  assert.equal((await call('/v1/training-jobs?limit=501')).body.error?.message, 'querystring/limit must be <= 500');
});

test('the documented limits are in the OpenAPI description', async () => {
  const spec = (await (await fetch(`${service.address()}/docs/json`)).json()) as {
    paths: Record<string, Record<string, { parameters?: { name: string; in: string; schema: Record<string, unknown> }[] }>>;
  };
  const post = spec.paths['/v1/training-jobs']?.post;
  assert.deepEqual(
    post?.parameters?.find((p) => p.name === 'idempotency-key'),
    { name: 'idempotency-key', in: 'header', required: false, schema: { type: 'string', maxLength: FIELD_LIMITS.id } },
  );
  const byId = spec.paths['/v1/training-jobs/{job_id}']?.get?.parameters?.find((p) => p.name === 'job_id');
  assert.deepEqual(byId?.schema, { type: 'string', format: 'uuid', maxLength: 36 });
});
