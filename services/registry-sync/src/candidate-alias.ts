import type { MlflowClient, ModelVersion } from '@planner/mlflow-client';

/**
 * The alias on the version the gate passed last, the one in (or queued for)
 * an online experiment now: `models:/<model>@candidate` loads it. It leaves a
 * version when its experiment ends, promoted or rolled back.
 */
export const CANDIDATE_ALIAS = 'candidate';

/** Removes the candidate alias when `version` holds it; a newer candidate keeps it. */
export async function releaseCandidateAlias(mlflow: MlflowClient, version: ModelVersion): Promise<void> {
  if (version.aliases.includes(CANDIDATE_ALIAS)) await mlflow.deleteRegisteredModelAlias(version.name, CANDIDATE_ALIAS);
}
