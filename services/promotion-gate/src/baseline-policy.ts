import { BASELINE_POLICY_VERSION } from '@planner/domain';
import type { Kysely } from 'kysely';
import { DEFAULT_CONFIG } from './handlers/model-registered.ts';
import type { GateTables } from './tables.ts';

/** A fresh system serves the heuristic baseline: it is the planner policy's first active version. */
export async function bootstrapBaseline(db: Kysely<GateTables>, policyId: string): Promise<void> {
  const active = await db
    .selectFrom('exp.policy_versions')
    .select('policy_version_id')
    .where('policy_id', '=', policyId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (active) return;
  await db
    .insertInto('exp.policy_versions')
    .values({
      policy_version_id: BASELINE_POLICY_VERSION,
      policy_id: policyId,
      version: 0,
      config_defaults: JSON.stringify(DEFAULT_CONFIG),
      mlflow_model_name: null,
      mlflow_model_version: null,
      model_uri: null,
      dataset_version: null,
      status: 'active',
    })
    .onConflict((oc) => oc.column('policy_version_id').doNothing())
    .execute();
}
