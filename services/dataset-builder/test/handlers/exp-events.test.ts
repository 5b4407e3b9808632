import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlanEvent } from '@planner/schemas';
import { ingestionProblems } from '../../src/handlers/exp-events.ts';

const plan = { days: [{ day: 0, meals: [{ slot: 'dinner' as const, recipe_id: 'r-001' }] }] };
const base: PlanEvent = {
  event_id: '8d2b1e64-0f3c-4a57-b9d8-6e5a4c3b2a10',
  occurred_at: 0,
  correlation_id: 'c',
  producer: 'p',
  schema_version: 1,
  event_type: 'plan_accepted',
  household_id: 'h1',
  plan_id: 'p1',
  workflow_type: 'plan_first',
  mode: null,
  experiment_id: 'exp-1',
  variant_id: 'control',
  policy_version_id: 'heuristic-baseline-v1',
  plan,
  edits: [],
  latency_ms: null,
  cost_usd: null,
};

test('a complete event has no problems', () => {
  assert.deepEqual(ingestionProblems(base), []);
});

test('every missing item is named, for the event type that requires it', () => {
  assert.deepEqual(ingestionProblems({ ...base, experiment_id: null, variant_id: ' ', plan: null }), [
    'experiment_id is required for plan_accepted',
    'variant_id is required for plan_accepted',
    'plan is required for plan_accepted',
  ]);
  assert.deepEqual(
    ingestionProblems({ ...base, event_type: 'validator_intervened', experiment_id: null, variant_id: null, plan: null }),
    [],
  );
  assert.deepEqual(ingestionProblems({ ...base, event_type: 'validator_intervened', policy_version_id: null }), [
    'policy_version_id is required for validator_intervened',
  ]);
});
