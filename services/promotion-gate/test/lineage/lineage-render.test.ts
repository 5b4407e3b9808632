/**
 * Lineage without a stack: the readable table of a hand-made answer, the
 * dataset version a request names, and the command line of `./lifecycle lineage`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LineageAnswer, renderLineage } from '../../src/lineage/lineage.ts';
import { LineageArgsError, parseLineageArgs, runLineageCli } from '../../src/lineage/lineage-cli.ts';
import { buildableRequest } from '../../src/lineage/lineage-handlers.ts';

const DIGEST = 'a'.repeat(64);
const RESULTS = 'b'.repeat(64);

const PROMOTED: LineageAnswer = {
  policy_version_id: 'planner:planner_model:v3',
  policy_id: 'planner',
  version: 3,
  status: 'active',
  dataset_request: {
    dataset_version: 'planner/2026-03-01',
    model_name: 'planner',
    window_start: '2026-02-01T00:00:00.000Z',
    window_end: '2026-03-01T00:00:00.000Z',
    dataset_date: '2026-03-01',
    split_seed: 42,
    requested_by: 'cli',
    correlation_id: 'run-1',
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
    correlation_id: 'run-1',
    ready_at: '2026-03-01T01:05:00.000Z',
  },
  training: {
    job_id: 'job-1',
    run_id: 'train-run',
    dataset_version: 'planner/2026-03-01',
    recipe: 'ranker-cpu@1',
    backend: 'local',
    duration_seconds: 12.345,
    correlation_id: 'run-1',
    completed_at: '2026-03-01T01:10:00.000Z',
  },
  model: {
    model_name: 'planner_model',
    model_version: '3',
    model_uri: 'models:/planner_model/3',
    run_id: 'train-run',
    dataset_version: 'planner/2026-03-01',
    registered_outside_pipeline: false,
    correlation_id: 'run-1',
    registered_at: '2026-03-01T01:11:00.000Z',
  },
  replays: [
    {
      replay_id: 'replay-1',
      baseline_policy_version_id: 'heuristic-baseline-v1',
      dataset_version: 'planner/2026-03-01',
      seed: 7,
      row_count: 200,
      results_digest: RESULTS,
      offline_score_candidate: 0.812345678,
      offline_score_baseline: 0.8,
      score_version: 'score-v1',
      mlflow_run_id: 'replay-run',
      correlation_id: 'run-1',
      completed_at: '2026-03-01T01:20:00.000Z',
      gate_decision: {
        decision_id: 'decision-1',
        outcome: 'passed',
        rules: [
          { rule: 'constraint_respect_is_total', passed: true, detail: 'every row respects the constraints' },
          { rule: 'offline_score_not_below_baseline', passed: true, detail: '+0.012, p 0.001' },
        ],
        config_version: 'gate-abc',
        decided_at: '2026-03-01T01:21:00.000Z',
      },
    },
  ],
  experiments: [
    {
      experiment_id: 'experiment-1',
      status: 'stopped',
      gate_decision_id: 'decision-1',
      opened_at: '2026-03-01T01:21:00.000Z',
      control_policy_version_id: 'heuristic-baseline-v1',
      treatment_variant_id: 'experiment-1-treatment',
      initial_allocation: 0.05,
      treatment_allocation: 1,
      decisions: [
        {
          decision_id: 'online-1',
          kind: 'ramp',
          from_allocation: 0.05,
          to_allocation: 0.1,
          check_id: 'check-1',
          check_status: 'healthy',
          config_version: 'ramp-1',
          actor: 'promotion-gate',
          reason: 'healthy: no guardrail breached',
          at: '2026-03-02T00:00:00.000Z',
        },
        {
          decision_id: 'online-2',
          kind: 'promote',
          from_allocation: 1,
          to_allocation: 1,
          check_id: 'check-9',
          check_status: 'treatment_better',
          config_version: 'ramp-1',
          actor: 'promotion-gate',
          reason: 'treatment_better: acceptance +3%',
          at: '2026-03-09T00:00:00.000Z',
        },
      ],
    },
  ],
  end_state: {
    status: 'active',
    outcome: 'promoted',
    decision_id: 'online-2',
    experiment_id: 'experiment-1',
    at: '2026-03-09T00:00:00.000Z',
    detail: 'promoted to production by promotion-gate at 100%: treatment_better: acceptance +3%',
  },
  notes: [],
};

test('renderLineage: one row per step, in order, with the digests whole, each decision under its experiment', () => {
  assert.equal(
    renderLineage(PROMOTED),
    `Lineage of planner:planner_model:v3 (policy planner, version 3): promoted

STEP             WHEN                  WHAT
dataset request  2026-03-01 01:00:00Z  planner/2026-03-01: events in [2026-02-01 00:00:00Z, 2026-03-01 00:00:00Z), split seed 42, by cli
dataset          2026-03-01 01:05:00Z  planner/2026-03-01: 1200 rows (train 800, validation 200, evaluation 200), digest ${DIGEST}, at s3://lifecycle/datasets/planner/2026-03-01/, MLflow run dataset-run
training job     2026-03-01 01:10:00Z  job job-1: recipe ranker-cpu@1 on local, 12.3 s, dataset planner/2026-03-01, MLflow run train-run
model version    2026-03-01 01:11:00Z  planner_model v3 (models:/planner_model/3), MLflow run train-run
replay           2026-03-01 01:20:00Z  replay-1: vs heuristic-baseline-v1 on planner/2026-03-01 (seed 7), 200 rows, offline score 0.812346 vs 0.8 (score-v1), results digest ${RESULTS}, MLflow run replay-run
  gate decision  2026-03-01 01:21:00Z  passed (decision-1), config gate-abc: 2 of 2 rules passed
    pass         —                     constraint_respect_is_total: every row respects the constraints
    pass         —                     offline_score_not_below_baseline: +0.012, p 0.001
experiment       2026-03-01 01:21:00Z  experiment-1 (gate decision decision-1): stopped, control heuristic-baseline-v1, treatment experiment-1-treatment from 5%, now 100%
  ramp           2026-03-02 00:00:00Z  5% → 10%, check check-1 (healthy), by promotion-gate: healthy: no guardrail breached
  promote        2026-03-09 00:00:00Z  100% → 100%, check check-9 (treatment_better), by promotion-gate: treatment_better: acceptance +3%
end state        2026-03-09 00:00:00Z  promoted (active): promoted to production by promotion-gate at 100%: treatment_better: acceptance +3%
`,
  );
});

test('renderLineage: missing steps say so, and the notes say why', () => {
  const text = renderLineage({
    ...PROMOTED,
    status: 'registered',
    dataset_request: null,
    dataset: null,
    training: null,
    model: { ...(PROMOTED.model as NonNullable<LineageAnswer['model']>), run_id: null, registered_outside_pipeline: null },
    replays: [],
    experiments: [],
    end_state: {
      status: 'registered',
      outcome: 'awaiting_replay',
      decision_id: null,
      experiment_id: null,
      at: null,
      detail: 'registered: no gate decision yet',
    },
    notes: ['model.registered for planner:planner_model:v3 was not recorded'],
  });
  const lines = text.split('\n');
  assert.match(lines[0] ?? '', /: awaiting_replay$/);
  for (const step of ['dataset request', 'dataset', 'training job', 'replay']) {
    assert.ok(
      lines.some((l) => new RegExp(`^${step} +— +\\(not recorded\\)$`).test(l)),
      `${step} is shown as not recorded:\n${text}`,
    );
  }
  assert.ok(lines.some((l) => /^model version .*MLflow run \?$/.test(l)));
  assert.ok(lines.some((l) => /^experiment +— +none$/.test(l)));
  assert.deepEqual(lines.slice(-4), ['', 'Notes:', '  - model.registered for planner:planner_model:v3 was not recorded', '']);
});

test('only a buildable request is a fact', () => {
  assert.equal(buildableRequest({ dataset_date: '2026-03-01', window_start: 1, window_end: 2 }), true);
  assert.equal(buildableRequest({ dataset_date: '2026-03-01', window_start: 2, window_end: 2 }), false);
  assert.equal(buildableRequest({ dataset_date: '2026-13-45', window_start: 1, window_end: 2 }), false);
  assert.equal(buildableRequest({ dataset_date: 'yesterday', window_start: 1, window_end: 2 }), false);
});

test('./lifecycle lineage: the policy version id comes from policyVersionIdOf; bad arguments are named', () => {
  const env = { PROMOTION_GATE_URL: 'http://gate:8085/' };
  assert.deepEqual(parseLineageArgs(['planner_model', '3'], env), {
    gateUrl: 'http://gate:8085',
    policyVersionId: 'planner:planner_model:v3',
    json: false,
  });
  assert.deepEqual(parseLineageArgs(['planner_model', 'v07', '--policy-id', 'breakfast', '--gate', 'https://g', '--json'], env), {
    gateUrl: 'https://g',
    policyVersionId: 'breakfast:planner_model:v7',
    json: true,
  });
  assert.equal(parseLineageArgs(['--help'], {}), undefined);
  const refused = (argv: string[], message: RegExp, environment: Record<string, string> = env) =>
    assert.throws(
      () => parseLineageArgs(argv, environment),
      (e: unknown) => e instanceof LineageArgsError && message.test(e.message),
    );
  refused([], /^expected <model name> <version>, got 0 argument\(s\)$/);
  refused(['planner_model'], /^expected <model name> <version>, got 1 argument\(s\): planner_model$/);
  refused(['planner_model', '3', '4'], /got 3 argument\(s\)/);
  refused(['planner_model', 'three'], /^<version> must be a model version number \(e\.g\. 3\), got 'three'$/);
  refused(['planner:model', '3'], /^<model name> must be 1 to 50 visible characters without ':', got 'planner:model'$/);
  refused(['m'.repeat(51), '3'], /^<model name> must be 1 to 50/);
  refused(['planner_model', '3', '--policy-id', 'a b'], /^--policy-id must be 1 to 50 visible characters/);
  refused(['planner_model', '3'], /^--gate is required \(or set PROMOTION_GATE_URL\)/, {});
  refused(['planner_model', '3', '--gate', 'gate:8085'], /^--gate must be an http\(s\) URL, got 'gate:8085'$/);
  refused(['planner_model', '3', '--gate', 'not a url'], /^--gate must be an http\(s\) URL/);
  refused(['planner_model', '3', '--jsn'], /Unknown option '--jsn'/);
});

test('./lifecycle lineage: exit 1 naming the problem, the gate asked for text or JSON', async () => {
  const run = async (argv: string[], answer: () => Promise<Response>) => {
    const out: string[] = [];
    const err: string[] = [];
    const asked: string[] = [];
    const code = await runLineageCli(
      argv,
      {},
      {
        out: (t) => out.push(t),
        err: (t) => err.push(t),
        fetch: async (url) => {
          asked.push(String(url));
          return answer();
        },
      },
    );
    return { code, out: out.join(''), err: err.join(''), asked };
  };
  const text = await run(['planner_model', '3', '--gate', 'http://gate'], async () => new Response('the table\n'));
  assert.deepEqual(text, {
    code: 0,
    out: 'the table\n',
    err: '',
    asked: ['http://gate/v1/lineage/planner%3Aplanner_model%3Av3?format=text'],
  });
  const json = await run(['planner_model', '3', '--gate', 'http://gate', '--json'], async () => Response.json({ a: 1 }));
  assert.equal(json.code, 0);
  assert.equal(json.out, '{\n  "a": 1\n}\n');
  assert.match(json.asked[0] ?? '', /\?format=json$/);
  const missing = await run(['planner_model', '9', '--gate', 'http://gate'], async () =>
    Response.json({ error: { code: 'NOT_FOUND', message: 'no policy version planner:planner_model:v9' } }, { status: 404 }),
  );
  assert.deepEqual(
    [missing.code, missing.out, missing.err],
    [1, '', 'lineage: the gate answered 404: no policy version planner:planner_model:v9\n'],
  );
  const down = await run(['planner_model', '9', '--gate', 'http://gate'], async () => {
    throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:8085') });
  });
  assert.deepEqual([down.code, down.err], [1, 'lineage: could not reach the gate at http://gate: connect ECONNREFUSED 127.0.0.1:8085\n']);
  const bad = await run(['planner_model'], async () => new Response(''));
  assert.equal(bad.code, 1);
  assert.deepEqual(bad.asked, []);
  assert.match(bad.err, /^lineage: expected <model name> <version>, got 1 argument\(s\): planner_model\nusage: lifecycle lineage /);
});
