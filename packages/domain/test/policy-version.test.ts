import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePolicyVersionId, policyVersionIdOf } from '../src/policy-version.ts';

test('a policy version id is the policy, the model and its version', () => {
  assert.equal(policyVersionIdOf('planner', 'planner_model', '3'), 'planner:planner_model:v3');
});

test('the registry pins come back out of a policy version id; other ids give undefined', () => {
  assert.deepEqual(parsePolicyVersionId(policyVersionIdOf('planner', 'planner_model', '12')), {
    policyId: 'planner',
    modelName: 'planner_model',
    modelVersion: '12',
  });
  assert.equal(parsePolicyVersionId('heuristic-baseline-v1'), undefined);
});
