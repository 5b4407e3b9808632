import { createHash } from 'node:crypto';
import type { ConfigReader } from '@planner/service-kit';
import { MAX_TREATMENT_ALLOCATION } from './tables.ts';

/** The gate's statistical settings; recorded with every decision. */
export interface GateConfig {
  /** Family-wise error rate of the non-inferiority tests (Holm-corrected). */
  alpha: number;
  /** Largest tolerated degradation per metric, in the metric's own units. */
  margins: { offline_score: number; plan_alignment: number; edit_rate: number; latency_ms: number; cost_usd: number };
  treatmentAllocation: number;
}

export function readGateConfig(reader: ConfigReader): GateConfig {
  const share = (name: string, fallback: number, max = 1) => reader.number(name, fallback, { min: 0, max });
  return {
    alpha: reader.number('GATE_ALPHA', 0.05, { min: 0.0001, max: 0.5 }),
    margins: {
      offline_score: share('GATE_MARGIN_OFFLINE_SCORE', 0.005),
      plan_alignment: share('GATE_MARGIN_PLAN_ALIGNMENT', 0.02),
      edit_rate: share('GATE_MARGIN_EDIT_RATE', 0.02),
      latency_ms: reader.number('GATE_MARGIN_LATENCY_MS', 50, { min: 0, max: 60_000 }),
      cost_usd: reader.number('GATE_MARGIN_COST_USD', 0.001, { min: 0, max: 100 }),
    },
    // More than 10% is refused at start-up, naming the variable; the database refuses it too.
    treatmentAllocation: reader.number('GATE_TREATMENT_ALLOCATION', 0.05, { min: 0.0001, max: MAX_TREATMENT_ALLOCATION }),
  };
}

/** A short, stable name for a configuration: decisions say which one judged them. */
export function configVersion(config: GateConfig): string {
  return `gate-${createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 12)}`;
}
