import { EventRejected, type HandlerContext } from '@planner/bus';
import { parsePolicyVersionId } from '@planner/domain';
import type { MlflowClient } from '@planner/mlflow-client';
import type { ModelPromoted } from '@planner/schemas';
import type { Logger } from 'pino';
import { releaseCandidateAlias } from '../candidate-alias.ts';
import { lockModel } from '../model-registration.ts';
import { findModelVersion, isVersionNumber, requireModelVersion } from '../model-version-tags.ts';
import type { RegistryTables } from '../tables.ts';

/**
 * Seed §6.3: the promoted version takes the production alias (MLflow keeps one
 * version per alias, so it leaves the previous one by itself) and the tags
 * stage=production and promoted_from_experiment=<experiment>, and leaves the
 * candidate alias when it holds it (its experiment is over); the version it
 * replaces, when the event names one, is tagged stage=retired.
 *
 * Redelivered, it sets the same values again. A promotion older than the
 * latest one applied to the model (two promotions on different partitions, a
 * producer re-sending an old one) is not applied: the alias never moves back.
 *
 * Refused (dead-lettered at once): a promoted version MLflow does not have, a
 * version that is not a number, a policy version id naming another version
 * than the event. A retired version MLflow does not have (removed from the
 * registry since) is logged and skipped: the promotion itself still holds.
 */
export function modelPromotedHandler(deps: { mlflow: MlflowClient; productionAlias: string; logger: Logger }) {
  const { mlflow, productionAlias: alias, logger } = deps;
  return async (event: ModelPromoted, { trx }: HandlerContext<RegistryTables>): Promise<void> => {
    const { model_name: name, model_version: version } = event;
    const what = `model.promoted of ${event.policy_version_id}`;
    const pins = parsePolicyVersionId(event.policy_version_id);
    if (pins && (pins.modelName !== name || pins.modelVersion !== version)) {
      throw new EventRejected(
        'PROMOTION_INCONSISTENT',
        `${what}: the policy version names model ${pins.modelName} version ${pins.modelVersion}, the event promotes ${name} version ${version}`,
      );
    }
    const retiredId = event.retired_policy_version_id;
    const retiredPins = retiredId === null ? undefined : parsePolicyVersionId(retiredId);
    // The heuristic baseline has no model to tag; a version never retires itself.
    const retired = retiredPins && !(retiredPins.modelName === name && retiredPins.modelVersion === version) ? retiredPins : undefined;

    // One promotion of a model at a time, across replicas (and with registrations of the same model).
    await lockModel(trx, name);
    const latest = await trx.selectFrom('exp.registry_promotions').selectAll().where('model_name', '=', name).executeTakeFirst();
    if (latest && latest.promoted_at.getTime() > event.occurred_at) {
      logger.warn(
        {
          event_id: event.event_id,
          model_name: name,
          model_version: version,
          latest_version: latest.model_version,
          latest_event_id: latest.event_id,
        },
        `${what} (${new Date(event.occurred_at).toISOString()}) is older than the promotion of version ${latest.model_version} (${latest.promoted_at.toISOString()}) already applied; not applied`,
      );
      return;
    }

    const promoted = await requireModelVersion(mlflow, name, version, what);
    const retire =
      retired && isVersionNumber(retired.modelVersion)
        ? await findModelVersion(mlflow, retired.modelName, retired.modelVersion)
        : undefined;
    if (retired && !retire) {
      logger.warn(
        { event_id: event.event_id, retired_policy_version_id: retiredId },
        `${what}: the MLflow registry has no version ${retired.modelVersion} of model ${retired.modelName} (retired ${retiredId}); nothing to tag retired`,
      );
    }

    await mlflow.setRegisteredModelAlias(name, alias, version);
    await mlflow.setModelVersionTag(name, version, 'stage', 'production');
    await mlflow.setModelVersionTag(name, version, 'promoted_from_experiment', event.experiment_id);
    await releaseCandidateAlias(mlflow, promoted);
    if (retire) await mlflow.setModelVersionTag(retire.name, retire.version, 'stage', 'retired');

    const row = {
      model_version: version,
      policy_version_id: event.policy_version_id,
      experiment_id: event.experiment_id,
      event_id: event.event_id,
      promoted_at: new Date(event.occurred_at),
    };
    await trx
      .insertInto('exp.registry_promotions')
      .values({ model_name: name, ...row })
      .onConflict((oc) => oc.column('model_name').doUpdateSet({ ...row, applied_at: new Date() }))
      .execute();
  };
}
