import { createHash } from 'node:crypto';
import { type ActivePolicy, controlBuckets, HASH_VERSION, type PolicyServing, treatmentBuckets } from '@planner/assignment';
import { canonicalize } from '@planner/domain';
import type { Kysely, Selectable } from 'kysely';
import type { GateTables } from './tables.ts';

type PolicyVersionRow = Selectable<GateTables['exp.policy_versions']>;

/** How a policy version is served: its registered model on the learned runtime, or the heuristic baseline. */
export function servingOf(version: Pick<PolicyVersionRow, 'policy_version_id' | 'model_uri'>): PolicyServing {
  return {
    policy_version_id: version.policy_version_id,
    model_uri: version.model_uri,
    runtime: version.model_uri ? { kind: 'learned', model_uri: version.model_uri } : { kind: 'heuristic' },
  };
}

/**
 * What an upstream service needs to assign `policyId`'s units itself: the
 * production (active) version, and the running experiment with each
 * variant's buckets. The experiment's id is its salt: unique, fixed at
 * creation, so a household keeps its bucket for the experiment's whole life.
 * Undefined for a policy the gate does not know.
 */
export async function loadActivePolicy(db: Kysely<GateTables>, policyId: string): Promise<ActivePolicy | undefined> {
  const production = await db
    .selectFrom('exp.policy_versions')
    .select(['policy_version_id', 'model_uri'])
    .where('policy_id', '=', policyId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (!production) return undefined;
  const running = await db
    .selectFrom('exp.experiments')
    .select('experiment_id')
    .where('policy_id', '=', policyId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  if (!running) return { policy_id: policyId, production: servingOf(production), experiment: null };
  const variants = await db
    .selectFrom('exp.variants as v')
    .innerJoin('exp.policy_versions as p', 'p.policy_version_id', 'v.policy_version_id')
    .select(['v.variant_id', 'v.role', 'v.allocation', 'p.policy_version_id', 'p.model_uri'])
    .where('v.experiment_id', '=', running.experiment_id)
    .orderBy('v.role')
    .execute();
  const treatment = variants.find((v) => v.role === 'treatment')?.allocation ?? 0;
  return {
    policy_id: policyId,
    production: servingOf(production),
    experiment: {
      experiment_id: running.experiment_id,
      salt: running.experiment_id,
      hash_version: HASH_VERSION,
      variants: variants.map((v) => ({
        variant_id: v.variant_id,
        role: v.role,
        buckets: v.role === 'treatment' ? treatmentBuckets(treatment) : controlBuckets(treatment),
        ...servingOf(v),
      })),
    },
  };
}

/** A strong ETag of the document: the same content always gives the same tag, whichever replica serves it. */
export function etagOf(policy: ActivePolicy): string {
  return `"${createHash('sha256')
    .update(JSON.stringify(canonicalize(policy)))
    .digest('hex')
    .slice(0, 32)}"`;
}
