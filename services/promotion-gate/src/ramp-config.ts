import { createHash } from 'node:crypto';
import type { ConfigReader } from '@planner/service-kit';
import { MAX_TREATMENT_ALLOCATION } from './tables.ts';

/** How an experiment moves online (decision 0015); recorded, by version, with every decision it makes. */
export interface RampConfig {
  /** The treatment's allocations, in order; the first at most 10%, the last 1 (everyone). */
  schedule: number[];
  /** Least time at an allocation before the next step, measured from when it took effect. */
  minDwellSeconds: number;
  /** Least households per arm, in the check relied on, before a step or a promotion. */
  minUnitsPerArm: number;
  /** Each step also waits for an operator's approval (POST /v1/experiments/{id}/approve). */
  requiresApproval: boolean;
  /** At the last step: promote on `treatment_better` only, or on `healthy` too (non-inferior is enough, seed §6.3 thresholds). */
  promoteOn: 'treatment_better' | 'healthy';
}

export function readRampConfig(reader: ConfigReader): RampConfig {
  const raw = reader.string('GATE_RAMP_SCHEDULE', '0.05,0.10,0.25,0.50,1');
  const schedule = raw.split(',').map((x) => Number(x.trim()));
  const valid =
    schedule.length >= 1 &&
    schedule.every((x, i) => Number.isFinite(x) && x > 0 && x <= 1 && (i === 0 || x > (schedule[i - 1] as number))) &&
    (schedule[0] as number) <= MAX_TREATMENT_ALLOCATION &&
    schedule.at(-1) === 1;
  if (!valid) {
    reader.problem(
      `GATE_RAMP_SCHEDULE must be increasing shares, the first at most ${MAX_TREATMENT_ALLOCATION} and the last 1, got '${raw}'`,
    );
  }
  const promoteOn = reader.oneOf('GATE_PROMOTE_ON', ['treatment_better', 'healthy'] as const, 'treatment_better');
  return {
    schedule,
    minDwellSeconds: reader.int('GATE_RAMP_MIN_DWELL_SECONDS', 3600, { min: 0, max: 30 * 86_400 }),
    minUnitsPerArm: reader.int('GATE_RAMP_MIN_UNITS_PER_ARM', 200, { min: 1, max: 100_000_000 }),
    requiresApproval: reader.boolean('GATE_RAMP_REQUIRES_APPROVAL', false),
    promoteOn,
  };
}

export function rampConfigVersion(config: RampConfig): string {
  return `ramp-${createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 12)}`;
}
