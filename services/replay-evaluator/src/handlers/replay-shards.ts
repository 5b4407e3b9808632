import type { EventBus, HandlerContext } from '@planner/bus';
import { indexRecipes } from '@planner/domain';
import type { MlflowClient } from '@planner/mlflow-client';
import type { ReplayShard } from '@planner/schemas';
import type { ReplayMetrics, ReplayRole } from '@planner/telemetry';
import type { Kysely } from 'kysely';
import type { EvaluationRow, EvaluationSplitCache } from '../evaluation-rows.ts';
import type { PolicyResolver } from '../policy-resolver.ts';
import { aggregateReplay } from '../replay-aggregation.ts';
import { ReplayError } from '../replay-error.ts';
import { evaluateRow } from '../row-evaluation.ts';
import type { PolicyRefRow, ReplayTables } from '../tables.ts';

export interface ShardWorkerDeps {
  db: Kysely<ReplayTables>;
  bus: EventBus;
  mlflow: MlflowClient;
  mlflowExperiment: string;
  splits: EvaluationSplitCache;
  policies: PolicyResolver;
  /** Rows evaluated at once within a shard. */
  concurrency: number;
  metrics: ReplayMetrics;
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function bounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * A worker's share of a replay (seed §4.1 step 3). Each row's result is
 * written on its own, keyed by (policy pins, row), before the shard is marked
 * done: a worker killed mid-shard leaves finished rows behind, and whoever
 * gets the shard next computes only the rest — every row counted once. The
 * shard's completion takes the replay's row lock, so exactly one transaction
 * sees the last shard done and aggregates.
 */
export function replayShardHandler(deps: ShardWorkerDeps) {
  return async (shard: ReplayShard, { trx }: HandlerContext<ReplayTables>): Promise<void> => {
    const replay = await deps.db.selectFrom('exp.replays').selectAll().where('replay_id', '=', shard.replay_id).executeTakeFirst();
    if (!replay) throw new ReplayError('REPLAY_NOT_FOUND', `replay ${shard.replay_id} is not planned here`);
    const dataset = await deps.db
      .selectFrom('exp.replay_datasets')
      .selectAll()
      .where('dataset_version', '=', shard.dataset_version)
      .executeTakeFirstOrThrow();
    const split = await deps.splits.get(dataset.location);
    const recipesById = indexRecipes(split.catalogue);
    const rows = split.rows.slice(shard.row_offset, shard.row_offset + shard.row_limit);
    const roles: [ReplayRole, PolicyRefRow, string][] = [
      ['candidate', shard.candidate, replay.candidate_key],
      ['baseline', shard.baseline, replay.baseline_key],
    ];
    for (const [role, policy, key] of roles) {
      const done = new Set(
        (
          await deps.db
            .selectFrom('exp.offline_replay_results')
            .select('row_id')
            .where('result_key', '=', key)
            .where(
              'row_id',
              'in',
              rows.map((r) => r.row_id),
            )
            .execute()
        ).map((r) => r.row_id),
      );
      const todo = rows.filter((r) => !done.has(r.row_id));
      if (todo.length === 0) continue;
      const runtime = await deps.policies.runtime(policy, shard.dataset_version, split.catalogue);
      await bounded(todo, deps.concurrency, async (row: EvaluationRow) => {
        const { output, metrics, offlineScore } = await evaluateRow(runtime, row, recipesById);
        deps.metrics.rowEvaluated(role, output.latency_ms / 1000);
        await deps.db
          .insertInto('exp.offline_replay_results')
          .values({
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
          })
          .onConflict((oc) => oc.columns(['result_key', 'row_id']).doNothing())
          .execute();
      });
    }

    const locked = await trx
      .selectFrom('exp.replays')
      .selectAll()
      .where('replay_id', '=', shard.replay_id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('exp.replay_shards')
      .set({ done_at: new Date() })
      .where('replay_id', '=', shard.replay_id)
      .where('shard_index', '=', shard.shard_index)
      .where('done_at', 'is', null)
      .execute();
    const open = await trx
      .selectFrom('exp.replay_shards')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('replay_id', '=', shard.replay_id)
      .where('done_at', 'is', null)
      .executeTakeFirstOrThrow();
    if (Number(open.n) === 0 && locked.status === 'running') await aggregateReplay(deps, trx, locked);
  };
}
