import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RowMetrics } from '@planner/evaluation';
import { resultsDigest } from '../src/replay-aggregation.ts';

const metrics = (latency: number): RowMetrics => ({
  plan_alignment: 0.9,
  meal_diversity: 1,
  leftovers_utility: 1,
  constraint_respect: 1,
  violations: 0,
  predicted_edits: 2,
  actual_edits: 2,
  edit_rate: 2 / 21,
  latency_ms: latency,
  cost_usd: 0,
  policy_failed: 0,
});
const row = (id: string, latency: number, plan: unknown = { days: [] }) => ({
  candidate: { row_id: id, plan, error: null, metrics: metrics(latency), offline_score: 0.9 },
  baseline: { row_id: id, plan, error: null, metrics: metrics(latency), offline_score: 0.9 },
});

test('the results digest covers plans and pinned metrics, in row order, but not the measured latency', () => {
  const digest = resultsDigest([row('a', 1), row('b', 2)]);
  assert.match(digest, /^[0-9a-f]{64}$/);
  assert.equal(resultsDigest([row('a', 50), row('b', 70)]), digest, 'wall time is not pinned');
  assert.notEqual(resultsDigest([row('b', 2), row('a', 1)]), digest, 'order matters');
  assert.notEqual(resultsDigest([row('a', 1, { days: [{ day: 0, meals: [] }] }), row('b', 2)]), digest, 'plans matter');
});
