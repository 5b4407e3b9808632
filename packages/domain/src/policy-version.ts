/**
 * The id of the policy version that serves a registered model version. Both
 * the promotion-gate (which writes exp.policy_versions) and the
 * replay-evaluator (which names the candidate in replay.completed) derive it,
 * so it must come from one place and depend only on the registry pins.
 */
export function policyVersionIdOf(policyId: string, modelName: string, modelVersion: string): string {
  return `${policyId}:${modelName}:v${modelVersion}`;
}

/** The registry pins of a policy version id made by `policyVersionIdOf`; undefined for other ids (the heuristic baseline). */
export function parsePolicyVersionId(id: string): { policyId: string; modelName: string; modelVersion: string } | undefined {
  const match = /^([^:]+):([^:]+):v(\d+)$/.exec(id);
  return match ? { policyId: match[1] as string, modelName: match[2] as string, modelVersion: match[3] as string } : undefined;
}
