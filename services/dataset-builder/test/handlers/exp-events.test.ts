import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ingestionProblems } from '../../src/handlers/exp-events.ts';
import { planEvent } from '../fixtures.ts';

const base = planEvent();

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

test('an exposure needs its experiment, variant and policy version, but no plan', () => {
  const exposure = planEvent({ event_type: 'exposure', plan: null, hash_version: 3 });
  assert.deepEqual(ingestionProblems(exposure), []);
  assert.deepEqual(ingestionProblems({ ...exposure, experiment_id: null, variant_id: '', policy_version_id: null }), [
    'experiment_id is required for exposure',
    'variant_id is required for exposure',
    'policy_version_id is required for exposure',
  ]);
});

test('outside any experiment the upstream ids are metadata like any other', () => {
  assert.deepEqual(ingestionProblems(planEvent({ experiment_id: 'none', variant_id: 'production' })), []);
});
