/**
 * The registry-sync's HTTP edge on the real stack: `?limit=` is read from the
 * query string (issue 17, item 8) and an over-long model name is refused at
 * the edge (item 5).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIELD_LIMITS } from '@planner/schemas';
import { serviceUnderTest } from '../../../tests/support/service-under-test.ts';

// No polling: this suite is about the HTTP edge, not what the registry holds.
const { call: get } = serviceUnderTest('registry-sync', 'registry_routes', { REGISTRY_POLL_SECONDS: '0' });

test('?limit= is read from the query string as the integer it is', async () => {
  const listed = await get('/v1/registry/versions?limit=10&model_name=planner');
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body, []);
  assert.equal((await get('/v1/registry/versions?limit=ten')).body.error?.message, 'querystring/limit must be integer');
});

test('an over-long model name is a 400 naming it', async () => {
  const response = await get(`/v1/registry/versions?model_name=${'m'.repeat(FIELD_LIMITS.name + 1)}`);
  assert.equal(response.status, 400);
  assert.equal(response.body.error?.code, 'VALIDATION_FAILED');
  assert.equal(response.body.error?.message, `querystring/model_name must NOT have more than ${FIELD_LIMITS.name} characters`);
});
