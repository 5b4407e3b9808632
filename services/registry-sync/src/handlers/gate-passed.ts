import { EventRejected, type HandlerContext } from '@planner/bus';
import type { MlflowClient } from '@planner/mlflow-client';
import type { GatePassed } from '@planner/schemas';
import type { Logger } from 'pino';
import { CANDIDATE_ALIAS } from '../candidate-alias.ts';
import { gateDecides } from '../gate-decisions.ts';
import { lockModel } from '../model-registration.ts';
import { requireModelVersion } from '../model-version-tags.ts';
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
  const { mlflow, logger } = deps;
  return async (event: GatePassed, { trx }: HandlerContext<RegistryTables>): Promise<void> => {
    const { model_name: name, model_version: version } = event;
    const what = `gate.passed of ${event.policy_version_id}`;
    if (!name) throw new EventRejected('POLICY_VERSION_NOT_A_MODEL', `${what}: the decision names no registered model`);
    // One registry change of a model at a time, across replicas: promotions and rollbacks move the same alias.
    await lockModel(trx, name);
    const found = await requireModelVersion(mlflow, name, version, what);
    if (!gateDecides('candidate', found.tags.stage)) {
      logger.info(
        { event_id: event.event_id, decision_id: event.decision_id, model_name: name, model_version: version, stage: found.tags.stage },
        `${what}: version ${version} of ${name} is ${found.tags.stage} already; its stage stays`,
      );
      return;
    }
    await mlflow.setModelVersionTag(name, version, 'stage', 'candidate');
    await mlflow.setModelVersionTag(name, version, 'gate_decision_id', event.decision_id);
    if (found.tags.rejection_reason !== undefined) await mlflow.deleteModelVersionTag(name, version, 'rejection_reason');
    await mlflow.setRegisteredModelAlias(name, CANDIDATE_ALIAS, version);
  };
}
