import assert from 'node:assert/strict';
import { test } from 'node:test';
import { policyVersionIdOf } from '../src/policy-version.ts';

test('a policy version id is the policy, the model and its version', () => {
  assert.equal(policyVersionIdOf('planner', 'planner_model', '3'), 'planner:planner_model:v3');
});
