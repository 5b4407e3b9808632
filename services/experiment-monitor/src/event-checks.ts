import type { PlanEvent } from '@planner/schemas';
import { rejected } from './monitor-error.ts';

const METADATA = ['experiment_id', 'variant_id', 'policy_version_id'] as const;

/**
 * Refuses, with every reason, an event no metric may count: the monitor needs
 * the experiment, variant and policy version on every event (a validator
 * intervention too: it is charged to a variant), and latency and cost that a
 * real plan can have.
 */
export function checkPlanEvent(event: PlanEvent): void {
  const missing = METADATA.filter((field) => event[field] === null || event[field]?.trim() === '');
  if (missing.length > 0)
    throw rejected('EVENT_METADATA_MISSING', missing.map((f) => `${f} is required for ${event.event_type}`).join('; '));
  const invalid: string[] = [];
  for (const field of ['latency_ms', 'cost_usd'] as const) {
    const value = event[field];
    if (value !== null && !(Number.isFinite(value) && value >= 0)) invalid.push(`${field} must be a finite number ≥ 0, got ${value}`);
  }
  if (invalid.length > 0) throw rejected('EVENT_VALUE_INVALID', invalid.join('; '));
}
