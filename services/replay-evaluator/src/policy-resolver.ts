import type { Recipe } from '@planner/domain';
import type { MlflowClient } from '@planner/mlflow-client';
import { createRuntime, type PolicyRuntime, type PolicySpec, registeredPolicySpec } from '@planner/policy-runtime';
import type { PolicyRefRow } from './tables.ts';

/** Which runtime plays a policy: the heuristic baseline when the policy has no model, else as its registered version says. */
export async function policySpecOf(mlflow: MlflowClient, policy: PolicyRefRow): Promise<PolicySpec> {
  if (policy.model_name === null || policy.model_version === null) return { kind: 'heuristic' };
  return registeredPolicySpec(mlflow, policy.model_name, policy.model_version);
}

/** Runtimes by policy and catalogue, built once per worker (loading a model means downloading it). */
export class PolicyResolver {
  readonly #mlflow: MlflowClient;
  readonly #simulatedLatencyMs: number;
  readonly #runtimes = new Map<string, Promise<PolicyRuntime>>();

  constructor(mlflow: MlflowClient, simulatedLatencyMs: number) {
    this.#mlflow = mlflow;
    this.#simulatedLatencyMs = simulatedLatencyMs;
  }

  runtime(policy: PolicyRefRow, datasetVersion: string, catalogue: readonly Recipe[]): Promise<PolicyRuntime> {
    const key = `${JSON.stringify(policy)}|${datasetVersion}`;
    let found = this.#runtimes.get(key);
    if (!found) {
      found = (async () => {
        const spec = await policySpecOf(this.#mlflow, policy);
        const latency = this.#simulatedLatencyMs > 0 ? { simulated_latency_ms: this.#simulatedLatencyMs } : {};
        return createRuntime({ ...spec, ...latency } as PolicySpec, { mlflow: this.#mlflow, catalogue });
      })();
      found.catch(() => this.#runtimes.delete(key));
      this.#runtimes.set(key, found);
    }
    return found;
  }
}
