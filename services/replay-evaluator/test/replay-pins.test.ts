import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replayIdOf, resultKeyOf } from '../src/replay-pins.ts';

const candidate = { policy_version_id: 'planner:planner_model:v3', model_name: 'planner_model', model_version: '3' };
const baseline = { policy_version_id: 'heuristic-baseline-v1', model_name: null, model_version: null };
const pins = { candidate, baseline, datasetVersion: 'planner/2026-03-01', seed: 7 };

test('a replay id depends on every pin and on nothing else', () => {
  const id = replayIdOf(pins);
  assert.match(id, /^replay-[0-9a-f]{24}$/);
  assert.equal(replayIdOf({ ...pins, candidate: { ...candidate } }), id, 'the same pins, another object');
  assert.notEqual(replayIdOf({ ...pins, seed: 8 }), id);
  assert.notEqual(replayIdOf({ ...pins, datasetVersion: 'planner/2026-03-02' }), id);
  assert.notEqual(replayIdOf({ ...pins, candidate: { ...candidate, model_version: '4' } }), id);
  assert.notEqual(replayIdOf({ ...pins, candidate: baseline, baseline: candidate }), id, 'roles matter');
});

test("a policy's result key is shared by every replay with the same policy, dataset version and seed", () => {
  assert.equal(resultKeyOf(baseline, 'planner/2026-03-01', 7), resultKeyOf({ ...baseline }, 'planner/2026-03-01', 7));
  assert.notEqual(resultKeyOf(baseline, 'planner/2026-03-01', 7), resultKeyOf(baseline, 'planner/2026-03-01', 8));
  assert.notEqual(resultKeyOf(baseline, 'planner/2026-03-01', 7), resultKeyOf(candidate, 'planner/2026-03-01', 7));
});
