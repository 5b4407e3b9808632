/**
 * Lineage on real PostgreSQL, before the gate's consumers are wired to it: the
 * gate's tables and exp.lineage_facts are seeded by SQL, the route runs on the
 * gate's runtime (its HTTP app, its error format), and `./lifecycle lineage`
 * asks it over HTTP. A promoted version shows every step from its event window
 * to its promotion; a version registered by hand, one the gate saw only from
 * its own table, one rolled back, and the retired baseline say what is missing.
 * The fact handlers run as the consumer runs them, in one transaction: the
 * first fact of a key wins.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HandlerContext } from '@planner/bus';
import type { DatasetReady, DatasetRequested, ModelRegistered, ReplayCompleted, TrainingCompleted } from '@planner/schemas';
import { ServiceRuntime } from '@planner/service-kit';
import { type Kysely, sql } from 'kysely';
import { isolatedLifecycle } from '../../../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { useStack } from '../../../../tests/support/stack.ts';
import { bootstrapBaseline } from '../../src/baseline-policy.ts';
import { readConfig } from '../../src/config.ts';
import { type LineageAnswer, renderLineage } from '../../src/lineage/lineage.ts';
import { runLineageCli } from '../../src/lineage/lineage-cli.ts';
import {
  datasetReadyFact,
  datasetRequestedFact,
  recordModelRegistered,
  recordReplayCompleted,
  trainingCompletedFact,
} from '../../src/lineage/lineage-handlers.ts';
import { lineageRoutes } from '../../src/lineage/lineage-routes.ts';
import { createLineageFacts, type LineageTables } from '../../src/lineage/lineage-tables.ts';
import { type GateTables, gateMigrations } from '../../src/tables.ts';

const stack = useStack('postgres', 'kafka');
process.env.LOG_LEVEL ??= 'warn';
let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let runtime: ServiceRuntime<GateTables & LineageTables>;
let address: string;
const db = () => runtime.db as unknown as Kysely<GateTables & LineageTables>;

const DIGEST = 'a'.repeat(64);
const RESULTS = 'b'.repeat(64);
const V1 = 'planner:planner_model:v1';
const V2 = 'planner:planner_model:v2';
const V3 = 'planner:planner_model:v3';
const V4 = 'planner:planner_model:v4';
const BASELINE = 'heuristic-baseline-v1';
const t = (iso: string) => new Date(iso);
const envelope = (occurredAt: string, correlationId = 'corr-1') => ({
  event_id: crypto.randomUUID(),
  occurred_at: Date.parse(occurredAt),
  correlation_id: correlationId,
  producer: 'test',
  schema_version: 1,
});

const requested: DatasetRequested = {
  ...envelope('2026-03-01T01:00:00Z'),
  model_name: 'planner',
  window_start: Date.parse('2026-02-01T00:00:00Z'),
  window_end: Date.parse('2026-03-01T00:00:00Z'),
  dataset_date: '2026-03-01',
  split_seed: 42,
  requested_by: 'cli',
};
const ready: DatasetReady = {
  ...envelope('2026-03-01T01:05:00Z'),
  dataset_version: 'planner/2026-03-01',
  model_name: 'planner',
  location: 's3://lifecycle/datasets/planner/2026-03-01/',
  digest: DIGEST,
  row_count: 1200,
  field_count: 31,
  split: { train: 800, validation: 200, evaluation: 200 },
  mlflow_run_id: 'dataset-run',
};
const trained: TrainingCompleted = {
  ...envelope('2026-03-01T01:10:00Z'),
  job_id: 'job-1',
  run_id: 'train-run',
  dataset_version: 'planner/2026-03-01',
  recipe: 'ranker-cpu@1',
  backend: 'local',
  duration_seconds: 12.5,
};
const registered = (version: string, at: string, extra: Partial<ModelRegistered> = {}): ModelRegistered => ({
  ...envelope(at),
  model_name: 'planner_model',
  model_version: version,
  model_uri: `models:/planner_model/${version}`,
  run_id: 'train-run',
  dataset_version: 'planner/2026-03-01',
  policy_id: null,
  registered_outside_pipeline: false,
  ...extra,
});
const replayed = (replayId: string, candidate: string, at: string): ReplayCompleted => ({
  ...envelope(at),
  replay_id: replayId,
  candidate: { policy_version_id: candidate, model_name: 'planner_model', model_version: candidate.slice(-1) },
  baseline: { policy_version_id: BASELINE, model_name: null, model_version: null },
  dataset_version: 'planner/2026-03-01',
  seed: 7,
  row_count: 200,
  metrics: [],
  offline_score_candidate: 0.8123,
  offline_score_baseline: 0.8,
  score_version: 'score-v1',
  results_digest: RESULTS,
  mlflow_run_id: `${replayId}-run`,
});

/** A fact as the gate would have recorded it from its event. */
async function fact(kind: string, key: string, event: { occurred_at: number }): Promise<void> {
  await sql`insert into exp.lineage_facts (kind, key, payload, occurred_at)
    values (${kind}, ${key}, ${JSON.stringify(event)}, ${new Date(event.occurred_at)})`.execute(db());
}

