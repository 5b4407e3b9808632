import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exposureEventId } from '../src/exposure.ts';

test('the exposure id is pinned: computed independently with Python hashlib', () => {
  // python3: b = sha256(b'exposure:experiment-0123456789abcdef:hh-000042').digest()[:16]; b[6] = b[6] & 0x0f | 0x80; b[8] = b[8] & 0x3f | 0x80
  assert.equal(exposureEventId('experiment-0123456789abcdef', 'hh-000042'), '91745a7f-70f5-8dd3-a0e4-0b7173652c3d');
});

test('one id per unit and experiment: another unit or another experiment gets another id', () => {
  const id = exposureEventId('experiment-a', 'hh-1');
  assert.equal(exposureEventId('experiment-a', 'hh-1'), id);
  assert.notEqual(exposureEventId('experiment-a', 'hh-2'), id);
  assert.notEqual(exposureEventId('experiment-b', 'hh-1'), id);
});

test('the id is a version-8 RFC 9562 UUID', () => {
  assert.match(exposureEventId('experiment-a', 'hh-1'), /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
