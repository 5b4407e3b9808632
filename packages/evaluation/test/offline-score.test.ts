import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OFFLINE_SCORE_VERSION, OFFLINE_SCORE_WEIGHTS, offlineScore } from '../src/offline-score.ts';
import { metrics } from './fixtures.ts';

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);

test('the worked example: 0.27 + 0.06 + 0.10 + 0 + 0.05 = 0.48', () => {
  const row = metrics({ plan_alignment: 0.6, meal_diversity: 0.6, leftovers_utility: 2 / 3, constraint_respect: 0, edit_rate: 0.5 });
  close(offlineScore(row), 0.48);
});

test('a perfect row scores 1, the worst 0; latency and cost do not move the score', () => {
  const perfect = metrics({ plan_alignment: 1, meal_diversity: 1, leftovers_utility: 1, constraint_respect: 1, edit_rate: 0 });
  close(offlineScore(perfect), 1);
  close(offlineScore({ ...perfect, latency_ms: 1e6, cost_usd: 5 }), 1);
  close(offlineScore(metrics({ plan_alignment: 0, meal_diversity: 0, leftovers_utility: 0, constraint_respect: 0, edit_rate: 1 })), 0);
});

test('the weights sum to 1 and the version is pinned', () => {
  close(
    Object.values(OFFLINE_SCORE_WEIGHTS).reduce((a, b) => a + b, 0),
    1,
  );
  assert.equal(OFFLINE_SCORE_VERSION, 'offline-score/1');
});
