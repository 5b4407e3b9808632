import { createHash } from 'node:crypto';
import type { BusTables, EventBus } from '@planner/bus';
import { canonicalize } from '@planner/domain';
import { type AggregateMetrics, aggregateMetrics, DEFAULT_CONFIDENCE, OFFLINE_SCORE_VERSION, type RowMetrics } from '@planner/evaluation';
import { type MlflowClient, runIdentity } from '@planner/mlflow-client';
import type { MetricComparison } from '@planner/schemas';
import type { Selectable, Transaction } from 'kysely';
import type { PolicyRefRow, ReplayTables } from './tables.ts';

type Trx = Transaction<ReplayTables & BusTables>;
type Replay = Selectable<ReplayTables['exp.replays']>;

/** The service MLflow shows as the replay run's user and source (the SERVICE_NAME of service.ts, which imports this module). */
const CREATED_BY = 'replay-evaluator';

/** Measured, not pinned: wall time differs between runs, so it stays out of the digest. */
const UNPINNED: ReadonlySet<string> = new Set(['latency_ms']);

function pinnedMetrics(metrics: RowMetrics): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).filter(([name]) => !UNPINNED.has(name)));
}

interface ResultRow {
  row_id: string;
  plan: unknown;
  error: string | null;
  metrics: RowMetrics;
  offline_score: number;
}

/** The replay's paired rows, candidate and baseline side by side, in row-id order. */
export async function pairedResults(trx: Trx, replay: Replay): Promise<{ candidate: ResultRow; baseline: ResultRow }[]> {
  const of = async (key: string) =>
    new Map(
      (
        await trx
          .selectFrom('exp.offline_replay_results')
          .select(['row_id', 'plan', 'error', 'metrics', 'offline_score'])
          .where('result_key', '=', key)
          .orderBy('row_id')
          .execute()
      ).map((r) => [r.row_id, r as unknown as ResultRow]),
    );
  const candidate = await of(replay.candidate_key);
  const baseline = await of(replay.baseline_key);
  return [...candidate.keys()]
    .filter((id) => baseline.has(id))
    .sort()
    .map((id) => ({ candidate: candidate.get(id) as ResultRow, baseline: baseline.get(id) as ResultRow }));
}

/** SHA-256 over every pinned per-row result in row order: the same pins give the same digest, byte for byte. */
export function resultsDigest(pairs: readonly { candidate: ResultRow; baseline: ResultRow }[]): string {
  const hash = createHash('sha256');
  for (const { candidate, baseline } of pairs) {
    const line = [
      candidate.row_id,
      ...[candidate, baseline].map((r) => ({ plan: r.plan, error: r.error, metrics: pinnedMetrics(r.metrics) })),
    ];
    hash.update(`${JSON.stringify(canonicalize(line))}\n`);
  }
  return hash.digest('hex');
}

/** The comparison as replay.completed carries it; the gate reads the per-row results for its tests. */
export function metricComparisons(aggregate: AggregateMetrics): MetricComparison[] {
  return Object.entries(aggregate.metrics).map(([name, m]) => ({
    name,
    candidate_mean: m.candidate.estimate,
    baseline_mean: m.baseline.estimate,
    difference_mean: m.difference.estimate,
    ci_low: m.difference.low,
    ci_high: m.difference.high,
    confidence: aggregate.confidence,
  }));
}

/**
 * The replay's MLflow run in `experimentName` (created once, found again by
 * its replay_id tag): its pins as tags and params, the aggregate metrics and
 * summary; the candidate model's own run gets the offline scores. Returns the
 * replay run's id.
 */
