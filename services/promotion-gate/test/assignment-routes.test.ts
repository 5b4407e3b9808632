/**
 * Issue 10, item 2: the gate serves assignments. The active document and the
 * per-unit route agree with @planner/assignment run in-process, the document
 * carries an ETag (304 while nothing changed), the split follows the
 * allocation, and bad input gets a precise 4xx.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ActivePolicy, type Assignment, assign } from '@planner/assignment';
import { eventually } from '../../../scripts/local-lifecycle/eventually.ts';
import { serviceUnderTest } from '../../../tests/support/service-under-test.ts';

const gate = serviceUnderTest('promotion-gate', 'gate_assignment');
const CANDIDATE = 'planner:planner_model:v7';

/** A candidate that passed the gate, and its running experiment at 5%, as the gate's own tables hold them. */
async function runningExperiment(): Promise<void> {
  await gate.query(
    `insert into exp.policy_versions (policy_version_id, policy_id, version, config_defaults, mlflow_model_name, mlflow_model_version, model_uri, status)
     values ($1, 'planner', 7, '{}', 'planner_model', '7', 'models:/planner_model/7', 'candidate')`,
    [CANDIDATE],
  );
  await gate.query(
    `insert into exp.gate_decisions (decision_id, replay_id, policy_version_id, outcome, rules, config, config_version)
     values ('decision-a', 'replay-a', $1, 'passed', '[]', '{}', 'c')`,
    [CANDIDATE],
  );
  await gate.query(`
    begin;
    insert into exp.experiments (experiment_id, policy_id, status, decision_id) values ('experiment-a', 'planner', 'running', 'decision-a');
    insert into exp.variants (variant_id, experiment_id, policy_version_id, role, allocation) values
      ('experiment-a-control', 'experiment-a', 'heuristic-baseline-v1', 'control', 0.95),
      ('experiment-a-treatment', 'experiment-a', '${CANDIDATE}', 'treatment', 0.05);
    commit;`);
}

const households = Array.from({ length: 20_000 }, (_, i) => `hh-${String(i + 1).padStart(6, '0')}`);

test('without an experiment every household gets the production version, the heuristic baseline', async () => {
  const answer = await gate.call<Assignment>('/v1/assignments/hh-000001?policy_id=planner');
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.body, {
    policy_id: 'planner',
    experiment_id: null,
    variant_id: null,
    hash_version: null,
    policy_version_id: 'heuristic-baseline-v1',
    model_uri: null,
    runtime: { kind: 'heuristic' },
  });
});

test('with a running experiment: the active document, its ETag, and assignments that agree with the in-process hash', async () => {
  const before = await gate.call<ActivePolicy>('/v1/experiments/active?policy_id=planner');
  await runningExperiment();
  // Replicas read the document again at most every ASSIGNMENT_CACHE_MS (1 s): the change shows within it.
  const active = await eventually('the new experiment in the active document', async () => {
    const answer = await gate.call<ActivePolicy>('/v1/experiments/active?policy_id=planner');
    return answer.body.experiment ? answer : undefined;
  });
  assert.equal(active.status, 200);
  const etag = active.headers.get('etag');
  assert.ok(etag && etag !== before.headers.get('etag'), 'a new experiment changes the ETag');
  assert.deepEqual(
    active.body.experiment?.variants.map((v) => [v.variant_id, v.policy_version_id, v.buckets, v.runtime]),
    [
      ['experiment-a-control', 'heuristic-baseline-v1', { from: 500, to: 10_000 }, { kind: 'heuristic' }],
      ['experiment-a-treatment', CANDIDATE, { from: 0, to: 500 }, { kind: 'learned', model_uri: 'models:/planner_model/7' }],
    ],
  );
  assert.equal(active.body.experiment?.salt, 'experiment-a');

  const unchanged = await gate.call('/v1/experiments/active?policy_id=planner', { headers: { 'if-none-match': etag } });
  assert.equal(unchanged.status, 304);
  assert.equal(unchanged.size, 0);

  for (const household of households.slice(0, 40)) {
    const served = await gate.call<Assignment>(`/v1/assignments/${household}?policy_id=planner`);
    assert.deepEqual(served.body, assign(household, active.body), household);
  }
  // 20,000 households split as allocated: chi-square on one degree of freedom below its 0.999 quantile (10.83).
  const treated = households.filter((h) => assign(h, active.body).variant_id === 'experiment-a-treatment').length;
  const chi2 = (treated - 1000) ** 2 / 1000 + (households.length - treated - 19_000) ** 2 / 19_000;
  assert.ok(chi2 < 10.83, `${treated} of ${households.length} treated (chi-square ${chi2.toFixed(2)})`);
});

test('bad input gets a precise 4xx', async () => {
  const unknown = await gate.call('/v1/assignments/hh-000001?policy_id=breakfast');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error?.message, "no policy 'breakfast': it has no active version");
  assert.equal((await gate.call('/v1/experiments/active?policy_id=breakfast')).status, 404);

  const spaced = await gate.call('/v1/assignments/hh%20000001?policy_id=planner');
  assert.equal(spaced.status, 400);
  assert.equal(
    spaced.body.error?.message,
    'params/unit_id: unit id must be 1 to 128 visible ASCII characters without spaces, got 9 characters',
  );
  const long = await gate.call(`/v1/assignments/${'u'.repeat(129)}?policy_id=planner`);
  assert.equal(long.status, 400);
  assert.match(long.body.error?.message ?? '', /params\/unit_id must NOT have more than 128 characters/);
  const missing = await gate.call('/v1/assignments/hh-000001');
  assert.equal(missing.status, 400);
  assert.match(missing.body.error?.message ?? '', /querystring must have required property 'policy_id'/);
});
