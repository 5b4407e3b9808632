import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { CheckEvidence } from '../src/experiment-check.ts';
import { MonitorMetrics } from '../src/monitor-metrics.ts';

const variant = (role: 'control' | 'treatment') => ({
  variant_id: `x-${role}`,
  role,
  units: 10,
  exposures: 10,
  plans: 10,
  acceptance_rate: role === 'control' ? 0.7 : 0.8,
  edits_per_plan: 1,
  interventions_per_plan: 0.1,
  latency_p50_ms: 5,
  latency_p95_ms: 9,
  latency_p99_ms: 12,
  cost_per_plan_usd: 0.001,
  fallbacks: 0,
});

const check: CheckEvidence = {
  experiment_id: 'x',
  status: 'srm',
  reasons: ['srm: exposures do not follow the allocation'],
  treatment_allocation: 0.25,
  variants: [variant('control'), variant('treatment')],
  primary: null,
  guardrails: [],
  srm_p_value: 0.0001,
  srm_statistic: 15,
  cuped_variance_reduction: null,
  cuped_theta: null,
  alpha: 0.05,
};

test('a check sets the per-variant metrics, the one status that holds, the SRM p-value and the allocation', async () => {
  const registry = new Registry();
  new MonitorMetrics(registry).record(check);
  const text = await registry.metrics();
  assert.match(
    text,
    /^planner_experiment_variant_metric\{experiment_id="x",variant_id="x-treatment",role="treatment",metric="acceptance_rate"\} 0.8$/m,
  );
  assert.match(text, /^planner_experiment_status\{experiment_id="x",status="srm"\} 1$/m);
  assert.match(text, /^planner_experiment_status\{experiment_id="x",status="healthy"\} 0$/m);
  assert.match(text, /^planner_experiment_srm_p_value\{experiment_id="x"\} 0.0001$/m);
  assert.match(text, /^planner_experiment_treatment_allocation\{experiment_id="x"\} 0.25$/m);
});

test('each kind of allocation change keeps the time of its latest event, in seconds; the allocation follows when the event says', async () => {
  const registry = new Registry();
  const metrics = new MonitorMetrics(registry);
  metrics.changed('x', 'started', 1_000_000, 0.05);
  metrics.changed('x', 'ramped', 2_000_000, 0.1);
  metrics.changed('x', 'ramped', 3_000_000, 0.25);
  metrics.changed('x', 'rolled_back', 4_000_000, 0);
  metrics.changed('x', 'promoted', 5_000_000);
  const text = await registry.metrics();
  assert.match(text, /^planner_experiment_last_change_timestamp_seconds\{experiment_id="x",change="started"\} 1000$/m);
  assert.match(text, /^planner_experiment_last_change_timestamp_seconds\{experiment_id="x",change="ramped"\} 3000$/m);
  assert.match(text, /^planner_experiment_last_change_timestamp_seconds\{experiment_id="x",change="rolled_back"\} 4000$/m);
  assert.match(text, /^planner_experiment_last_change_timestamp_seconds\{experiment_id="x",change="promoted"\} 5000$/m);
  assert.match(text, /^planner_experiment_treatment_allocation\{experiment_id="x"\} 0$/m);
});
