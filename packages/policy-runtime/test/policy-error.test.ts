import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CodedError } from '@planner/errors';
import { isPolicyError, PolicyError } from '../src/policy-error.ts';

test('a PolicyError is a CodedError with a stable code', () => {
  const error = new PolicyError('POLICY_OUTPUT_INVALID', 'not JSON');
  assert.ok(error instanceof CodedError);
  assert.equal(error.name, 'PolicyError');
  assert.equal(error.code, 'POLICY_OUTPUT_INVALID');
  assert.ok(isPolicyError(error));
  assert.ok(isPolicyError(error, 'POLICY_OUTPUT_INVALID'));
  assert.ok(!isPolicyError(error, 'POLICY_UNREACHABLE'));
  assert.ok(!isPolicyError(new Error('POLICY_OUTPUT_INVALID')));
});
