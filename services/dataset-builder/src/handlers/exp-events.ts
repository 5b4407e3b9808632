import { EventRejected, type HandlerContext } from '@planner/bus';
import type { PlanEvent, PlanEventType } from '@planner/schemas';
import type { DatasetBuilderTables } from '../tables.ts';

type Metadata = 'experiment_id' | 'variant_id' | 'policy_version_id';

/**
 * Metadata each event type must carry to be usable (seed §8: "missing metadata
 * in events"). A plan shown to a user always comes from a policy version in an
 * experiment variant; a validator acts on a policy version's output; an
 * exposure records which variant (and version) first served a household.
 */
export const REQUIRED_METADATA: Record<PlanEventType, readonly Metadata[]> = {
  plan_generated: ['experiment_id', 'variant_id', 'policy_version_id'],
  plan_edited: ['experiment_id', 'variant_id', 'policy_version_id'],
  plan_accepted: ['experiment_id', 'variant_id', 'policy_version_id'],
  plan_rejected: ['experiment_id', 'variant_id', 'policy_version_id'],
  validator_intervened: ['policy_version_id'],
  exposure: ['experiment_id', 'variant_id', 'policy_version_id'],
};

const NEEDS_PLAN: ReadonlySet<PlanEventType> = new Set(['plan_generated', 'plan_accepted']);

/** Every reason `event` cannot be ingested; empty when it can. */
export function ingestionProblems(event: PlanEvent): string[] {
  const problems = REQUIRED_METADATA[event.event_type]
    .filter((field) => event[field] === null || event[field]?.trim() === '')
    .map((field) => `${field} is required for ${event.event_type}`);
  if (NEEDS_PLAN.has(event.event_type) && (event.plan === null || event.plan.days.length === 0)) {
    problems.push(`plan is required for ${event.event_type}`);
  }
  return problems;
}

/** Ingests one `exp.events` message, or rejects it to the dead-letter topic with every reason. */
export async function ingestEvent(event: PlanEvent, { trx }: HandlerContext<DatasetBuilderTables>): Promise<void> {
  const problems = ingestionProblems(event);
  if (problems.length > 0) throw new EventRejected('EVENT_METADATA_MISSING', problems.join('; '));
  await trx
    .insertInto('exp.events')
    .values({
      event_id: event.event_id,
      event_type: event.event_type,
      occurred_at: new Date(event.occurred_at),
      household_id: event.household_id,
      plan_id: event.plan_id,
      workflow_type: event.workflow_type,
      mode: event.mode,
      experiment_id: event.experiment_id,
      variant_id: event.variant_id,
      policy_version_id: event.policy_version_id as string,
      plan: event.plan === null ? null : JSON.stringify(event.plan),
      edits: JSON.stringify(event.edits),
      latency_ms: event.latency_ms,
      cost_usd: event.cost_usd,
      correlation_id: event.correlation_id,
      producer: event.producer,
      hash_version: event.hash_version,
      fallback_reason: event.fallback_reason,
    })
    // The bulk loader may have written the same event already.
    .onConflict((oc) => oc.column('event_id').doNothing())
    .execute();
}
