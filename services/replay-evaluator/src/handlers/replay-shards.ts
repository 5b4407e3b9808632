import type { EventBus, HandlerContext } from '@planner/bus';
import { indexRecipes } from '@planner/domain';
import type { MlflowClient } from '@planner/mlflow-client';
import type { ReplayShard } from '@planner/schemas';
import type { ReplayMetrics, ReplayRole } from '@planner/telemetry';
import { type Kysely, sql } from 'kysely';
import type { DatasetLocations } from '../dataset-locations.ts';
import type { EvaluationSplitCache } from '../evaluation-rows.ts';
import type { InFlightLimit } from '../in-flight-limit.ts';
import type { PolicyResolver } from '../policy-resolver.ts';
import { aggregateReplay } from '../replay-aggregation.ts';
import { ReplayError } from '../replay-error.ts';
import { ResultWriter } from '../result-writer.ts';
import { evaluateRow } from '../row-evaluation.ts';
import type { PolicyRefRow, ReplayTables } from '../tables.ts';

export interface ShardWorkerDeps {
  db: Kysely<ReplayTables>;
  bus: EventBus;
  mlflow: MlflowClient;
  mlflowExperiment: string;
  splits: EvaluationSplitCache;
  datasets: DatasetLocations;
  policies: PolicyResolver;
  /** Policy calls in flight in this worker, shared by every shard it holds. */
  inFlight: InFlightLimit;
  metrics: ReplayMetrics;
}

/**
 * A worker's share of a replay (seed §4.1 step 3). Both policies' rows go
 * through the worker's in-flight limit together, and finished rows are written
 * in batches keyed by (policy pins, row) before the shard is marked done: a
 * worker killed mid-shard leaves its written rows behind, and whoever gets the
 * shard next computes only the rest — every row counted once. The shard's
 * completion takes the replay's row lock, so exactly one transaction sees the
 * last shard done and aggregates.
 */
export function replayShardHandler(deps: ShardWorkerDeps) {
  return async (shard: ReplayShard, { trx }: HandlerContext<ReplayTables>): Promise<void> => {
    const split = await deps.splits.get(await deps.datasets.location(shard.dataset_version));
    const recipesById = indexRecipes(split.catalogue);
    const rows = split.rows.slice(shard.row_offset, shard.row_offset + shard.row_limit);
    // The replay's result keys and the rows a previous owner of this shard already wrote, in one round trip.
    const { rows: found } = await sql<{ candidate_key: string; baseline_key: string; done: string[] }>`
      select r.candidate_key, r.baseline_key,
        array(select o.result_key || '|' || o.row_id from exp.offline_replay_results o
              where o.result_key in (r.candidate_key, r.baseline_key) and o.row_id = any(${rows.map((r) => r.row_id)}::text[])) as done
      from exp.replays r where r.replay_id = ${shard.replay_id}`.execute(deps.db);
    const replay = found[0];
    if (!replay) throw new ReplayError('REPLAY_NOT_FOUND', `replay ${shard.replay_id} is not planned here`);
    const done = new Set(replay.done);
    const roles: [ReplayRole, PolicyRefRow, string][] = [
      ['candidate', shard.candidate, replay.candidate_key],
      ['baseline', shard.baseline, replay.baseline_key],
    ];
    // Both runtimes first: a policy that cannot be loaded fails the shard before any row is played.
    const plays = [];
    for (const [role, policy, key] of roles) {
      const todo = rows.filter((r) => !done.has(`${key}|${r.row_id}`));
      if (todo.length > 0)
        plays.push({ role, policy, key, todo, runtime: await deps.policies.runtime(policy, shard.dataset_version, split.catalogue) });
    }
    const writer = new ResultWriter(deps.db);
    const evaluations = plays.flatMap(({ role, policy, key, todo, runtime }) =>
      todo.map((row) =>
        deps.inFlight.run(async () => {
          const { output, metrics, offlineScore } = await evaluateRow(runtime, row, recipesById);
          deps.metrics.rowEvaluated(role, output.latency_ms / 1000);
          writer.add({
            result_key: key,
            row_id: row.row_id,
            dataset_version: shard.dataset_version,
            seed: shard.seed,
            policy_version_id: policy.policy_version_id,
            model_name: policy.model_name,
            model_version: policy.model_version,
            plan: output.plan === null ? null : JSON.stringify(output.plan),
            error: output.error,
            metrics: JSON.stringify(metrics),
            offline_score: offlineScore,
            latency_ms: output.latency_ms,
            cost_usd: output.cost_usd,
          });
        }),
      ),
    );
    const evaluated = await Promise.allSettled(evaluations);
    await writer.close();
    const failed = evaluated.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;

    const locked = await trx
      .selectFrom('exp.replays')
      .selectAll()
      .where('replay_id', '=', shard.replay_id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    // A statement after the lock sees every shard committed before it; the update's own row is not visible to its
    // statement, hence `shard_index <>`.
    const { rows: open } = await sql<{ n: number }>`
      with marked as (
        update exp.replay_shards set done_at = clock_timestamp()
        where replay_id = ${shard.replay_id} and shard_index = ${shard.shard_index} and done_at is null
      )
      select count(*)::int as n from exp.replay_shards
      where replay_id = ${shard.replay_id} and shard_index <> ${shard.shard_index} and done_at is null`.execute(trx);
    if (open[0]?.n === 0 && locked.status === 'running') await aggregateReplay(deps, trx, locked);
  };
}
