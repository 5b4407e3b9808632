import type { Transaction } from 'kysely';
import type { GateTables } from './tables.ts';

export interface GatePass {
  experimentId: string;
  decisionId: string;
  policyId: string;
  /** The candidate policy version the decision passed. */
  policyVersionId: string;
  treatmentAllocation: number;
}

export interface OpenedExperiment {
  /** False when the candidate already had a queued or running experiment: that one is returned, nothing new opens. */
  opened: boolean;
  experimentId: string;
  /** Queued when another experiment of the policy is running (decision 0010). */
  status: 'running' | 'queued';
  controlVariantId: string;
  treatmentVariantId: string;
  /** The policy's active version, which the control serves. */
  baselinePolicyVersionId: string;
  treatmentAllocation: number;
}

/**
 * Opens the experiment of a passed decision: the policy's active version as
 * control, the candidate as a treatment of at most 10%. It runs when no other
 * experiment of the policy runs, and waits as `queued` otherwise: an
 * experiment's evidence is never thrown away half-way (decision 0010).
 */
export async function openExperiment(trx: Transaction<GateTables>, pass: GatePass): Promise<OpenedExperiment> {
  // Locking the active version serialises the passes of one policy: a concurrent pass waits here, then sees
  // this one's running experiment and queues, instead of failing on one_running_experiment_per_policy.
  const baseline = await trx
    .selectFrom('exp.policy_versions')
    .select('policy_version_id')
    .where('policy_id', '=', pass.policyId)
    .where('status', '=', 'active')
    .forUpdate()
    .executeTakeFirstOrThrow();
  // The same candidate passing again (another replay of it) adds evidence, not a second experiment.
  const existing = await trx
    .selectFrom('exp.experiments as e')
    .innerJoin('exp.variants as t', (join) => join.onRef('t.experiment_id', '=', 'e.experiment_id').on('t.role', '=', 'treatment'))
    .innerJoin('exp.variants as c', (join) => join.onRef('c.experiment_id', '=', 'e.experiment_id').on('c.role', '=', 'control'))
    .select([
      'e.experiment_id',
      'e.status',
      't.variant_id as treatment',
      't.allocation',
      'c.variant_id as control',
      'c.policy_version_id as baseline',
    ])
    .where('t.policy_version_id', '=', pass.policyVersionId)
    .where('e.status', 'in', ['queued', 'running', 'paused'])
    .executeTakeFirst();
  if (existing) {
    return {
      opened: false,
      experimentId: existing.experiment_id,
      status: existing.status === 'queued' ? 'queued' : 'running',
      controlVariantId: existing.control,
      treatmentVariantId: existing.treatment,
      baselinePolicyVersionId: existing.baseline,
      treatmentAllocation: existing.allocation,
    };
  }
  // A paused experiment still holds the policy's slot (it resumes with its evidence).
  const running = await trx
    .selectFrom('exp.experiments')
    .select('experiment_id')
    .where('policy_id', '=', pass.policyId)
    .where('status', 'in', ['running', 'paused'])
    .executeTakeFirst();
  const status = running ? 'queued' : 'running';
  const controlVariantId = `${pass.experimentId}-control`;
  const treatmentVariantId = `${pass.experimentId}-treatment`;
  await trx
    .insertInto('exp.experiments')
    .values({ experiment_id: pass.experimentId, policy_id: pass.policyId, status, decision_id: pass.decisionId })
    .execute();
  await trx
    .insertInto('exp.variants')
    .values([
      {
        variant_id: controlVariantId,
        experiment_id: pass.experimentId,
        policy_version_id: baseline.policy_version_id,
        role: 'control',
        allocation: 1 - pass.treatmentAllocation,
      },
      {
        variant_id: treatmentVariantId,
        experiment_id: pass.experimentId,
        policy_version_id: pass.policyVersionId,
        role: 'treatment',
        allocation: pass.treatmentAllocation,
      },
    ])
    .execute();
  return {
    opened: true,
    experimentId: pass.experimentId,
    status,
    controlVariantId,
    treatmentVariantId,
    baselinePolicyVersionId: baseline.policy_version_id,
    treatmentAllocation: pass.treatmentAllocation,
  };
}
