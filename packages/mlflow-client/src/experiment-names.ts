/**
 * The one naming rule for the MLflow experiments the services create:
 * `<namespace>/<base>`, the namespace without its trailing separator
 * (`.`, `-` or `_`), or `<base>` alone when there is no namespace.
 * KAFKA_NAMESPACE `ci_42.` and base `planner-replays` give
 * `ci_42/planner-replays`; production (no namespace) gives `planner-replays`.
 * MLflow has no namespaces of its own, so environments sharing a server would
 * otherwise log runs into the same experiments.
 */
export function experimentName(base: string, namespace: string): string {
  const prefix = namespace.replace(/[._-]+$/, '');
  return prefix === '' ? base : `${prefix}/${base}`;
}
