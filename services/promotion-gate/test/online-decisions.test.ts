/**
 * Issue 12 on real PostgreSQL and Kafka: the gate acts on experiment.checked.
 * Healthy checks ramp along the schedule, each step recorded with its check
 * and published; a check from before the allocation in force decides nothing;
 * treatment_better at 100% promotes; an SRM rolls back at once and the queued
 * experiment starts; the database refuses an allocation raised without a ramp
 * decision; operators pause, resume and abort, with a token only.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import type { ActivePolicy } from '@planner/assignment';
import type { ExperimentChecked, TopicName } from '@planner/schemas';
import { eventually } from '../../../scripts/local-lifecycle/eventually.ts';
import { clientBus, readTopic } from '../../../scripts/local-lifecycle/lifecycle-services.ts';
import { serviceUnderTest } from '../../../tests/support/service-under-test.ts';

const gate = serviceUnderTest('promotion-gate', 'gate_online', {
  GATE_RAMP_MIN_DWELL_SECONDS: '0',
  GATE_RAMP_MIN_UNITS_PER_ARM: '10',
  ASSIGNMENT_CACHE_MS: '0',
});
let client: ReturnType<typeof clientBus> | undefined;
const bus = () => (client ??= clientBus(gate.env(), 'gate-online-test'));
after(async () => {
  await client?.transport.close();
});

/** A registered candidate, its passed decision and its experiment at 5% (or queued), as the gate's own tables hold them. */
let versions = 0;
async function experiment(name: string, status: 'running' | 'queued' = 'running'): Promise<string> {
  const n = ++versions;
  const version = `planner:planner_model:v${n}`;
  await gate.query(
    `insert into exp.policy_versions (policy_version_id, policy_id, version, config_defaults, mlflow_model_name, mlflow_model_version, model_uri, status)
     values ($1, 'planner', $2, '{}', 'planner_model', $3, $4, 'candidate')`,
    [version, n, String(n), `models:/planner_model/${n}`],
  );
  await gate.query(
    `insert into exp.gate_decisions (decision_id, replay_id, policy_version_id, outcome, rules, config, config_version)
     values ($1, $2, $3, 'passed', '[]', '{}', 'c')`,
    [`decision-${name}`, `replay-${name}`, version],
  );
  // The control is the policy's active version (a promotion earlier in the file changes which).
  const [active] = await gate.query<{ id: string }>(`select policy_version_id as id from exp.policy_versions where status = 'active'`);
  await gate.query(`
    begin;
    insert into exp.experiments (experiment_id, policy_id, status, decision_id) values ('${name}', 'planner', '${status}', 'decision-${name}');
    insert into exp.variants (variant_id, experiment_id, policy_version_id, role, allocation) values
      ('${name}-control', '${name}', '${active?.id}', 'control', 0.95),
      ('${name}-treatment', '${name}', '${version}', 'treatment', 0.05);
    commit;`);
  return version;
}

function check(experimentId: string, status: ExperimentChecked['status'], allocation: number, units = 50): ExperimentChecked {
  const variant = (role: 'control' | 'treatment') => ({
    variant_id: `${experimentId}-${role}`,
    role,
    units,
    exposures: units,
    plans: units,
    acceptance_rate: 0.95,
    edits_per_plan: 2,
    interventions_per_plan: 0,
    latency_p50_ms: 1,
    latency_p95_ms: 2,
    latency_p99_ms: 3,
    cost_per_plan_usd: 1e-7,
    fallbacks: 0,
  });
  return bus().bus.event(
    'experiment.checked',
    {
      check_id: `check-${randomUUID()}`,
      experiment_id: experimentId,
      status,
      reasons: [`${status} in the test`],
      treatment_allocation: allocation,
      variants: [variant('control'), variant('treatment')],
      primary: null,
      guardrails: [],
      srm_p_value: status === 'srm' ? 1e-6 : 0.5,
      cuped_variance_reduction: null,
      alpha: 0.05,
    },
    experimentId,
  );
}

const allocation = async (experimentId: string) =>
  Number(
    (await gate.query<{ a: number }>(`select allocation as a from exp.variants where variant_id = $1`, [`${experimentId}-treatment`]))[0]
      ?.a,
  );
const statusOf = async (table: 'exp.experiments' | 'exp.policy_versions', key: string, id: string) =>
  (await gate.query<{ status: string }>(`select status from ${table} where ${key} = $1`, [id]))[0]?.status;
