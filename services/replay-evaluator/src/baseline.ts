import { BASELINE_POLICY_VERSION, policyVersionIdOf } from '@planner/domain';
import { type MlflowClient, MlflowError } from '@planner/mlflow-client';
import type { PolicyRefRow } from './tables.ts';

/** The heuristic baseline, the production policy of a fresh system. */
export const HEURISTIC_BASELINE: PolicyRefRow = { policy_version_id: BASELINE_POLICY_VERSION, model_name: null, model_version: null };

/**
 * The current production policy: the registered model's version behind the
 * `production` alias (set when a candidate is promoted), or the heuristic
 * baseline while none has been.
 */
export async function currentBaseline(mlflow: MlflowClient, modelName: string, policyId: string, alias: string): Promise<PolicyRefRow> {
  try {
    const version = await mlflow.getModelVersionByAlias(modelName, alias);
    return {
      policy_version_id: policyVersionIdOf(policyId, modelName, version.version),
      model_name: modelName,
      model_version: version.version,
    };
  } catch (error) {
    if (error instanceof MlflowError && error.code === 'MLFLOW_NOT_FOUND') return HEURISTIC_BASELINE;
    throw error;
  }
}
