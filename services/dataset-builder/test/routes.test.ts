/**
 * The dataset-builder's HTTP edge on the real stack: values longer than the
 * documented limits are refused before anything is written, so no caller can
 * make an event Kafka would refuse (issue 17, item 5), and list endpoints take
 * `?limit=` from the query string (item 8).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { FIELD_LIMITS } from '@planner/schemas';
import { serviceUnderTest } from '../../../tests/support/service-under-test.ts';

const folder = mkdtempSync(join(tmpdir(), 'pl-dataset-routes-'));
const service = serviceUnderTest('dataset-builder', 'dataset_routes', { OBJECT_STORE_URL: pathToFileURL(folder).href });
after(() => rmSync(folder, { recursive: true, force: true }));

const call = (path: string, body?: unknown) => service.call(path, { body });

async function written() {
  return { datasets: await service.rows('exp.datasets'), outbox: await service.rows('exp.outbox') };
}

const request = { model_name: 'planner', window_start: '2026-01-01T00:00:00Z', window_end: '2026-01-08T00:00:00Z' };

test('a 600 KB correlation id is refused with a 400 naming the field, and nothing is written', async () => {
  const response = await call('/v1/datasets', { ...request, correlation_id: 'c'.repeat(600_000) });
  assert.equal(response.status, 400);
  assert.equal(response.body.error?.code, 'VALIDATION_FAILED');
  assert.equal(response.body.error?.message, `body/correlation_id must NOT have more than ${FIELD_LIMITS.id} characters`);
  assert.ok(response.size < 2000, `the answer does not echo the value (${response.size} characters)`);
  assert.deepEqual(await written(), { datasets: 0, outbox: 0 });
});

test('over-long names and dates are refused, every one named, and nothing is written', async () => {
  const response = await call('/v1/datasets', {
    ...request,
    model_name: 'm'.repeat(FIELD_LIMITS.name + 1),
    dataset_date: '2026-01-07'.repeat(1000),
  });
  assert.equal(response.status, 400);
  assert.equal(
    response.body.error?.message,
    `body/model_name must NOT have more than ${FIELD_LIMITS.name} characters; body/dataset_date must NOT have more than 10 characters`,
  );
  assert.deepEqual(await written(), { datasets: 0, outbox: 0 });
});

test('reads refuse over-long names in the path and the query string', async () => {
  const long = 'm'.repeat(FIELD_LIMITS.name + 1);
  const byPath = await call(`/v1/datasets/${long}/2026-01-07`);
  assert.equal(byPath.status, 400);
  assert.equal(byPath.body.error?.message, `params/model_name must NOT have more than ${FIELD_LIMITS.name} characters`);
  const byQuery = await call(`/v1/datasets?model_name=${long}`);
  assert.equal(byQuery.status, 400);
  assert.equal(byQuery.body.error?.message, `querystring/model_name must NOT have more than ${FIELD_LIMITS.name} characters`);
  assert.equal((await call('/v1/datasets/planner/2026-01-07')).status, 404, 'a name within the limit is looked up');
});

test('?limit= is read from the query string as the integer it is', async () => {
  const listed = await call('/v1/datasets?limit=10&model_name=planner');
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body, []);
  assert.equal((await call('/v1/datasets?limit=ten')).body.error?.message, 'querystring/limit must be integer');
  assert.equal((await call('/v1/datasets?limit=0')).body.error?.message, 'querystring/limit must be >= 1');
});

test('JSON bodies stay strict: a number sent as a string is refused', async () => {
  const response = await call('/v1/datasets', { ...request, split_seed: '42' });
  assert.equal(response.status, 400);
  assert.equal(response.body.error?.message, 'body/split_seed must be integer');
  assert.deepEqual(await written(), { datasets: 0, outbox: 0 });
});
