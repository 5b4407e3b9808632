import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUnitId } from '../src/unit-id.ts';

test('a unit id is 1 to 128 visible ASCII characters', () => {
  assert.equal(parseUnitId('hh-000042'), 'hh-000042');
  assert.equal(parseUnitId('u'.repeat(128)), 'u'.repeat(128));
  for (const bad of ['', 'u'.repeat(129), 'hh 42', 'hh-\u00e9', 'hh\n42']) {
    assert.throws(
      () => parseUnitId(bad),
      (error: Error & { code?: string }) => error.code === 'UNIT_ID_INVALID' && /1 to 128 visible ASCII/.test(error.message),
    );
  }
});
