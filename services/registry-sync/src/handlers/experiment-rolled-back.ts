import type { HandlerContext } from '@planner/bus';
import { parsePolicyVersionId } from '@planner/domain';
import type { MlflowClient } from '@planner/mlflow-client';
import type { ExperimentRolledBack } from '@planner/schemas';
import type { Logger } from 'pino';
import { releaseCandidateAlias } from '../candidate-alias.ts';
import { lockModel } from '../model-registration.ts';
import { cutTagValue, requireModelVersion } from '../model-version-tags.ts';
import type { RegistryTables } from '../tables.ts';

/** The rollback_reason tag: every reason, joined with '; ', cut to what a tag value carries here. */
export function rollbackReason(reasons: readonly string[]): string {
  const joined = reasons
    .map((r) => r.trim())
    .filter(Boolean)
    .join('; ');
  return cutTagValue(joined || 'no reason given');
}

/**
 * Seed §6.3: the rolled-back candidate's model version is tagged
 * stage=rolled_back, rollback_reason=<every reason> and
 * rolled_back_experiment=<experiment>, and leaves the candidate alias when it
 * holds it. The event has no decision id field: the promotion-gate's reasons
 * name the decision, and it keeps its online decisions per experiment. A
 * policy version without a model (the heuristic baseline) leaves the registry
 * as it is. A version MLflow does not have is refused (dead-lettered at once).
 * Redelivered, it sets the same values again. A rollback older than the
 * promotion of the same version to production (events on different
 * partitions) is not applied.
 */
export function experimentRolledBackHandler(deps: { mlflow: MlflowClient; logger: Logger }) {
  const { mlflow, logger } = deps;
  return async (event: ExperimentRolledBack, { trx }: HandlerContext<RegistryTables>): Promise<void> => {
    const pins = parsePolicyVersionId(event.policy_version_id);
    if (!pins) return;
    const { modelName: name, modelVersion: version } = pins;
    await lockModel(trx, name);
    const promoted = await trx
      .selectFrom('exp.registry_promotions')
      .select(['model_version', 'promoted_at', 'event_id'])
      .where('model_name', '=', name)
      .executeTakeFirst();
    if (promoted?.model_version === version && promoted.promoted_at.getTime() > event.occurred_at) {
      logger.warn(
        { event_id: event.event_id, policy_version_id: event.policy_version_id, promotion_event_id: promoted.event_id },
        `experiment.rolled_back of ${event.policy_version_id} (${new Date(event.occurred_at).toISOString()}) is older than its promotion to production (${promoted.promoted_at.toISOString()}); not applied`,
      );
      return;
    }
    const rolledBack = await requireModelVersion(mlflow, name, version, `experiment.rolled_back of ${event.policy_version_id}`);
    await mlflow.setModelVersionTag(name, version, 'stage', 'rolled_back');
    await mlflow.setModelVersionTag(name, version, 'rolled_back_experiment', event.experiment_id);
    await mlflow.setModelVersionTag(name, version, 'rollback_reason', rollbackReason(event.reasons));
    await releaseCandidateAlias(mlflow, rolledBack);
  };
}
