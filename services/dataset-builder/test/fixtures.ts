import type { PlanEvent } from '@planner/schemas';

/** A one-meal plan: Monday dinner. */
export const ONE_DINNER = { days: [{ day: 0, meals: [{ slot: 'dinner' as const, recipe_id: 'r-001' }] }] };

/**
 * A complete v2 plan_accepted event of household h1's plan p1 in exp-1/control,
 * served by heuristic-baseline-v1, unless overridden. The tests compute their
 * expectations from these defaults.
 */
export function planEvent(overrides: Partial<PlanEvent> = {}): PlanEvent {
  return {
    event_id: '8d2b1e64-0f3c-4a57-b9d8-6e5a4c3b2a10',
    occurred_at: 0,
    correlation_id: 'c',
    producer: 'p',
    schema_version: 2,
    event_type: 'plan_accepted',
    household_id: 'h1',
    plan_id: 'p1',
    workflow_type: 'plan_first',
    mode: null,
    experiment_id: 'exp-1',
    variant_id: 'control',
    policy_version_id: 'heuristic-baseline-v1',
    plan: ONE_DINNER,
    edits: [],
    latency_ms: null,
    cost_usd: null,
    hash_version: null,
    fallback_reason: null,
    ...overrides,
  };
}
