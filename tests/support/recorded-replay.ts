import type { BusTables } from '@planner/bus';
import { createDatabase } from '@planner/db';
import type { RowMetrics } from '@planner/evaluation';
import { pairedResults, resultsDigest } from '../../services/replay-evaluator/src/replay-aggregation.ts';
import type { PolicyRefRow, ReplayStatus, ReplayTables } from '../../services/replay-evaluator/src/tables.ts';

/** One row's metrics, every one fixed but the plan alignment (and the edit rate that follows from it). */
export function rowMetrics(alignment: number): RowMetrics {
  return {
    plan_alignment: alignment,
    meal_diversity: 1,
    leftovers_utility: 1,
    constraint_respect: 1,
    violations: 0,
    predicted_edits: 2,
    actual_edits: 2,
    edit_rate: 1 - alignment,
    latency_ms: 1,
    cost_usd: 0,
    policy_failed: 0,
  };
}

export interface RecordedRow {
  row_id: string;
  candidate: { metrics: RowMetrics; offline_score: number };
  baseline: { metrics: RowMetrics; offline_score: number };
}

export interface RecordedReplay {
  replayId: string;
  candidate: PolicyRefRow;
  rows: readonly RecordedRow[];
  baseline?: PolicyRefRow;
  /** The policies' result keys; replays with the same pins share one (default: keys of this replay alone). */
  keys?: { candidate: string; baseline: string };
  /** 'running' leaves it as a replay whose shards are not all done: no digest yet. */
  status?: Extract<ReplayStatus, 'running' | 'completed'>;
  datasetVersion?: string;
  seed?: number;
}

export const HEURISTIC: PolicyRefRow = { policy_version_id: 'heuristic-baseline-v1', model_name: null, model_version: null };

/**
 * What a replay leaves in the replay-evaluator's tables: the replay,
 * both policies' rows as its workers write them (rows already there under a
 * shared key stay), and the digest its aggregation records, computed by the
 * replay-evaluator's own code. For suites of the services that read replays
 * through its API, which must not write its tables themselves. The
 * replay-evaluator must have migrated the database. Completed unless told
 * otherwise; returns the results digest replay.completed carries (null while
 * it runs).
 */
export async function recordReplay(databaseUrl: string, replay: RecordedReplay): Promise<string | null> {
  const db = createDatabase<ReplayTables & BusTables>(databaseUrl);
  const keys = replay.keys ?? { candidate: `${replay.replayId}-candidate`, baseline: `${replay.replayId}-baseline` };
  const baseline = replay.baseline ?? HEURISTIC;
  const datasetVersion = replay.datasetVersion ?? 'planner/2026-03-01';
  const seed = replay.seed ?? 7;
  try {
    return await db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('exp.replays')
        .values({
          replay_id: replay.replayId,
          candidate_key: keys.candidate,
          baseline_key: keys.baseline,
          candidate: JSON.stringify(replay.candidate),
          baseline: JSON.stringify(baseline),
          dataset_version: datasetVersion,
          seed,
          shard_count: 1,
          row_count: replay.rows.length,
          status: 'running',
          results_digest: null,
          mlflow_run_id: null,
          summary: null,
          correlation_id: `correlation-${replay.replayId}`,
          completed_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      for (const [role, policy, key] of [
        ['candidate', replay.candidate, keys.candidate],
        ['baseline', baseline, keys.baseline],
      ] as const) {
        if (replay.rows.length === 0) break;
        await trx
          .insertInto('exp.offline_replay_results')
          .values(
            replay.rows.map((row) => ({
              result_key: key,
              row_id: row.row_id,
              dataset_version: datasetVersion,
              seed,
              policy_version_id: policy.policy_version_id,
              model_name: policy.model_name,
              model_version: policy.model_version,
              plan: JSON.stringify({ row: row.row_id, role }),
              error: null,
              metrics: JSON.stringify(row[role].metrics),
              offline_score: row[role].offline_score,
              latency_ms: row[role].metrics.latency_ms,
              cost_usd: row[role].metrics.cost_usd,
            })),
          )
          .onConflict((oc) => oc.columns(['result_key', 'row_id']).doNothing())
          .execute();
      }
      if (replay.status === 'running') return null;
      const digest = resultsDigest(await pairedResults(trx, inserted));
      await trx
        .updateTable('exp.replays')
        .set({ status: 'completed', results_digest: digest, completed_at: new Date() })
        .where('replay_id', '=', replay.replayId)
        .execute();
      return digest;
    });
  } finally {
    await db.destroy();
  }
}
