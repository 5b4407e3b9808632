import { Gauge, type Registry } from 'prom-client';
import type { CheckEvidence } from './experiment-check.ts';
import type { CheckStatus } from './tables.ts';

const STATUSES: readonly CheckStatus[] = [
  'collecting',
  'healthy',
  'srm',
  'guardrail_breached',
  'treatment_better',
  'treatment_worse',
  'inconclusive',
];
const METRICS = [
  'acceptance_rate',
  'edits_per_plan',
  'interventions_per_plan',
  'latency_p50_ms',
  'latency_p95_ms',
  'latency_p99_ms',
  'cost_per_plan_usd',
  'units',
  'exposures',
  'plans',
  'fallbacks',
] as const;

/** What happened to an experiment's allocation: the events the monitor reads from the gate. */
export type ExperimentChange = 'started' | 'ramped' | 'rolled_back' | 'promoted';

/** The latest check of each running experiment, per variant, and its allocation changes, for Grafana and alerts. */
export class MonitorMetrics {
  readonly #variant: Gauge<'experiment_id' | 'variant_id' | 'role' | 'metric'>;
  readonly #status: Gauge<'experiment_id' | 'status'>;
  readonly #srm: Gauge<'experiment_id'>;
  readonly #primary: Gauge<'experiment_id' | 'bound'>;
  readonly #allocation: Gauge<'experiment_id'>;
  readonly #changed: Gauge<'experiment_id' | 'change'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#variant = new Gauge({
      name: 'planner_experiment_variant_metric',
      help: 'Per variant, at the latest check: acceptance rate, edits and validator interventions per plan, latency quantiles (ms), cost per plan (USD), units, exposures, plans, fallbacks.',
      labelNames: ['experiment_id', 'variant_id', 'role', 'metric'],
      registers,
    });
    this.#status = new Gauge({
      name: 'planner_experiment_status',
      help: '1 for the status of the latest check, 0 for the others.',
      labelNames: ['experiment_id', 'status'],
      registers,
    });
    this.#srm = new Gauge({
      name: 'planner_experiment_srm_p_value',
      help: 'Sample-ratio check p-value at the latest check.',
      labelNames: ['experiment_id'],
      registers,
    });
    this.#primary = new Gauge({
      name: 'planner_experiment_acceptance_difference',
      help: 'Treatment − control acceptance rate (CUPED-adjusted) and its always-valid confidence sequence.',
      labelNames: ['experiment_id', 'bound'],
      registers,
    });
    this.#allocation = new Gauge({
      name: 'planner_experiment_treatment_allocation',
      help: "The treatment's share of traffic: at each check, and as each start, ramp and rollback is read.",
      labelNames: ['experiment_id'],
      registers,
    });
    // A time rather than a counter: setting it is idempotent (redeliveries, a monitor re-reading its topics), and
    // Grafana draws one annotation per distinct value (useValueForTime), so every ramp shows at its own time.
    this.#changed = new Gauge({
      name: 'planner_experiment_last_change_timestamp_seconds',
      help: "Unix time of the experiment's latest start, ramp, rollback or promotion (the event's occurred_at).",
      labelNames: ['experiment_id', 'change'],
      registers,
    });
  }

  /** An allocation change the gate published; `allocation` is the treatment's share after it, when the event says. */
  changed(experimentId: string, change: ExperimentChange, occurredAtMs: number, allocation?: number): void {
    this.#changed.set({ experiment_id: experimentId, change }, occurredAtMs / 1000);
    if (allocation !== undefined) this.#allocation.set({ experiment_id: experimentId }, allocation);
  }

  record(check: CheckEvidence): void {
    const experiment_id = check.experiment_id;
    for (const v of check.variants) {
      for (const metric of METRICS) this.#variant.set({ experiment_id, variant_id: v.variant_id, role: v.role, metric }, v[metric]);
    }
    for (const status of STATUSES) this.#status.set({ experiment_id, status }, status === check.status ? 1 : 0);
    this.#allocation.set({ experiment_id }, check.treatment_allocation);
    if (check.srm_p_value !== null) this.#srm.set({ experiment_id }, check.srm_p_value);
    if (check.primary) {
      for (const bound of ['estimate', 'lower', 'upper'] as const) this.#primary.set({ experiment_id, bound }, check.primary[bound]);
    }
  }
}
