import assert from 'node:assert/strict';
import { test } from 'node:test';
import { controlBuckets, treatmentBuckets } from '../src/active-policy.ts';
import { parseActivePolicy } from '../src/active-policy-document.ts';

const production = { policy_version_id: 'heuristic-baseline-v1', model_uri: null, runtime: { kind: 'heuristic' } };
const candidate = { policy_version_id: 'planner:m:v3', model_uri: 'models:/m/3', runtime: { kind: 'learned', model_uri: 'models:/m/3' } };
const document = {
  policy_id: 'planner',
  production,
  experiment: {
    experiment_id: 'experiment-a',
    salt: 'experiment-a',
    hash_version: 1,
    variants: [
      { variant_id: 'a-control', role: 'control', buckets: controlBuckets(0.05), ...production },
      { variant_id: 'a-treatment', role: 'treatment', buckets: treatmentBuckets(0.05), ...candidate },
    ],
  },
};

test('a well-formed document comes back typed and unchanged', () => {
  assert.deepEqual(parseActivePolicy(structuredClone(document)), document);
  assert.deepEqual(parseActivePolicy({ policy_id: 'planner', production, experiment: null }), {
    policy_id: 'planner',
    production,
    experiment: null,
  });
});

test('a document that would assign wrongly is refused with the path of the problem', () => {
  const broken = (change: (d: typeof document) => void) => {
    const copy = structuredClone(document);
    change(copy);
    return () => parseActivePolicy(copy);
  };
  assert.throws(
    broken((d) => (d.experiment.hash_version = 2)),
    /experiment\.hash_version is 2; this code implements version 1/,
  );
  assert.throws(
    broken((d) => ((d.experiment.variants[1] as { buckets: unknown }).buckets = { from: 0, to: 600 })),
    /a-control and a-treatment share buckets|a-treatment and a-control share buckets/,
  );
  assert.throws(
    broken((d) => ((d.experiment.variants[0] as { buckets: unknown }).buckets = { from: 500, to: 10_001 })),
    /buckets must be whole buckets/,
  );
  assert.throws(
    broken((d) => ((d.experiment.variants[0] as { role: string }).role = 'holdout')),
    /variants\[0\]\.role must be control or treatment/,
  );
  assert.throws(
    broken((d) => ((d.production as { policy_version_id: unknown }).policy_version_id = '')),
    /production\.policy_version_id must be a non-empty string/,
  );
  assert.throws(() => parseActivePolicy([]), /\(document\) must be an object/);
});
