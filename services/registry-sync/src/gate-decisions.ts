import { EventRejected, type HandlerContext } from '@planner/bus';
import type { MlflowClient, ModelVersion } from '@planner/mlflow-client';
import type { GatePassed, GateRejected, RuleOutcome } from '@planner/schemas';
import type { Logger } from 'pino';
import { lockModel } from './model-registration.ts';
import { cutTagValue, requireModelVersion } from './model-version-tags.ts';
import type { RegistryTables } from './tables.ts';

export type GateStage = 'candidate' | 'rejected';

/**
 * The stages a gate decision may still change, as the promotion-gate decides
 * a policy version's status: a version not decided yet, or decided offline
 * only (a re-replay decides again). A version that went online (stage
 * candidate in an experiment, production, retired, rolled_back) keeps its
 * stage: its life is decided online now. gate.passed may repeat on a
 * candidate (a redelivery, a re-replay that passed); gate.rejected may not
 * take a candidate out of its experiment.
 */
const DECIDABLE: Record<GateStage, ReadonlySet<string | undefined>> = {
  candidate: new Set([undefined, 'rejected', 'candidate']),
  rejected: new Set([undefined, 'rejected']),
};

/** Whether a gate decision for `stage` applies to a version tagged `current`. */
export function gateDecides(stage: GateStage, current: string | undefined): boolean {
  return DECIDABLE[stage].has(current);
}

/** The rejection_reason tag: every failed rule as `rule: detail`, joined with '; ', cut to what a tag value carries here. */
export function rejectionReason(rules: readonly RuleOutcome[]): string {
  const failed = rules.filter((r) => !r.passed).map((r) => (r.detail.trim() ? `${r.rule}: ${r.detail.trim()}` : r.rule));
  return cutTagValue(failed.join('; ') || 'no failed rule given');
}

/**
 * The model version a gate decision for `stage` changes, with the model's
 * registry lock held (one registry change of a model at a time, across
 * replicas: promotions and rollbacks move the same aliases and tags), or
 * undefined when the version went online already and keeps its stage. A
 * decision naming no model, or a version MLflow does not have, is refused.
 */
export async function versionToDecide(
  deps: { mlflow: MlflowClient; logger: Logger },
  trx: HandlerContext<RegistryTables>['trx'],
  event: GatePassed | GateRejected,
  stage: GateStage,
): Promise<ModelVersion | undefined> {
  const { model_name: name, model_version: version } = event;
  const what = `gate.${stage === 'candidate' ? 'passed' : 'rejected'} of ${event.policy_version_id}`;
  if (!name) throw new EventRejected('POLICY_VERSION_NOT_A_MODEL', `${what}: the decision names no registered model`);
  await lockModel(trx, name);
  const found = await requireModelVersion(deps.mlflow, name, version, what);
  if (gateDecides(stage, found.tags.stage)) return found;
  deps.logger.info(
    { event_id: event.event_id, decision_id: event.decision_id, model_name: name, model_version: version, stage: found.tags.stage },
    `${what}: version ${version} of ${name} is ${found.tags.stage} already; its stage stays`,
  );
  return undefined;
}
