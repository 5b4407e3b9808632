import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregateMetrics, DEFAULT_CONFIDENCE, type RowMetrics } from '@planner/evaluation';
import { MlflowClient, mlflowConfigFromEnv } from '@planner/mlflow-client';
import { uniqueName, useStack } from '../../../tests/support/stack.ts';
import { logReplayRun, resultsDigest } from '../src/replay-aggregation.ts';

const stack = useStack('mlflow');

const metrics = (latency: number): RowMetrics => ({
  plan_alignment: 0.9,
  meal_diversity: 1,
  leftovers_utility: 1,
  constraint_respect: 1,
  violations: 0,
  predicted_edits: 2,
  actual_edits: 2,
  edit_rate: 2 / 21,
  latency_ms: latency,
  cost_usd: 0,
  policy_failed: 0,
});
const row = (id: string, latency: number, plan: unknown = { days: [] }) => ({
  candidate: { row_id: id, plan, error: null, metrics: metrics(latency), offline_score: 0.9 },
  baseline: { row_id: id, plan, error: null, metrics: metrics(latency), offline_score: 0.9 },
});

test('the results digest covers plans and pinned metrics, in row order, but not the measured latency', () => {
  const digest = resultsDigest([row('a', 1), row('b', 2)]);
  assert.match(digest, /^[0-9a-f]{64}$/);
  assert.equal(resultsDigest([row('a', 50), row('b', 70)]), digest, 'wall time is not pinned');
  assert.notEqual(resultsDigest([row('b', 2), row('a', 1)]), digest, 'order matters');
  assert.notEqual(resultsDigest([row('a', 1, { days: [{ day: 0, meals: [] }] }), row('b', 2)]), digest, 'plans matter');
});

test('the replay run, on the real MLflow, names replay-evaluator as its user and source and carries its pins', async () => {
  const mlflow = new MlflowClient(mlflowConfigFromEnv({ ...process.env, MLFLOW_TRACKING_URI: stack.mlflow.trackingUri }));
  const pairs = [row('a', 1), row('b', 2), row('c', 3)];
  const aggregate = aggregateMetrics(
    pairs.map((p) => ({ candidate: p.candidate.metrics, baseline: p.baseline.metrics })),
    { seed: 7, confidence: DEFAULT_CONFIDENCE },
  );
  const heuristic = { policy_version_id: 'planner:heuristic', model_name: null, model_version: null };
  const replay = {
    replay_id: uniqueName('replay'),
    candidate_key: 'candidate-key',
    baseline_key: 'baseline-key',
    candidate: heuristic,
    baseline: heuristic,
    dataset_version: 'planner/2026-11-26',
    seed: 7,
    shard_count: 1,
    row_count: 3,
    status: 'running' as const,
    results_digest: null,
    mlflow_run_id: null,
    summary: null,
    correlation_id: 'replay-test',
    created_at: new Date(),
    completed_at: null,
  };
  const experiment = uniqueName('replay-aggregation');
  const runId = await logReplayRun(mlflow, experiment, replay, aggregate, resultsDigest(pairs));
  const run = await mlflow.getRun(runId);
  assert.equal(run.info.status, 'FINISHED');
  assert.equal(run.tags['mlflow.user'], 'replay-evaluator');
  assert.equal(run.tags['mlflow.source.type'], 'JOB');
  assert.equal(run.tags['mlflow.source.name'], 'replay-evaluator');
  assert.equal(run.tags.replay_id, replay.replay_id);
  assert.equal(run.tags.dataset_version, 'planner/2026-11-26');
  assert.equal(await logReplayRun(mlflow, experiment, replay, aggregate, resultsDigest(pairs)), runId, 'a redelivery finds the same run');
});
