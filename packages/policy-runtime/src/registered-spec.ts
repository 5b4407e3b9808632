import { modelVersionUri } from '@planner/domain';
import type { MlflowClient } from '@planner/mlflow-client';

import { type PolicySpec, parsePolicySpec } from './policy-spec.ts';

/** Model version tag holding a JSON policy spec, for models served elsewhere (an OpenAI-compatible endpoint). */
export const RUNTIME_SPEC_TAG = 'planner.runtime_spec';

/**
 * How a registered model version is served, the same for the replay and for
 * live traffic: the version's `planner.runtime_spec` tag when set (e.g. an
 * LLM planner behind vLLM), else the learned ranker loaded from
 * `models:/<name>/<version>`.
 */
export async function registeredPolicySpec(mlflow: MlflowClient, modelName: string, modelVersion: string): Promise<PolicySpec> {
  const version = await mlflow.getModelVersion(modelName, modelVersion);
  const tagged = version.tags[RUNTIME_SPEC_TAG];
  if (tagged) return parsePolicySpec(JSON.parse(tagged));
  return { kind: 'learned', model_uri: modelVersionUri(modelName, modelVersion) };
}
