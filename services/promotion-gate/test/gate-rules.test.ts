import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RowMetrics } from '@planner/evaluation';
import type { GateConfig } from '../src/gate-config.ts';
import { evaluateRules, type PairedResult } from '../src/gate-rules.ts';

const config: GateConfig = {
  alpha: 0.05,
  margins: { offline_score: 0.005, plan_alignment: 0.02, edit_rate: 0.02, latency_ms: 50, cost_usd: 0.001 },
  treatmentAllocation: 0.05,
};

function metrics(overrides: Partial<RowMetrics> = {}): RowMetrics {
  return {
    plan_alignment: 0.9,
    meal_diversity: 1,
    leftovers_utility: 1,
    constraint_respect: 1,
    violations: 0,
    predicted_edits: 2,
    actual_edits: 2,
    edit_rate: 0.1,
    latency_ms: 1,
    cost_usd: 0,
    policy_failed: 0,
    ...overrides,
  };
}

/** Rows whose candidate differs from the baseline by `delta` in alignment (alternating ±0.01 noise so the variance is not zero). */
function pairs(n: number, delta: number, candidate: Partial<RowMetrics> = {}): PairedResult[] {
  return Array.from({ length: n }, (_, i) => {
    const noise = i % 2 === 0 ? 0.01 : -0.01;
    const alignment = 0.8 + delta + noise;
    return {
      row_id: `r${i}`,
      candidate: {
        metrics: metrics({ plan_alignment: alignment, edit_rate: 1 - alignment, ...candidate }),
        offline_score: 0.8 + delta + noise,
      },
      baseline: { metrics: metrics({ plan_alignment: 0.8, edit_rate: 0.2 }), offline_score: 0.8 },
    };
  });
}

const byRule = (results: ReturnType<typeof evaluateRules>) => Object.fromEntries(results.map((r) => [r.rule, r]));

test('an equal-or-better candidate passes every rule', () => {
  const results = byRule(evaluateRules(pairs(40, 0.01), config));
  assert.deepEqual(
    Object.entries(results)
      .filter(([, r]) => !r.passed)
      .map(([name]) => name),
    [],
  );
  // Hand check of one test: differences +0.02 and 0 alternate; mean 0.01, sd 0.01013, se 0.0016; t = (0.01 + 0.02) / 0.0016 ≈ 18.7.
  assert.ok(
    (results.plan_alignment_not_degraded?.evidence.t as number) > 18 && (results.plan_alignment_not_degraded?.evidence.t as number) < 19.5,
  );
  assert.match(
    results.plan_alignment_not_degraded?.detail ?? '',
    /non-inferiority margin 0\.02: t 18\.\d+, p \S+, Holm-adjusted \S+ < alpha 0\.05/,
  );
});

test('a candidate clearly worse than the margin fails alignment, edit prediction and the offline score', () => {
  const results = byRule(evaluateRules(pairs(40, -0.05), config));
  assert.equal(results.plan_alignment_not_degraded?.passed, false);
  assert.equal(results.edit_prediction_not_degraded?.passed, false);
  assert.equal(results.offline_score_not_below_baseline?.passed, false);
  assert.equal(results.constraint_respect_is_100_percent?.passed, true);
  assert.equal(results.latency_not_degraded?.passed, true, 'equal latency with zero spread is within the margin');
});

test('one violating row fails constraint respect, naming the count', () => {
  const rows = pairs(40, 0.01);
  (rows[3] as PairedResult).candidate.metrics = metrics({ constraint_respect: 0, violations: 2 });
  const rule = byRule(evaluateRules(rows, config)).constraint_respect_is_100_percent;
  assert.equal(rule?.passed, false);
  assert.equal(rule?.detail, '1 of 40 candidate rows break a constraint (97.5% respect; 100% required)');
});

test('a slower candidate beyond the latency margin fails the latency rule', () => {
  const results = byRule(evaluateRules(pairs(40, 0.01, { latency_ms: 120 }), config));
  assert.equal(results.latency_not_degraded?.passed, false);
  assert.match(results.latency_not_degraded?.detail ?? '', /^latency_ms: candidate 120 vs baseline 1/);
});
