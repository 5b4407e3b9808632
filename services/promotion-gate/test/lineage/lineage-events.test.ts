/**
 * Lineage from the events the gate consumes, on real PostgreSQL and Kafka:
 * one lifecycle run published as its services would publish it
 * (dataset.requested, dataset.ready, training.completed, model.registered,
 * replay.completed, then the monitor's checks), and the gate's answer follows
 * it from the event window to the promotion. An event announced again changes
 * no fact: the first one wins.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import type { ExperimentChecked } from '@planner/schemas';
import { eventually } from '../../../../scripts/local-lifecycle/eventually.ts';
import { clientBus } from '../../../../scripts/local-lifecycle/lifecycle-services.ts';
import { recordReplay, rowMetrics } from '../../../../tests/support/recorded-replay.ts';
import { serviceUnderTest } from '../../../../tests/support/service-under-test.ts';
import type { LineageAnswer } from '../../src/lineage/lineage.ts';
import { runLineageCli } from '../../src/lineage/lineage-cli.ts';
import { GROUPS } from '../../src/service.ts';

// The gate reads the replay's rows from the replay-evaluator's API; its own planning and workers are off.
const gate = serviceUnderTest(
  'promotion-gate',
  'gate_lineage',
  { GATE_RAMP_MIN_DWELL_SECONDS: '0', GATE_RAMP_MIN_UNITS_PER_ARM: '10', ASSIGNMENT_CACHE_MS: '0' },
  { 'replay-evaluator': { REPLAY_ON_REGISTER: 'false', REPLAY_WORKER: 'false' } },
);
let client: ReturnType<typeof clientBus> | undefined;
const bus = () => (client ??= clientBus(gate.env(), 'gate-lineage-test'));
after(async () => {
  await client?.transport.close();
});

const RUN = 'run-lineage-e2e';
const VERSION = 'planner:planner_model:v1';
const DATASET = 'planner/2026-03-01';
const DIGEST = 'd'.repeat(64);

const lineage = async () => {
  const answer = await gate.call<LineageAnswer>(`/v1/lineage/${VERSION}`);
  return answer.status === 200 ? answer.body : undefined;
};

/** A completed replay in the replay-evaluator: 40 paired rows, the candidate a little better. Its results digest. */
async function completedReplay(replayId: string): Promise<string> {
  const rows = Array.from({ length: 40 }, (_, i) => {
    const alignment = 0.81 + (i % 2 === 0 ? 0.01 : -0.01);
    return {
      row_id: `r${i}`,
      candidate: { metrics: rowMetrics(alignment), offline_score: alignment },
      baseline: { metrics: rowMetrics(0.8), offline_score: 0.8 },
    };
  });
  const candidate = { policy_version_id: VERSION, model_name: 'planner_model', model_version: '1' };
  return (await recordReplay(gate.env().DATABASE_URL as string, { replayId, candidate, rows, datasetVersion: DATASET })) as string;
}

function check(experimentId: string, status: ExperimentChecked['status'], allocation: number): ExperimentChecked {
  const variant = (role: 'control' | 'treatment') => ({
    variant_id: `${experimentId}-${role}`,
    role,
    units: 50,
    exposures: 50,
    plans: 50,
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
      srm_p_value: 0.5,
      cuped_variance_reduction: null,
      alpha: 0.05,
    },
    experimentId,
  );
}