async function policyVersion(
  id: string,
  version: number,
  status: string,
  at: string,
  datasetVersion: string | null = 'planner/2026-03-01',
) {
  await sql`insert into exp.policy_versions
      (policy_version_id, policy_id, version, config_defaults, mlflow_model_name, mlflow_model_version, model_uri, dataset_version, status, created_at)
    values (${id}, 'planner', ${version}, '{}', 'planner_model', ${String(version)}, ${`models:/planner_model/${version}`}, ${datasetVersion}, ${status}, ${t(at)})`.execute(
    db(),
  );
}

const RULES_PASSED = [
  { rule: 'constraint_respect_is_total', passed: true, detail: 'every row respects the constraints', evidence: { rows: 200 } },
  { rule: 'plan_alignment_not_degraded', passed: true, detail: '+0.01, p 0.001', evidence: { p: 0.001 } },
];
async function gateDecision(id: string, replayId: string, version: string, outcome: 'passed' | 'rejected', rules: unknown[], at: string) {
  await sql`insert into exp.gate_decisions (decision_id, replay_id, policy_version_id, outcome, rules, config, config_version, created_at)
    values (${id}, ${replayId}, ${version}, ${outcome}, ${JSON.stringify(rules)}, '{}', 'gate-c1', ${t(at)})`.execute(db());
}

async function openExperiment(id: string, decisionId: string, version: string, control: string, at: string) {
  await db()
    .transaction()
    .execute(async (trx) => {
      await sql`insert into exp.experiments (experiment_id, policy_id, status, decision_id, created_at)
        values (${id}, 'planner', 'running', ${decisionId}, ${t(at)})`.execute(trx);
      await sql`insert into exp.variants (variant_id, experiment_id, policy_version_id, role, allocation) values
        (${`${id}-control`}, ${id}, ${control}, 'control', 0.95),
        (${`${id}-treatment`}, ${id}, ${version}, 'treatment', 0.05)`.execute(trx);
    });
}

/** One online decision and the allocation it sets, in one transaction (the allocation guard wants the ramp beside the growth). */
async function online(
  experimentId: string,
  id: string,
  kind: string,
  from: number,
  to: number,
  check: [string, string] | null,
  at: string,
  after: (trx: Kysely<GateTables & LineageTables>) => Promise<void> = async () => {},
) {
  await db()
    .transaction()
    .execute(async (trx) => {
      await sql`insert into exp.online_decisions
          (decision_id, experiment_id, kind, from_allocation, to_allocation, check_id, check_status, evidence, config_version, actor, reason, created_at)
        values (${id}, ${experimentId}, ${kind}, ${from}, ${to}, ${check?.[0] ?? null}, ${check?.[1] ?? null}, 'null', 'ramp-c1',
          ${check ? 'promotion-gate' : 'alice'}, ${check ? `${check[1]}: checked` : 'looked wrong'}, ${t(at)})`.execute(trx);
      await sql`update exp.variants set allocation = ${1 - to} where variant_id = ${`${experimentId}-control`}`.execute(trx);
      await sql`update exp.variants set allocation = ${to} where variant_id = ${`${experimentId}-treatment`}`.execute(trx);
      await after(trx);
    });
}

