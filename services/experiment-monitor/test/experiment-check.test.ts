import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LATENCY_HISTOGRAM, latencyBucket } from '@planner/online-statistics';
import type { CheckInputs, VariantInputs } from '../src/check-inputs.ts';
import { type CheckSettings, evaluateExperiment } from '../src/experiment-check.ts';

const settings: CheckSettings = {
  alpha: 0.05,
  tauAcceptance: 0.02,
  margins: { edits_per_plan: 0.25, interventions_per_plan: 0.05, latency_p95_ms: 100, cost_per_plan_usd: 0.001 },
  minUnitsPerArm: 100,
  minDurationSeconds: 3600,
  maxUnitsPerArm: 50_000,
  srmGraceSeconds: 10,
};
const STARTED = Date.UTC(2026, 10, 1);
const LATER = STARTED + 2 * 3600_000;

/** An arm of `n` households: `accepting` of them accept their one plan; each edits `edits` times; all take 5 ms. */
function arm(role: 'control' | 'treatment', n: number, accepting: number, edits = 1): VariantInputs {
  const latencyCounts = new Array<number>(LATENCY_HISTOGRAM.buckets).fill(0);
  latencyCounts[latencyBucket(5)] = n;
  // X (history) 0.5 for everyone: CUPED has nothing to adjust.
  return {
    variant_id: `x-${role}`,
    role,
    units: n,
    exposures: n,
    plans: n,
    fallbacks: 0,
    acceptance: { n, sumY: accepting, sumY2: accepting, sumX: n * 0.5, sumX2: n * 0.25, sumXY: accepting * 0.5 },
    edits: { n, sum: n * edits, sumSquares: n * edits * edits },
    interventions: { n, sum: 0, sumSquares: 0 },
    cost: { n, sum: 0, sumSquares: 0 },
    latencyCounts,
  };
}

function inputs(control: VariantInputs, treatment: VariantInputs, allocation = 0.5): CheckInputs {
  return {
    experiment_id: 'x',
    started_at: new Date(STARTED),
    min_p_value: 1,
    treatment_allocation: allocation,
    control,
    treatment,
    epochs: [
      { effective_at: new Date(STARTED), treatment_allocation: allocation, treatment: treatment.exposures, control: control.exposures },
    ],
  };
}

test('below the minimum sample or duration: collecting, whatever the numbers say', () => {
  assert.equal(evaluateExperiment(inputs(arm('control', 99, 90), arm('treatment', 5000, 10)), settings, LATER).status, 'collecting');
  const early = evaluateExperiment(inputs(arm('control', 5000, 4750), arm('treatment', 5000, 10)), settings, STARTED + 60_000);
  assert.equal(early.status, 'collecting');
  assert.equal(early.primary, null);
});

test('equal arms: healthy, the interval covering 0; at the planned sample: inconclusive', () => {
  const healthy = evaluateExperiment(inputs(arm('control', 2000, 1900), arm('treatment', 2000, 1900)), settings, LATER);
  assert.equal(healthy.status, 'healthy');
  assert.equal(healthy.primary?.estimate, 0);
  assert.ok((healthy.primary?.lower as number) < 0 && (healthy.primary?.upper as number) > 0);
  assert.equal(
    evaluateExperiment(inputs(arm('control', 50_000, 47_500), arm('treatment', 50_000, 47_500)), settings, LATER).status,
    'inconclusive',
  );
});

test('acceptance 95% vs 90% on 2,000 households each: treatment_worse; reversed: treatment_better', () => {
  // Difference −0.05; pooled variance (0.0475 + 0.09)/2 · 2000/1999, SE √(2 · 0.0688/2000) ≈ 0.0083: far outside the sequence.
  const worse = evaluateExperiment(inputs(arm('control', 2000, 1900), arm('treatment', 2000, 1800)), settings, LATER);
  assert.equal(worse.status, 'treatment_worse');
  assert.ok(Math.abs((worse.primary?.estimate as number) + 0.05) < 1e-12);
  assert.ok((worse.primary?.upper as number) < 0);
  const better = evaluateExperiment(inputs(arm('control', 2000, 1800), arm('treatment', 2000, 1900)), settings, LATER);
  assert.equal(better.status, 'treatment_better');
});

test('a guardrail beyond its margin outranks the primary; a sample-ratio mismatch outranks everything', () => {
  // Two edits a plan more than control, every household: breached for certain (margin 0.25), though acceptance is better.
  const breached = evaluateExperiment(inputs(arm('control', 2000, 1800, 1), arm('treatment', 2000, 1900, 3)), settings, LATER);
  assert.equal(breached.status, 'guardrail_breached');
  assert.match(breached.reasons[0] as string, /^edits_per_plan: /);
  // 2,000 vs 1,700 exposures at 50/50: χ² = 2 × 150² / 1850 = 24.3, p ≈ 8e-7.
  const skewed = evaluateExperiment(inputs(arm('control', 2000, 1800, 1), arm('treatment', 1700, 1600, 3)), settings, LATER);
  assert.equal(skewed.status, 'srm');
  assert.ok((skewed.srm_p_value as number) < 1e-6);
});

test('the always-valid p-value never rises again: the running minimum of the looks', () => {
  const look = { ...inputs(arm('control', 2000, 1900), arm('treatment', 2000, 1900)), min_p_value: 0.004 };
  assert.equal(evaluateExperiment(look, settings, LATER).primary?.p_value, 0.004);
});