test('one lifecycle run, from its events: window → dataset and digest → training → model → replay and digest → gate → ramps → promotion', async () => {
  const { bus: b } = bus();
  const windowStart = Date.parse('2026-02-01T00:00:00Z');
  const windowEnd = Date.parse('2026-03-01T00:00:00Z');
  await b.publish(
    'dataset.requested',
    b.event(
      'dataset.requested',
      {
        model_name: 'planner',
        window_start: windowStart,
        window_end: windowEnd,
        dataset_date: '2026-03-01',
        split_seed: 42,
        requested_by: 'cli',
      },
      RUN,
    ),
    DATASET,
  );
  const ready = {
    dataset_version: DATASET,
    model_name: 'planner',
    location: 's3://lifecycle/datasets/planner/2026-03-01/',
    digest: DIGEST,
    row_count: 1200,
    field_count: 31,
    split: { train: 800, validation: 200, evaluation: 200 },
    mlflow_run_id: 'dataset-run',
  };
  await b.publish('dataset.ready', b.event('dataset.ready', ready, RUN), DATASET);
  await b.publish(
    'training.completed',
    b.event(
      'training.completed',
      { job_id: 'job-1', run_id: 'train-run', dataset_version: DATASET, recipe: 'ranker-cpu@1', backend: 'local', duration_seconds: 12.5 },
      RUN,
    ),
    'job-1',
  );
  await b.publish(
    'model.registered',
    b.event(
      'model.registered',
      {
        model_name: 'planner_model',
        model_version: '1',
        model_uri: 'models:/planner_model/1',
        run_id: 'train-run',
        dataset_version: DATASET,
        policy_id: null,
        registered_outside_pipeline: false,
      },
      RUN,
    ),
    'planner_model/1',
  );
  const upstream = await eventually('the upstream facts in the lineage', async () => {
    const answer = await lineage();
    return answer?.dataset_request && answer.dataset && answer.training && answer.model?.run_id ? answer : undefined;
  });
  assert.deepEqual(
    [upstream.dataset_request?.window_start, upstream.dataset_request?.window_end, upstream.dataset_request?.split_seed],
    ['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', 42],
  );
  assert.deepEqual([upstream.dataset?.digest, upstream.dataset?.row_count, upstream.dataset?.mlflow_run_id], [DIGEST, 1200, 'dataset-run']);
  assert.deepEqual([upstream.training?.job_id, upstream.training?.recipe, upstream.training?.backend], ['job-1', 'ranker-cpu@1', 'local']);
  assert.deepEqual([upstream.model?.model_uri, upstream.model?.run_id], ['models:/planner_model/1', 'train-run']);
  assert.equal(upstream.end_state.outcome, 'awaiting_replay');

  // The replay passes the gate: an experiment opens at 5%.
  const results = await completedReplay('replay-1');
  await b.publish(
    'replay.completed',
    b.event(
      'replay.completed',
      {
        replay_id: 'replay-1',
        candidate: { policy_version_id: VERSION, model_name: 'planner_model', model_version: '1' },
        baseline: { policy_version_id: 'heuristic-baseline-v1', model_name: null, model_version: null },
        dataset_version: DATASET,
        seed: 7,
        row_count: 40,
        metrics: [],
        offline_score_candidate: 0.81,
        offline_score_baseline: 0.8,
        score_version: 'score-v1',
        results_digest: results,
        mlflow_run_id: 'replay-run',
      },
      RUN,
    ),
    VERSION,
  );
  const opened = await eventually('the experiment in the lineage', async () => {
    const answer = await lineage();
    return answer?.experiments.length === 1 ? answer : undefined;
  });
  assert.deepEqual(
    opened.replays.map((r) => [r.replay_id, r.results_digest, r.gate_decision?.outcome]),
    [['replay-1', results, 'passed']],
  );
  const experimentId = opened.experiments[0]?.experiment_id as string;
  assert.equal(opened.end_state.outcome, 'in_experiment');

  // Healthy checks ramp it to 100%; treatment_better there promotes it.
  let at = 0.05;
  for (const next of [0.1, 0.25, 0.5, 1]) {
    await b.publish('experiment.checked', check(experimentId, 'healthy', at), experimentId);
    await eventually(`the ramp to ${next}`, async () =>
      (await lineage())?.experiments[0]?.treatment_allocation === next ? true : undefined,
    );
    at = next;
  }
  await b.publish('experiment.checked', check(experimentId, 'treatment_better', 1), experimentId);
  const promoted = await eventually('the promotion', async () => {
    const answer = await lineage();
    return answer?.end_state.outcome === 'promoted' ? answer : undefined;
  });
  assert.deepEqual(
    promoted.experiments[0]?.decisions.map((d) => [d.kind, d.from_allocation, d.to_allocation, d.check_status]),
    [
      ['ramp', 0.05, 0.1, 'healthy'],
      ['ramp', 0.1, 0.25, 'healthy'],
      ['ramp', 0.25, 0.5, 'healthy'],
      ['ramp', 0.5, 1, 'healthy'],
      ['promote', 1, 1, 'treatment_better'],
    ],
  );
  assert.ok(promoted.experiments[0]?.decisions.every((d) => d.check_id?.startsWith('check-')));
  assert.equal(promoted.status, 'active');
  assert.deepEqual(promoted.notes, []);
  // One run, end to end: every upstream step carries its correlation id.
  assert.deepEqual(
    [
      promoted.dataset_request?.correlation_id,
      promoted.dataset?.correlation_id,
      promoted.training?.correlation_id,
      promoted.model?.correlation_id,
      promoted.replays[0]?.correlation_id,
    ],
    [RUN, RUN, RUN, RUN, RUN],
  );

  // dataset.ready announced again (a repeated request), differently: the first fact stands.
  const again = b.event('dataset.ready', { ...ready, digest: 'f'.repeat(64) }, 'another-run');
  await b.publish('dataset.ready', again, DATASET);
  // The gate's own group: the replay-evaluator, in the same database, reads dataset.ready too.
  const readByGate = `select 1 from exp.processed_events where event_id = $1 and consumer_group = $2`;
  await eventually('the repeated dataset.ready read', async () =>
    (await gate.query(readByGate, [again.event_id, GROUPS.datasetReady])).length === 1 ? true : undefined,
  );
  assert.equal((await lineage())?.dataset?.digest, DIGEST);

  // `./lifecycle lineage planner_model 1` prints the same answer as a table.
  const out: string[] = [];
  const code = await runLineageCli(
    ['planner_model', '1'],
    { PROMOTION_GATE_URL: gate.address() },
    { out: (s) => out.push(s), err: (s) => out.push(s) },
  );
  assert.equal(code, 0, out.join(''));
  assert.match(out.join(''), /^Lineage of planner:planner_model:v1 \(policy planner, version 1\): promoted\n/);
  assert.match(out.join(''), new RegExp(`\\ndataset +\\S+ \\S+ +planner/2026-03-01: 1200 rows .*digest ${DIGEST}`));
});