before(async () => {
  life = await isolatedLifecycle(stack, 'gate_lineage');
  runtime = new ServiceRuntime<GateTables & LineageTables>({ name: 'promotion-gate', config: readConfig(life.env).common });
  // The same migration the service runs once wired ('0004-lineage'), so this suite passes before and after.
  await runtime.migrate({ ...gateMigrations, '0004-lineage': { up: createLineageFacts } });
  await bootstrapBaseline(runtime.db, 'planner');
  lineageRoutes(await runtime.app(), runtime.db);
  address = await runtime.start();

  // v1: the whole pipeline, passed, ramped 5% → 25% → 100%, promoted.
  await fact('dataset_requested', 'planner/2026-03-01', requested);
  await fact('dataset_ready', 'planner/2026-03-01', ready);
  await fact('training_completed', 'train-run', trained);
  await fact('model_registered', V1, registered('1', '2026-03-01T01:11:00Z'));
  await policyVersion(V1, 1, 'registered', '2026-03-01T01:11:00Z');
  await fact('replay_completed', 'replay-1', replayed('replay-1', V1, '2026-03-01T01:20:00Z'));
  await gateDecision('decision-1', 'replay-1', V1, 'passed', RULES_PASSED, '2026-03-01T01:21:00Z');
  await sql`update exp.policy_versions set status = 'candidate' where policy_version_id = ${V1}`.execute(db());
  await openExperiment('exp-1', 'decision-1', V1, BASELINE, '2026-03-01T01:21:00Z');
  await online('exp-1', 'online-1', 'ramp', 0.05, 0.25, ['check-1', 'healthy'], '2026-03-02T00:00:00Z');
  await online('exp-1', 'online-2', 'ramp', 0.25, 1, ['check-2', 'healthy'], '2026-03-03T00:00:00Z');
  await online('exp-1', 'online-3', 'promote', 1, 1, ['check-3', 'treatment_better'], '2026-03-04T00:00:00Z', async (trx) => {
    await sql`update exp.experiments set status = 'stopped' where experiment_id = 'exp-1'`.execute(trx);
    await sql`update exp.policy_versions set status = 'retired' where policy_version_id = ${BASELINE}`.execute(trx);
    await sql`update exp.policy_versions set status = 'active' where policy_version_id = ${V1}`.execute(trx);
  });

  // v2: registered by hand in MLflow (no training job), its replay rejected.
  await fact('model_registered', V2, registered('2', '2026-03-05T00:00:00Z', { run_id: 'manual-run', registered_outside_pipeline: true }));
  await policyVersion(V2, 2, 'rejected', '2026-03-05T00:00:00Z');
  await fact('replay_completed', 'replay-2', replayed('replay-2', V2, '2026-03-05T01:00:00Z'));
  await gateDecision(
    'decision-2',
    'replay-2',
    V2,
    'rejected',
    [RULES_PASSED[0], { rule: 'plan_alignment_not_degraded', passed: false, detail: '-0.05, p 0.4', evidence: {} }],
    '2026-03-05T01:01:00Z',
  );

  // v3: the gate's own row only (its model.registered came before lineage was kept).
  await policyVersion(V3, 3, 'registered', '2026-03-06T00:00:00Z', null);

  // v4: passed (its replay.completed not recorded), then aborted by an operator at 5%.
  await fact('model_registered', V4, registered('4', '2026-03-07T00:00:00Z'));
  await policyVersion(V4, 4, 'candidate', '2026-03-07T00:00:00Z');
  await gateDecision('decision-4', 'replay-4', V4, 'passed', RULES_PASSED, '2026-03-07T01:00:00Z');
  await openExperiment('exp-4', 'decision-4', V4, V1, '2026-03-07T01:00:00Z');
  await online('exp-4', 'online-4', 'abort', 0.05, 0, null, '2026-03-08T00:00:00Z', async (trx) => {
    await sql`update exp.experiments set status = 'stopped' where experiment_id = 'exp-4'`.execute(trx);
    await sql`update exp.policy_versions set status = 'rolled_back' where policy_version_id = ${V4}`.execute(trx);
  });
});

after(async () => {
  await runtime?.stop();
  await life?.cleanup();
});

const get = async (path: string) => {
  const response = await fetch(`${address}${path}`);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
};
const lineage = async (id: string) => {
  const answer = await get(`/v1/lineage/${encodeURIComponent(id)}`);
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.type, 'application/json; charset=utf-8');
  return JSON.parse(answer.text) as LineageAnswer;
};