const published = async <T extends TopicName>(topic: T, experimentId: string) =>
  (await readTopic(bus().transport, topic))
    .filter((m) => (m.event as { experiment_id?: string }).experiment_id === experimentId)
    .map((m) => m.event);

test('healthy checks ramp 5% → 10% → 25% → 50% → 100%, each step recorded with its check; a stale check decides nothing', async () => {
  await experiment('exp-ramp');
  let at = 0.05;
  for (const next of [0.1, 0.25, 0.5, 1]) {
    const sent = check('exp-ramp', 'healthy', at);
    await bus().bus.publish('experiment.checked', sent, 'exp-ramp');
    await eventually(`the ramp to ${next}`, async () => ((await allocation('exp-ramp')) === next ? true : undefined));
    const [decision] = await gate.query<{ kind: string; check_id: string; from_allocation: number; to_allocation: number }>(
      `select kind, check_id, from_allocation, to_allocation from exp.online_decisions where check_id = $1`,
      [sent.check_id],
    );
    assert.deepEqual(decision, { kind: 'ramp', check_id: sent.check_id, from_allocation: at, to_allocation: next });
    at = next;
  }
  // A check made at 50%, arriving after the ramp to 100%: nothing happens.
  const stale = check('exp-ramp', 'srm', 0.5);
  await bus().bus.publish('experiment.checked', stale, 'exp-ramp');
  const marker = check('exp-ramp', 'collecting', 1);
  await bus().bus.publish('experiment.checked', marker, 'exp-ramp');
  await eventually('both checks read', async () =>
    (await gate.rows('exp.processed_events')) > 0 &&
    (await gate.query(`select 1 from exp.processed_events where event_id = $1`, [marker.event_id])).length === 1
      ? true
      : undefined,
  );
  assert.equal(await statusOf('exp.experiments', 'experiment_id', 'exp-ramp'), 'running');
  assert.equal(await allocation('exp-ramp'), 1);
  const ramps = await eventually('four experiment.ramped events', async () => {
    const found = await published('experiment.ramped', 'exp-ramp');
    return found.length === 4 ? found : undefined;
  });
  assert.deepEqual(
    ramps.map((r) => [r.from_allocation, r.to_allocation]),
    [
      [0.05, 0.1],
      [0.1, 0.25],
      [0.25, 0.5],
      [0.5, 1],
    ],
  );
});

test('treatment_better at 100% promotes: version active, baseline retired, experiment stopped, model.promoted, production served', async () => {
  const version = (
    await gate.query<{ v: string }>(`select policy_version_id as v from exp.variants where variant_id = 'exp-ramp-treatment'`)
  )[0]?.v as string;
  await bus().bus.publish('experiment.checked', check('exp-ramp', 'treatment_better', 1), 'exp-ramp');
  await eventually('the promotion', async () =>
    (await statusOf('exp.policy_versions', 'policy_version_id', version)) === 'active' ? true : undefined,
  );
  assert.equal(await statusOf('exp.policy_versions', 'policy_version_id', 'heuristic-baseline-v1'), 'retired');
  assert.equal(await statusOf('exp.experiments', 'experiment_id', 'exp-ramp'), 'stopped');
  const [promoted] = await eventually('model.promoted', async () => {
    const found = await published('model.promoted', 'exp-ramp');
    return found.length > 0 ? found : undefined;
  });
  assert.deepEqual(
    { ...promoted, event_id: undefined, occurred_at: undefined, correlation_id: undefined, producer: undefined, schema_version: undefined },
    {
      event_id: undefined,
      occurred_at: undefined,
      correlation_id: undefined,
      producer: undefined,
      schema_version: undefined,
      model_name: 'planner_model',
      model_version: version.replace('planner:planner_model:v', ''),
      policy_version_id: version,
      experiment_id: 'exp-ramp',
      retired_policy_version_id: 'heuristic-baseline-v1',
    },
  );
  const active = await gate.call<ActivePolicy>('/v1/experiments/active?policy_id=planner');
  assert.equal(active.body.production.policy_version_id, version);
  assert.equal(active.body.experiment, null);
});

