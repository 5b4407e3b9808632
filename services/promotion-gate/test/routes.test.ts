/**
 * The promotion-gate's read API on the real stack: `?limit=` is read from the
 * query string on every list (issue 17, item 8), and an over-long id in the
 * path is a 400 naming it (item 5).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIELD_LIMITS } from '@planner/schemas';
import { serviceUnderTest } from '../../../tests/support/service-under-test.ts';

const service = serviceUnderTest('promotion-gate', 'gate_routes');
const get = (path: string) => service.call<unknown>(path);

const LISTS = ['/v1/policy-versions', '/v1/decisions', '/v1/experiments'];

test('?limit= is read from the query string as the integer it is, on every list', async () => {
  for (const list of LISTS) {
    const listed = await get(`${list}?limit=10`);
    assert.equal(listed.status, 200, list);
    assert.ok(Array.isArray(listed.body), list);
    const refused = await get(`${list}?limit=0`);
    assert.equal(refused.status, 400, list);
    assert.equal((refused.body as { error: { message: string } }).error.message, 'querystring/limit must be >= 1');
  }
  // The baseline the gate bootstraps is there, and one is all a limit of 1 returns.
  const one = await get('/v1/policy-versions?limit=1');
  assert.equal((one.body as unknown[]).length, 1);
});

test('an over-long id in the path is a 400 naming it', async () => {
  for (const list of LISTS) {
    const response = await get(`${list}/${'i'.repeat(FIELD_LIMITS.id + 1)}`);
    assert.equal(response.status, 400, list);
    assert.deepEqual(
      (response.body as { error: { message: string } }).error.message,
      `params/id must NOT have more than ${FIELD_LIMITS.id} characters`,
    );
    assert.equal((await get(`${list}/${'i'.repeat(FIELD_LIMITS.id)}`)).status, 404, `${list}: an id within the limit is looked up`);
  }
});
