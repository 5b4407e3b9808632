import type { HandlerContext } from '@planner/bus';
import type { MlflowClient } from '@planner/mlflow-client';
import type { GateRejected } from '@planner/schemas';
import type { Logger } from 'pino';
import { releaseCandidateAlias } from '../candidate-alias.ts';
import { rejectionReason, versionToDecide } from '../gate-decisions.ts';
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
  const { mlflow } = deps;
  return async (event: GateRejected, { trx }: HandlerContext<RegistryTables>): Promise<void> => {
    const found = await versionToDecide(deps, trx, event, 'rejected');
    if (!found) return;
    const { name, version } = found;
    await mlflow.setModelVersionTag(name, version, 'stage', 'rejected');
    await mlflow.setModelVersionTag(name, version, 'gate_decision_id', event.decision_id);
    await mlflow.setModelVersionTag(name, version, 'rejection_reason', rejectionReason(event.rules));
    await releaseCandidateAlias(mlflow, found);
  };
}