test('an SRM check rolls back at once: allocation 0, version rolled_back, experiment.rolled_back with the reason; the queued experiment starts', async () => {
  const rolled = await experiment('exp-srm');
  await experiment('exp-next', 'queued');
  await bus().bus.publish('experiment.checked', check('exp-srm', 'srm', 0.05, 3), 'exp-srm');
  await eventually('the rollback', async () =>
    (await statusOf('exp.experiments', 'experiment_id', 'exp-srm')) === 'stopped' ? true : undefined,
  );
  assert.equal(await allocation('exp-srm'), 0);
  assert.equal(await statusOf('exp.policy_versions', 'policy_version_id', rolled), 'rolled_back');
  const [event] = await eventually('experiment.rolled_back', async () => {
    const found = await published('experiment.rolled_back', 'exp-srm');
    return found.length > 0 ? found : undefined;
  });
  assert.equal(event?.policy_version_id, rolled);
  assert.match(event?.reasons[0] ?? '', /^srm: srm in the test/);
  // The queued one runs now, its control the active version (promoted by the test before).
  assert.equal(await statusOf('exp.experiments', 'experiment_id', 'exp-next'), 'running');
  const [started] = await eventually('experiment.started for the queued one', async () => {
    const found = await published('experiment.started', 'exp-next');
    return found.length > 0 ? found : undefined;
  });
  assert.equal(
    started?.baseline_policy_version_id,
    (await gate.call<ActivePolicy>('/v1/experiments/active?policy_id=planner')).body.production.policy_version_id,
  );
});

test('the database refuses a treatment raised without a ramp decision, and a first allocation above 10%', async () => {
  await assert.rejects(
    gate.query(
      `begin; update exp.variants set allocation = 0.9 where variant_id = 'exp-next-control'; update exp.variants set allocation = 0.1 where variant_id = 'exp-next-treatment'; commit;`,
    ),
    /allocation_grows_only_by_a_ramp_decision|grows from 0.05 to 0.1 without a ramp decision/,
  );
  await gate.query('rollback');
  assert.equal(await allocation('exp-next'), 0.05);
  await assert.rejects(
    gate.query(
      `insert into exp.variants (variant_id, experiment_id, policy_version_id, role, allocation) values ('x', 'exp-next', 'heuristic-baseline-v1', 'treatment', 0.2)`,
    ),
    /at most 0.1 of traffic/,
  );
});

test('operators: without a token nothing changes; pause serves production to everyone, resume, abort rolls back with the reason', async () => {
  const noToken = await fetch(`${gate.address()}/v1/experiments/exp-next/pause`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ actor: 'mallory', reason: 'no' }),
  });
  assert.equal(noToken.status, 401);
  assert.equal(await statusOf('exp.experiments', 'experiment_id', 'exp-next'), 'running');
  const missingReason = await gate.call('/v1/experiments/exp-next/pause', { body: { actor: 'ana' } });
  assert.equal(missingReason.status, 400);

  const paused = await gate.call<{ kind: string; actor: string; reason: string }>('/v1/experiments/exp-next/pause', {
    body: { actor: 'ana', reason: 'holiday traffic' },
  });
  assert.equal(paused.status, 200);
  assert.deepEqual([paused.body.kind, paused.body.actor, paused.body.reason], ['pause', 'ana', 'holiday traffic']);
  assert.equal((await gate.call<ActivePolicy>('/v1/experiments/active?policy_id=planner')).body.experiment, null);
  assert.equal((await gate.call('/v1/experiments/exp-next/pause', { body: { actor: 'ana', reason: 'again' } })).status, 409);
  assert.equal((await gate.call('/v1/experiments/exp-next/resume', { body: { actor: 'ana', reason: 'back' } })).status, 200);
  assert.equal((await gate.call<ActivePolicy>('/v1/experiments/active?policy_id=planner')).body.experiment?.experiment_id, 'exp-next');

  const aborted = await gate.call<{ kind: string }>('/v1/experiments/exp-next/abort', { body: { actor: 'ana', reason: 'users complain' } });
  assert.equal(aborted.body.kind, 'abort');
  assert.equal(await allocation('exp-next'), 0);
  const [event] = await eventually('experiment.rolled_back for the abort', async () => {
    const found = await published('experiment.rolled_back', 'exp-next');
    return found.length > 0 ? found : undefined;
  });
  assert.equal(event?.reasons[0], 'aborted by ana: users complain');
  const kinds = (await gate.call<{ kind: string; actor: string }[]>('/v1/experiments/exp-next/decisions')).body.map(
    (d) => `${d.kind}:${d.actor}`,
  );
  assert.deepEqual(kinds, ['start:promotion-gate', 'pause:ana', 'resume:ana', 'abort:ana']);
});
