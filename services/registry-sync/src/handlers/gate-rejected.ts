import { EventRejected, type HandlerContext } from '@planner/bus';
import type { MlflowClient } from '@planner/mlflow-client';
import type { GateRejected } from '@planner/schemas';
import type { Logger } from 'pino';
import { releaseCandidateAlias } from '../candidate-alias.ts';
import { gateDecides, rejectionReason } from '../gate-decisions.ts';
import { lockModel } from '../model-registration.ts';
import { requireModelVersion } from '../model-version-tags.ts';
import type { RegistryTables } from '../tables.ts';

/**
 * Seed §6.1: a version the gate rejected says so in the registry, tagged
 * stage=rejected, gate_decision_id=<decision> and rejection_reason=<every
 * failed rule with its detail>. A version already online (see `gateDecides`)
 * keeps its stage. Redelivered, it sets the same values again. A decision
 * naming no model, or a version MLflow does not have, is refused
 * (dead-lettered at once).
 */
export function gateRejectedHandler(deps: { mlflow: MlflowClient; logger: Logger }) {
  const { mlflow, logger } = deps;
  return async (event: GateRejected, { trx }: HandlerContext<RegistryTables>): Promise<void> => {
    const { model_name: name, model_version: version } = event;
    const what = `gate.rejected of ${event.policy_version_id}`;
    if (!name) throw new EventRejected('POLICY_VERSION_NOT_A_MODEL', `${what}: the decision names no registered model`);
    // One registry change of a model at a time, across replicas: promotions and rollbacks read what this writes.
    await lockModel(trx, name);
    const found = await requireModelVersion(mlflow, name, version, what);
    if (!gateDecides('rejected', found.tags.stage)) {
      logger.info(
        { event_id: event.event_id, decision_id: event.decision_id, model_name: name, model_version: version, stage: found.tags.stage },
        `${what}: version ${version} of ${name} is ${found.tags.stage} already; its stage stays`,
      );
      return;
    }
    await mlflow.setModelVersionTag(name, version, 'stage', 'rejected');
    await mlflow.setModelVersionTag(name, version, 'gate_decision_id', event.decision_id);
    await mlflow.setModelVersionTag(name, version, 'rejection_reason', rejectionReason(event.rules));
    await releaseCandidateAlias(mlflow, found);
  };
}
