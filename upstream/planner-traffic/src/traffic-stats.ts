import type { ServedRequest } from './plan-server.ts';

/** Latencies kept per variant for the percentiles: the most recent ones, so memory stays bounded on long runs. */
const LATENCY_WINDOW = 20_000;

export interface VariantStats {
  requests: number;
  households: Set<string>;
  fallbacks: number;
  failed: number;
  interventions: number;
  accepted: number;
  edits: number;
  costUsd: number;
  latencies: number[];
}

/** What the traffic did, per variant: the progress line and the closing table. */
export class TrafficStats {
  readonly variants = new Map<string, VariantStats>();
  readonly fallbackReasons = new Map<string, number>();
  requests = 0;
  events = 0;
  exposures = 0;
  /** Events withheld by --drop-treatment-events. */
  dropped = 0;

  add(request: ServedRequest, householdId: string): void {
    this.requests++;
    this.events += request.events.length;
    if (request.exposed) this.exposures++;
    let v = this.variants.get(request.variantId);
    if (!v) {
      v = {
        requests: 0,
        households: new Set(),
        fallbacks: 0,
        failed: 0,
        interventions: 0,
        accepted: 0,
        edits: 0,
        costUsd: 0,
        latencies: [],
      };
      this.variants.set(request.variantId, v);
    }
    v.requests++;
    v.households.add(householdId);
    if (request.fallbackReason !== null) {
      v.fallbacks += request.failed ? 0 : 1;
      this.fallbackReasons.set(request.fallbackReason, (this.fallbackReasons.get(request.fallbackReason) ?? 0) + 1);
    }
    if (request.failed) {
      v.failed++;
      return;
    }
    v.interventions += request.interventions;
    if (request.accepted) v.accepted++;
    v.edits += request.events.filter((e) => e.event_type === 'plan_edited').length;
    v.costUsd += request.costUsd;
    v.latencies.push(request.latencyMs);
    if (v.latencies.length > LATENCY_WINDOW) v.latencies.splice(0, v.latencies.length - LATENCY_WINDOW);
  }

  fallbacks(): number {
    return [...this.variants.values()].reduce((n, v) => n + v.fallbacks, 0);
  }

  failed(): number {
    return [...this.variants.values()].reduce((n, v) => n + v.failed, 0);
  }

  /** One line: requests, rate and the split, for the progress display. */
  line(elapsedSeconds: number): string {
    const split = [...this.variants].map(([id, v]) => `${id} ${v.requests.toLocaleString('en-US')}`).join(', ');
    const rate = elapsedSeconds > 0 ? Math.round(this.requests / elapsedSeconds) : 0;
    return `${elapsedSeconds.toFixed(0).padStart(5)} s  ${this.requests.toLocaleString('en-US')} requests (${rate}/s)  ${split}  fallbacks ${this.fallbacks()}  failed ${this.failed()}`;
  }

  /** The closing table, one row per variant. */
  table(): string {
    const rows = [
      `${'variant'.padEnd(40)} ${'requests'.padStart(9)} ${'households'.padStart(10)} ${'accepted'.padStart(9)} ${'edits/plan'.padStart(10)} ${'interv./plan'.padStart(12)} ${'fallbacks'.padStart(9)} ${'failed'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'USD/plan'.padStart(11)}`,
    ];
    for (const [id, v] of [...this.variants].sort(([a], [b]) => a.localeCompare(b))) {
      const served = v.requests - v.failed;
      const per = (x: number) => (served > 0 ? x / served : 0);
      rows.push(
        `${id.padEnd(40)} ${String(v.requests).padStart(9)} ${String(v.households.size).padStart(10)} ${`${(per(v.accepted) * 100).toFixed(1)}%`.padStart(9)} ${per(v.edits).toFixed(2).padStart(10)} ${per(v.interventions).toFixed(3).padStart(12)} ${String(v.fallbacks).padStart(9)} ${String(v.failed).padStart(6)} ${percentile(v.latencies, 0.5).toFixed(2).padStart(8)} ${percentile(v.latencies, 0.99).toFixed(2).padStart(8)} ${per(v.costUsd).toExponential(2).padStart(11)}`,
      );
    }
    for (const [reason, n] of this.fallbackReasons) rows.push(`  ${n} request(s) not served by their variant: ${reason}`);
    return rows.join('\n');
  }
}

/** The nearest-rank percentile (0 for no values). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}
