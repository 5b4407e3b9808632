import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ActivePolicy, assign, controlBuckets, treatmentBuckets } from '../src/active-policy.ts';
import { bucketOf } from '../src/bucket.ts';

const production = { policy_version_id: 'heuristic-baseline-v1', model_uri: null, runtime: { kind: 'heuristic' } };
const candidate = {
  policy_version_id: 'planner:planner_model:v3',
  model_uri: 'models:/planner_model/3',
  runtime: { kind: 'learned', model_uri: 'models:/planner_model/3' },
};

function policyAt(allocation: number, salt = 'experiment-a'): ActivePolicy {
  return {
    policy_id: 'planner',
    production,
    experiment: {
      experiment_id: 'experiment-a',
      salt,
      hash_version: 1,
      variants: [
        { variant_id: 'experiment-a-control', role: 'control', buckets: controlBuckets(allocation), ...production },
        { variant_id: 'experiment-a-treatment', role: 'treatment', buckets: treatmentBuckets(allocation), ...candidate },
      ],
    },
  };
}

const households = Array.from({ length: 20_000 }, (_, i) => `hh-${String(i + 1).padStart(6, '0')}`);

test('the treatment range at an allocation: whole buckets from 0, the control the rest', () => {
  assert.deepEqual(treatmentBuckets(0.05), { from: 0, to: 500 });
  assert.deepEqual(controlBuckets(0.05), { from: 500, to: 10_000 });
  assert.deepEqual(treatmentBuckets(0), { from: 0, to: 0 });
  assert.deepEqual(treatmentBuckets(1), { from: 0, to: 10_000 });
  assert.throws(() => treatmentBuckets(1.05), /an allocation is a share from 0 to 1, got 1.05/);
  assert.throws(() => treatmentBuckets(Number.NaN), /ALLOCATION_INVALID|share/);
});

test('a unit gets the variant its bucket falls in, with everything needed to serve it', () => {
  const policy = policyAt(0.05);
  const treated = households.find((h) => bucketOf(h, 'experiment-a') < 500) as string;
  const controlled = households.find((h) => bucketOf(h, 'experiment-a') >= 500) as string;
  assert.deepEqual(assign(treated, policy), {
    policy_id: 'planner',
    experiment_id: 'experiment-a',
    variant_id: 'experiment-a-treatment',
    hash_version: 1,
    ...candidate,
  });
  assert.equal(assign(controlled, policy).variant_id, 'experiment-a-control');
  assert.equal(assign(controlled, policy).policy_version_id, production.policy_version_id);
});

test('ramping 5% → 10% → 25% → 50% → 100% never moves a household out of the treatment', () => {
  let treated = new Set<string>();
  for (const allocation of [0.05, 0.1, 0.25, 0.5, 1]) {
    const now = new Set(households.filter((h) => assign(h, policyAt(allocation)).variant_id === 'experiment-a-treatment'));
    for (const h of treated) assert.ok(now.has(h), `${h} left the treatment at ${allocation}`);
    // The share treated is the allocation, within sampling error (±4 standard deviations).
    const sd = Math.sqrt((allocation * (1 - allocation)) / households.length);
    assert.ok(Math.abs(now.size / households.length - allocation) <= 4 * sd + 1e-9, `${now.size} treated at ${allocation}`);
    treated = now;
  }
  assert.equal(treated.size, households.length, 'everyone at 100%');
});

test('after a rollback (treatment at 0%) every household gets the control', () => {
  const rolledBack = policyAt(0);
  assert.ok(households.every((h) => assign(h, rolledBack).variant_id === 'experiment-a-control'));
});

test('without a running experiment every household gets the production version', () => {
  const none: ActivePolicy = { policy_id: 'planner', production, experiment: null };
  assert.deepEqual(assign('hh-000001', none), {
    policy_id: 'planner',
    experiment_id: null,
    variant_id: null,
    hash_version: null,
    ...production,
  });
});

test("experiments' salts shuffle households independently: who is treated in one says nothing of the next", () => {
  const inA = new Set(households.filter((h) => assign(h, policyAt(0.1, 'salt-a')).variant_id === 'experiment-a-treatment'));
  const inB = households.filter((h) => assign(h, policyAt(0.1, 'salt-b')).variant_id === 'experiment-a-treatment');
  const both = inB.filter((h) => inA.has(h)).length;
  // Independent 10% draws overlap on about 1% of households (200 of 20,000; sd ≈ 14).
  assert.ok(both > 140 && both < 260, `${both} households in both treatments`);
});
