import type { HandlerContext } from '@planner/bus';
import type { MlflowClient } from '@planner/mlflow-client';
import type { GatePassed } from '@planner/schemas';
import type { Logger } from 'pino';
import { CANDIDATE_ALIAS } from '../candidate-alias.ts';
import { versionToDecide } from '../gate-decisions.ts';
import type { RegistryTables } from '../tables.ts';

/**
 * Seed §6.1: a candidate is marked in the registry with the tags
 * stage=candidate and gate_decision_id=<decision> (never the deprecated
 * stages) and takes the alias `candidate`, so `models:/<model>@candidate`
 * loads it. A version rejected by an earlier replay loses its
 * rejection_reason. A version already online (see `gateDecides`) keeps its
 * stage. Redelivered, it sets the same values again. A decision naming no
 * model, or a version MLflow does not have, is refused (dead-lettered at once).
 */
export function gatePassedHandler(deps: { mlflow: MlflowClient; logger: Logger }) {
  const { mlflow } = deps;
  return async (event: GatePassed, { trx }: HandlerContext<RegistryTables>): Promise<void> => {
    const found = await versionToDecide(deps, trx, event, 'candidate');
    if (!found) return;
    const { name, version } = found;
    await mlflow.setModelVersionTag(name, version, 'stage', 'candidate');
    await mlflow.setModelVersionTag(name, version, 'gate_decision_id', event.decision_id);
    if (found.tags.rejection_reason !== undefined) await mlflow.deleteModelVersionTag(name, version, 'rejection_reason');
    await mlflow.setRegisteredModelAlias(name, CANDIDATE_ALIAS, version);
  };
}