export async function logReplayRun(
  mlflow: MlflowClient,
  experimentName: string,
  replay: Replay,
  aggregate: AggregateMetrics,
  digest: string,
): Promise<string> {
  const experimentId = await mlflow.getOrCreateExperiment(experimentName);
  const candidate = replay.candidate as unknown as PolicyRefRow;
  const baseline = replay.baseline as unknown as PolicyRefRow;
  // Look before writing: a redelivered last shard finds the run of its first try.
  const [existing] = await mlflow.searchRuns([experimentId], `tags.replay_id = '${replay.replay_id}'`, 1);
  let modelRunId: string | undefined;
  if (candidate.model_name && candidate.model_version) {
    modelRunId = (await mlflow.getModelVersion(candidate.model_name, candidate.model_version)).runId;
  }
  const runId =
    existing?.info.runId ??
    (
      await mlflow.createRun({
        experimentId,
        runName: `replay ${candidate.policy_version_id} vs ${baseline.policy_version_id}`,
        tags: {
          replay_id: replay.replay_id,
          dataset_version: replay.dataset_version,
          candidate_policy_version: candidate.policy_version_id,
          baseline_policy_version: baseline.policy_version_id,
          ...(modelRunId ? { model_run_id: modelRunId } : {}),
          results_digest: digest,
        },
        identity: runIdentity(CREATED_BY),
      })
    ).info.runId;
  const metrics = Object.entries(aggregate.metrics).flatMap(([name, m]) => [
    { key: `candidate_${name}`, value: m.candidate.estimate },
    { key: `baseline_${name}`, value: m.baseline.estimate },
    { key: `difference_${name}`, value: m.difference.estimate },
  ]);
  metrics.push(
    { key: 'candidate_offline_score', value: aggregate.offline_score.candidate.estimate },
    { key: 'baseline_offline_score', value: aggregate.offline_score.baseline.estimate },
  );
  await mlflow.logBatch(runId, {
    params: {
      seed: String(replay.seed),
      rows: String(aggregate.rows),
      score_version: OFFLINE_SCORE_VERSION,
      dataset_version: replay.dataset_version,
    },
    metrics,
  });
  await mlflow.uploadArtifact(runId, 'replay_summary.json', JSON.stringify(aggregate, null, 2), 'application/json');
  await mlflow.updateRun(runId, 'FINISHED');
  // Seed §3.2: the model's own run carries the eval scores the offline evaluator produced.
  if (modelRunId) {
    await mlflow.logBatch(modelRunId, {
      metrics: [
        { key: 'offline_score', value: aggregate.offline_score.candidate.estimate },
        { key: 'offline_constraint_respect', value: aggregate.metrics.constraint_respect.candidate.estimate },
        { key: 'offline_plan_alignment', value: aggregate.metrics.plan_alignment.candidate.estimate },
      ],
      tags: { replay_id: replay.replay_id, replay_run_id: runId },
    });
  }
  return runId;
}

/**
 * The one aggregation of a replay, inside the transaction that recorded its
 * last shard: seeded bootstrap intervals over the paired rows, the results
 * digest, the MLflow run, and replay.completed through the outbox.
 */
export async function aggregateReplay(
  deps: { bus: EventBus; mlflow: MlflowClient; mlflowExperiment: string },
  trx: Trx,
  replay: Replay,
): Promise<void> {
  const pairs = await pairedResults(trx, replay);
  const aggregate = aggregateMetrics(
    pairs.map((p) => ({ candidate: p.candidate.metrics, baseline: p.baseline.metrics })),
    { seed: replay.seed, confidence: DEFAULT_CONFIDENCE },
  );
  const digest = resultsDigest(pairs);
  const runId = await logReplayRun(deps.mlflow, deps.mlflowExperiment, replay, aggregate, digest);
  await trx
    .updateTable('exp.replays')
    .set({
      status: 'completed',
      results_digest: digest,
      mlflow_run_id: runId,
      summary: JSON.stringify(aggregate),
      completed_at: new Date(),
    })
    .where('replay_id', '=', replay.replay_id)
    .execute();
  const completed = deps.bus.event(
    'replay.completed',
    {
      replay_id: replay.replay_id,
      candidate: replay.candidate as unknown as PolicyRefRow,
      baseline: replay.baseline as unknown as PolicyRefRow,
      dataset_version: replay.dataset_version,
      seed: replay.seed,
      row_count: aggregate.rows,
      metrics: metricComparisons(aggregate),
      offline_score_candidate: aggregate.offline_score.candidate.estimate,
      offline_score_baseline: aggregate.offline_score.baseline.estimate,
      score_version: OFFLINE_SCORE_VERSION,
      results_digest: digest,
      mlflow_run_id: runId,
    },
    replay.correlation_id,
  );
  await deps.bus.enqueue(trx, 'replay.completed', completed, replay.replay_id);
}