test('a promoted version: event window → dataset and digest → training job → model → replay and digest → gate decision → experiment → every change → promoted', async () => {
  assert.deepEqual(await lineage(V1), {
    policy_version_id: V1,
    policy_id: 'planner',
    version: 1,
    status: 'active',
    dataset_request: {
      dataset_version: 'planner/2026-03-01',
      model_name: 'planner',
      window_start: '2026-02-01T00:00:00.000Z',
      window_end: '2026-03-01T00:00:00.000Z',
      dataset_date: '2026-03-01',
      split_seed: 42,
      requested_by: 'cli',
      correlation_id: 'corr-1',
      requested_at: '2026-03-01T01:00:00.000Z',
    },
    dataset: {
      dataset_version: 'planner/2026-03-01',
      digest: DIGEST,
      location: 's3://lifecycle/datasets/planner/2026-03-01/',
      row_count: 1200,
      field_count: 31,
      split: { train: 800, validation: 200, evaluation: 200 },
      mlflow_run_id: 'dataset-run',
      correlation_id: 'corr-1',
      ready_at: '2026-03-01T01:05:00.000Z',
    },
    training: {
      job_id: 'job-1',
      run_id: 'train-run',
      dataset_version: 'planner/2026-03-01',
      recipe: 'ranker-cpu@1',
      backend: 'local',
      duration_seconds: 12.5,
      correlation_id: 'corr-1',
      completed_at: '2026-03-01T01:10:00.000Z',
    },
    model: {
      model_name: 'planner_model',
      model_version: '1',
      model_uri: 'models:/planner_model/1',
      run_id: 'train-run',
      dataset_version: 'planner/2026-03-01',
      registered_outside_pipeline: false,
      correlation_id: 'corr-1',
      registered_at: '2026-03-01T01:11:00.000Z',
    },
    replays: [
      {
        replay_id: 'replay-1',
        baseline_policy_version_id: BASELINE,
        dataset_version: 'planner/2026-03-01',
        seed: 7,
        row_count: 200,
        results_digest: RESULTS,
        offline_score_candidate: 0.8123,
        offline_score_baseline: 0.8,
        score_version: 'score-v1',
        mlflow_run_id: 'replay-1-run',
        correlation_id: 'corr-1',
        completed_at: '2026-03-01T01:20:00.000Z',
        gate_decision: {
          decision_id: 'decision-1',
          outcome: 'passed',
          rules: RULES_PASSED.map(({ evidence: _e, ...r }) => r),
          config_version: 'gate-c1',
          decided_at: '2026-03-01T01:21:00.000Z',
        },
      },
    ],
    experiments: [
      {
        experiment_id: 'exp-1',
        status: 'stopped',
        gate_decision_id: 'decision-1',
        opened_at: '2026-03-01T01:21:00.000Z',
        control_policy_version_id: BASELINE,
        treatment_variant_id: 'exp-1-treatment',
        initial_allocation: 0.05,
        treatment_allocation: 1,
        decisions: [
          ['online-1', 'ramp', 0.05, 0.25, 'check-1', 'healthy', '2026-03-02T00:00:00.000Z'],
          ['online-2', 'ramp', 0.25, 1, 'check-2', 'healthy', '2026-03-03T00:00:00.000Z'],
          ['online-3', 'promote', 1, 1, 'check-3', 'treatment_better', '2026-03-04T00:00:00.000Z'],
        ].map(([decision_id, kind, from_allocation, to_allocation, check_id, check_status, at]) => ({
          decision_id,
          kind,
          from_allocation,
          to_allocation,
          check_id,
          check_status,
          config_version: 'ramp-c1',
          actor: 'promotion-gate',
          reason: `${check_status}: checked`,
          at,
        })),
      },
    ],
    end_state: {
      status: 'active',
      outcome: 'promoted',
      decision_id: 'online-3',
      experiment_id: 'exp-1',
      at: '2026-03-04T00:00:00.000Z',
      detail: 'promoted to production by promotion-gate at 100%: treatment_better: checked',
    },
    notes: [],
  });
});

