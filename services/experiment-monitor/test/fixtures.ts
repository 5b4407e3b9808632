import { randomUUID } from 'node:crypto';
import type { PlanEvent, TopicEvents } from '@planner/schemas';

export const edit = { day: 0, slot: 'dinner' as const, from_recipe_id: 'r-0001', to_recipe_id: 'r-0002' };
export const plan = { days: [{ day: 0, meals: [{ slot: 'dinner' as const, recipe_id: 'r-0001' }] }] };

/** An exp.events event of `experiment`'s control, as upstream traffic writes it; `fields` override. */
export function planEvent(
  experiment: string,
  fields: Partial<PlanEvent> & Pick<PlanEvent, 'event_type' | 'household_id' | 'occurred_at'>,
): PlanEvent {
  return {
    event_id: randomUUID(),
    correlation_id: `plan-${fields.household_id}`,
    producer: 'monitor-test',
    schema_version: 2,
    plan_id: `plan-${fields.household_id}`,
    workflow_type: 'plan_first',
    mode: null,
    experiment_id: experiment,
    variant_id: `${experiment}-control`,
    policy_version_id: 'heuristic-baseline-v1',
    plan: null,
    edits: [],
    latency_ms: null,
    cost_usd: null,
    hash_version: null,
    fallback_reason: null,
    ...fields,
  };
}

/** The body of experiment.started for a 50/50 experiment `experiment`, as the gate would publish it. */
export function experimentStarted(
  experiment: string,
): Omit<TopicEvents['experiment.started'], 'event_id' | 'occurred_at' | 'correlation_id' | 'producer' | 'schema_version'> {
  return {
    experiment_id: experiment,
    control_variant_id: `${experiment}-control`,
    treatment_variant_id: `${experiment}-treatment`,
    treatment_allocation: 0.5,
    policy_version_id: 'planner:m:v2',
    baseline_policy_version_id: 'heuristic-baseline-v1',
  };
}
