import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rollbackReason } from '../src/handlers/experiment-rolled-back.ts';
import { cutTagValue, isVersionNumber, MODEL_VERSION_TAG_VALUE_LIMIT } from '../src/model-version-tags.ts';

test('a tag value within the limit is kept as it is; a longer one is cut to the limit, the last character …', () => {
  assert.equal(MODEL_VERSION_TAG_VALUE_LIMIT, 5000);
  assert.equal(cutTagValue('x'.repeat(5000)), 'x'.repeat(5000));
  assert.equal(cutTagValue('x'.repeat(5001)), `${'x'.repeat(4999)}…`);
  assert.equal(cutTagValue('abcdef', 4), 'abc…');
});

test('the limit counts characters as MLflow does (code points), and never splits a surrogate pair', () => {
  // 5000 emoji are 10 000 UTF-16 units but 5000 characters: kept.
  assert.equal(cutTagValue('🍲'.repeat(5000)), '🍲'.repeat(5000));
  const cut = cutTagValue('🍲'.repeat(5001));
  assert.equal(Array.from(cut).length, 5000);
  assert.equal(cut, `${'🍲'.repeat(4999)}…`);
});

test("rollback_reason: every reason joined with '; ', blanks dropped; none at all says so", () => {
  assert.equal(rollbackReason(['latency breached', ' SRM p = 0.0004 ']), 'latency breached; SRM p = 0.0004');
  assert.equal(rollbackReason(['', '  ']), 'no reason given');
  assert.equal(rollbackReason([]), 'no reason given');
  assert.equal(rollbackReason(['r'.repeat(6000)]).length, 5000);
});

test('a model version number is a positive decimal integer', () => {
  for (const good of ['1', '42', '123456789']) assert.equal(isVersionNumber(good), true, good);
  for (const bad of ['', '0', '01', '-1', '1.0', 'v1', ' 1', '1e3']) assert.equal(isVersionNumber(bad), false, bad);
});