test('?format=text is the same answer as a readable table, and `./lifecycle lineage` prints it', async () => {
  const text = await get(`/v1/lineage/${V1}?format=text`);
  assert.equal(text.status, 200);
  assert.equal(text.type, 'text/plain; charset=utf-8');
  assert.equal(text.text, renderLineage(await lineage(V1)));
  assert.match(text.text, /^Lineage of planner:planner_model:v1 \(policy planner, version 1\): promoted\n/);
  assert.match(
    text.text,
    /\ndataset request +2026-03-01 01:00:00Z +planner\/2026-03-01: events in \[2026-02-01 00:00:00Z, 2026-03-01 00:00:00Z\)/,
  );
  assert.match(text.text, new RegExp(`\\ndataset +2026-03-01 01:05:00Z .*digest ${DIGEST}`));
  assert.match(text.text, new RegExp(`\\nreplay +2026-03-01 01:20:00Z +replay-1: .*results digest ${RESULTS}`));
  assert.match(text.text, /\n {2}ramp +2026-03-03 00:00:00Z +25% → 100%, check check-2 \(healthy\), by promotion-gate: healthy: checked\n/);
  assert.match(text.text, /\nend state +2026-03-04 00:00:00Z +promoted \(active\): /);

  const printed = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runLineageCli(argv, { PROMOTION_GATE_URL: address }, { out: (s) => out.push(s), err: (s) => err.push(s) });
    return { code, out: out.join(''), err: err.join('') };
  };
  assert.deepEqual(await printed(['planner_model', '1']), { code: 0, out: text.text, err: '' });
  const json = await printed(['planner_model', '1', '--json']);
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.out), await lineage(V1));
  assert.deepEqual(await printed(['planner_model', '99']), {
    code: 1,
    out: '',
    err: 'lineage: the gate answered 404: no policy version planner:planner_model:v99\n',
  });
});

test('a version registered by hand: no training job, a note saying so; its rejection names the failed rule', async () => {
  const answer = await lineage(V2);
  assert.equal(answer.training, null);
  assert.equal(answer.model?.run_id, 'manual-run');
  assert.equal(answer.model?.registered_outside_pipeline, true);
  assert.equal(answer.dataset?.digest, DIGEST, 'the dataset its run was tagged with');
  assert.deepEqual(
    answer.replays.map((r) => [r.replay_id, r.results_digest, r.gate_decision?.outcome]),
    [['replay-2', RESULTS, 'rejected']],
  );
  assert.deepEqual(answer.experiments, []);
  assert.deepEqual(answer.end_state, {
    status: 'rejected',
    outcome: 'rejected',
    decision_id: 'decision-2',
    experiment_id: null,
    at: '2026-03-05T01:01:00.000Z',
    detail: 'rejected by the gate: plan_alignment_not_degraded failed',
  });
  assert.deepEqual(answer.notes, [
    'planner_model v2 was registered outside the pipeline (by hand): no training job of the pipeline made it',
  ]);
});

test('a version the gate knows only from its own table: every upstream step null, with the reasons', async () => {
  const answer = await lineage(V3);
  assert.deepEqual(
    [answer.dataset_request, answer.dataset, answer.training, answer.model?.run_id, answer.replays, answer.experiments],
    [null, null, null, null, [], []],
  );
  assert.equal(answer.end_state.outcome, 'awaiting_replay');
  assert.deepEqual(answer.notes, [
    `model.registered for ${V3} was not recorded (it came before lineage was kept): its MLflow run is unknown`,
    'the dataset version is unknown',
    'no replay of this version was recorded yet',
  ]);
});

test('a rolled back version: the operator, the reason and the allocation; a decision whose replay was not recorded', async () => {
  const answer = await lineage(V4);
  assert.deepEqual(
    answer.replays.map((r) => [r.replay_id, r.results_digest, r.gate_decision?.decision_id]),
    [['replay-4', null, 'decision-4']],
  );
  assert.deepEqual(
    answer.experiments.map((e) => [
      e.experiment_id,
      e.control_policy_version_id,
      e.initial_allocation,
      e.treatment_allocation,
      e.decisions.length,
    ]),
    [['exp-4', V1, 0.05, 0, 1]],
  );
  assert.deepEqual(answer.end_state, {
    status: 'rolled_back',
    outcome: 'rolled_back',
    decision_id: 'online-4',
    experiment_id: 'exp-4',
    at: '2026-03-08T00:00:00.000Z',
    detail: 'aborted by alice from 5%: looked wrong',
  });
  assert.ok(
    answer.notes.includes('replay.completed for replay replay-4 was not recorded: its results digest is unknown'),
    answer.notes.join('\n'),
  );
  const text = (await get(`/v1/lineage/${V4}?format=text`)).text;
  assert.match(text, /\n {2}abort +2026-03-08 00:00:00Z +5% → 0%, by alice: looked wrong\n/);
});

