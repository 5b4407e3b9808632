import type { HandlerContext } from '@planner/bus';
import { policyVersionIdOf } from '@planner/domain';
import type { ModelRegistered } from '@planner/schemas';
import { sql } from 'kysely';
import { recordModelRegistered } from '../lineage/lineage-handlers.ts';
import type { GateTables } from '../tables.ts';

/** What a new policy version serves with until an experiment says otherwise. */
export const DEFAULT_CONFIG = { workflow_type: 'plan_first', mode: 'autopilot' } as const;

/** Seed §5: every registered model gets a policy version, numbered per policy. */
export async function createPolicyVersion(event: ModelRegistered, { trx }: HandlerContext<GateTables>): Promise<void> {
  const policyId = event.policy_id ?? 'planner';
  await trx
    .insertInto('exp.policy_versions')
    .values({
      policy_version_id: policyVersionIdOf(policyId, event.model_name, event.model_version),
      policy_id: policyId,
      // Serialised by the unique (policy_id, version) constraint: a concurrent insert retries.
      version: sql<number>`(select coalesce(max(version), 0) + 1 from exp.policy_versions where policy_id = ${policyId})`,
      config_defaults: JSON.stringify(DEFAULT_CONFIG),
      mlflow_model_name: event.model_name,
      mlflow_model_version: event.model_version,
      model_uri: event.model_uri,
      dataset_version: event.dataset_version,
      status: 'registered',
    })
    .onConflict((oc) => oc.column('policy_version_id').doNothing())
    .execute();
  await recordModelRegistered(trx, event);
}
