import assert from 'node:assert/strict';
import { test } from 'node:test';
import { experimentName } from '../src/experiment-names.ts';

test('without a namespace the experiment keeps its base name', () => {
  assert.equal(experimentName('planner-replays', ''), 'planner-replays');
});

test('a namespace goes in front, without its trailing separator', () => {
  assert.equal(experimentName('planner-replays', 'e2e_gate_mx2o_683229.'), 'e2e_gate_mx2o_683229/planner-replays');
  assert.equal(experimentName('planner-datasets', 'staging-'), 'staging/planner-datasets');
  assert.equal(experimentName('planner-training', 'eu.staging'), 'eu.staging/planner-training');
});

test('two namespaces never share an experiment', () => {
  assert.notEqual(experimentName('planner-replays', 'a.'), experimentName('planner-replays', 'b.'));
  assert.notEqual(experimentName('planner-replays', 'a.'), experimentName('planner-replays', ''));
});
