import { EventRejected, type HandlerContext } from '@planner/bus';
import { parsePolicyVersionId } from '@planner/domain';
import type { MlflowClient } from '@planner/mlflow-client';
import type { GatePassed } from '@planner/schemas';
import type { RegistryTables } from '../tables.ts';

/** Seed §6.1: a candidate is marked in the registry with the tag stage=candidate (never the deprecated stages). */
export function gatePassedHandler(deps: { mlflow: MlflowClient }) {
  return async (event: GatePassed, _context: HandlerContext<RegistryTables>): Promise<void> => {
    const pins = parsePolicyVersionId(event.policy_version_id);
    if (!pins) throw new EventRejected('POLICY_VERSION_NOT_A_MODEL', `policy version ${event.policy_version_id} names no registered model`);
    await deps.mlflow.setModelVersionTag(pins.modelName, pins.modelVersion, 'stage', 'candidate');
    await deps.mlflow.setModelVersionTag(pins.modelName, pins.modelVersion, 'gate_decision_id', event.decision_id);
  };
}
