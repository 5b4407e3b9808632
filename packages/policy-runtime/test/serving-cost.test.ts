import assert from 'node:assert/strict';
import { test } from 'node:test';
import { servingCostUsd } from '../src/serving-cost.ts';

test('a local runtime costs its wall time × the compute-hour price', () => {
  // 50 ms of a 0.72 USD hour: 50 / 3,600,000 × 0.72 = 0.00001 USD.
  assert.ok(Math.abs(servingCostUsd('heuristic', 0, 50, 0.72) - 1e-5) < 1e-15);
  // A 3.6 s learned-ranker call at 2 USD an hour: 0.002 USD, whatever per-plan proxy it reported for the replay.
  assert.ok(Math.abs(servingCostUsd('learned', 0.000001, 3600, 2) - 0.002) < 1e-15);
});

test('an OpenAI-compatible server costs what its tokens cost, not its wall time', () => {
  // 1,200 prompt tokens at 0.5 USD/1k + 300 completion tokens at 1.5 USD/1k = 0.6 + 0.45 = 1.05 USD, as the runtime reported it.
  assert.equal(servingCostUsd('openai-compatible', 1.05, 900, 0.72), 1.05);
});
