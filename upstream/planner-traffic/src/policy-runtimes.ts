import type { PolicyServing } from '@planner/assignment';
import { parseModelUri, type Recipe } from '@planner/domain';
import type { MlflowClient } from '@planner/mlflow-client';
import { createRuntime, type PolicyRuntime, type PolicySpec, parsePolicySpec, registeredPolicySpec } from '@planner/policy-runtime';

/** How long a policy version that could not be loaded is left alone before the next try: failing requests must not hammer MLflow. */
const RELOAD_AFTER_MS = 10_000;

/**
 * One runtime per policy version, built on first use with the same runtimes
 * and the same spec resolution as the replay (a registered version's
 * `planner.runtime_spec` tag, else the learned ranker from its `models:/`
 * URI). A version that fails to load fails the requests assigned to it, which
 * production then serves, until a retry succeeds.
 */
export class PolicyRuntimes {
  readonly #mlflow: MlflowClient | undefined;
  readonly #catalogue: readonly Recipe[];
  readonly #loaded = new Map<string, { runtime: Promise<PolicyRuntime>; failedAt?: number }>();

  constructor(catalogue: readonly Recipe[], mlflow?: MlflowClient) {
    this.#catalogue = catalogue;
    this.#mlflow = mlflow;
  }

  get(serving: PolicyServing): Promise<PolicyRuntime> {
    const key = `${serving.policy_version_id}|${serving.model_uri ?? ''}`;
    const found = this.#loaded.get(key);
    if (found && (found.failedAt === undefined || Date.now() - found.failedAt < RELOAD_AFTER_MS)) return found.runtime;
    const entry: { runtime: Promise<PolicyRuntime>; failedAt?: number } = { runtime: this.#load(serving) };
    entry.runtime.catch(() => {
      entry.failedAt = Date.now();
    });
    this.#loaded.set(key, entry);
    return entry.runtime;
  }

  async #load(serving: PolicyServing): Promise<PolicyRuntime> {
    let spec: PolicySpec = parsePolicySpec(serving.runtime);
    if (serving.model_uri !== null && this.#mlflow !== undefined) {
      const ref = parseModelUri(serving.model_uri);
      if ('version' in ref) spec = await registeredPolicySpec(this.#mlflow, ref.name, ref.version);
    }
    return createRuntime(spec, { catalogue: this.#catalogue, ...(this.#mlflow ? { mlflow: this.#mlflow } : {}) });
  }
}