test('the retired baseline: no model, retired by the promotion that replaced it', async () => {
  const answer = await lineage(BASELINE);
  assert.equal(answer.model, null);
  assert.deepEqual(answer.end_state, {
    status: 'retired',
    outcome: 'retired',
    decision_id: 'online-3',
    experiment_id: 'exp-1',
    at: '2026-03-04T00:00:00.000Z',
    detail: `retired when ${V1} was promoted (experiment exp-1)`,
  });
  assert.deepEqual(answer.notes, [
    `${BASELINE} is not a registered model (the heuristic baseline): it has no dataset, training run or model version`,
  ]);
});

test('an unknown version is a 404; a malformed id or format a precise 400', async () => {
  const error = async (path: string) => {
    const answer = await get(path);
    return [answer.status, (JSON.parse(answer.text) as { error: { message: string } }).error.message];
  };
  assert.deepEqual(await error('/v1/lineage/planner:planner_model:v99'), [404, 'no policy version planner:planner_model:v99']);
  assert.deepEqual(await error(`/v1/lineage/${'i'.repeat(129)}`), [400, 'params/policy_version_id must NOT have more than 128 characters']);
  assert.deepEqual(await error('/v1/lineage/planner:planner%20model:v1'), [
    400,
    'params/policy_version_id: a policy version id is visible ASCII without spaces (e.g. planner:planner_model:v3), got "planner:planner model:v1"',
  ]);
  assert.deepEqual(await error(`/v1/lineage/${V1}?format=xml`), [400, 'querystring/format must be equal to one of the allowed values']);
  assert.deepEqual(await error(`/v1/lineage/${V1}?verbose=1`), [400, "querystring has unknown property 'verbose'"]);
});

test('the fact handlers, run as the consumer runs them: one fact per key, the first wins, an unbuildable request is not one', async () => {
  const message = { topic: 't', partition: 0, offset: '0', timestamp: '0', key: null, value: null, headers: {} };
  const run = (handle: (ctx: HandlerContext<GateTables & LineageTables>) => Promise<void>) =>
    db()
      .transaction()
      .execute((trx) => handle({ trx: trx as never, message, attempt: 1, batch: new Map() }));
  const later = { ...requested, ...envelope('2026-04-01T00:00:00Z', 'corr-9'), dataset_date: '2026-04-01' };
  await run((ctx) => datasetRequestedFact(later, ctx));
  await run((ctx) => datasetRequestedFact({ ...later, split_seed: 1, correlation_id: 'corr-again' }, ctx));
  await run((ctx) => datasetRequestedFact({ ...later, dataset_date: '2026-04-02', window_start: later.window_end }, ctx));
  await run((ctx) => datasetReadyFact({ ...ready, dataset_version: 'planner/2026-04-01', correlation_id: 'corr-9' }, ctx));
  await run((ctx) => datasetReadyFact({ ...ready, dataset_version: 'planner/2026-04-01', digest: 'c'.repeat(64) }, ctx));
  await run((ctx) => trainingCompletedFact({ ...trained, run_id: 'run-9', dataset_version: 'planner/2026-04-01' }, ctx));
  await run(({ trx }) => recordModelRegistered(trx, registered('9', '2026-04-01T02:00:00Z', { run_id: 'run-9', policy_id: 'breakfast' })));
  await run(({ trx }) => recordReplayCompleted(trx, replayed('replay-9', 'breakfast:planner_model:v9', '2026-04-01T03:00:00Z')));

  const rows = await sql<{ kind: string; key: string; correlation: string; digest: string | null; seed: string | null }>`
    select kind, key, payload ->> 'correlation_id' as correlation, payload ->> 'digest' as digest, payload ->> 'split_seed' as seed
    from exp.lineage_facts
    where key in ('planner/2026-04-01', 'planner/2026-04-02', 'run-9', 'breakfast:planner_model:v9', 'replay-9')
    order by kind`.execute(db());
  assert.deepEqual(
    rows.rows.map((r) => [r.kind, r.key, r.correlation, r.digest, r.seed]),
    [
      ['dataset_ready', 'planner/2026-04-01', 'corr-9', DIGEST, null],
      ['dataset_requested', 'planner/2026-04-01', 'corr-9', null, '42'],
      ['model_registered', 'breakfast:planner_model:v9', 'corr-1', null, null],
      ['replay_completed', 'replay-9', 'corr-1', null, null],
      ['training_completed', 'run-9', 'corr-1', null, null],
    ],
  );
});
