import type { HandlerContext } from '@planner/bus';
import { policyVersionIdOf } from '@planner/domain';
import type { MlflowClient } from '@planner/mlflow-client';
import type { ModelRegistered } from '@planner/schemas';
import { currentBaseline } from '../baseline.ts';
import type { EvaluationSplitCache } from '../evaluation-rows.ts';
import { planReplay, type ShardPlacement } from '../replay-planner.ts';
import type { ReplayTables } from '../tables.ts';

export interface AutoReplay extends ShardPlacement {
  mlflow: MlflowClient;
  splits: EvaluationSplitCache;
  shardSize: number;
  seed: number;
  baselineAlias: string;
}

/** A newly registered model is replayed against the current production policy on its dataset version's evaluation split. */
export function modelRegisteredHandler(deps: AutoReplay) {
  return async (event: ModelRegistered, { trx }: HandlerContext<ReplayTables>): Promise<void> => {
    const policyId = event.policy_id ?? 'planner';
    const candidate = {
      policy_version_id: policyVersionIdOf(policyId, event.model_name, event.model_version),
      model_name: event.model_name,
      model_version: event.model_version,
    };
    const baseline = await currentBaseline(deps.mlflow, event.model_name, policyId, deps.baselineAlias);
    await planReplay(deps, trx, { candidate, baseline, datasetVersion: event.dataset_version, seed: deps.seed }, event.correlation_id);
  };
}
