import type { PolicyKind } from './policy-runtime.ts';

/** Default price of a compute hour for local runtimes: 0.72 USD, the synthetic generator's rate (2e-7 USD per ms). */
export const DEFAULT_USD_PER_COMPUTE_HOUR = 0.72;

/**
 * The online cost model, one rule per runtime: an OpenAI-compatible server
 * costs what the runtime reported (prompt and completion tokens × the prices
 * in its spec); a local runtime (heuristic, learned ranker) costs the wall
 * time it took × the price of a compute hour. The replay keeps its own
 * per-plan proxy: wall time there would make results differ run to run.
 */
export function servingCostUsd(kind: PolicyKind, reportedUsd: number, latencyMs: number, usdPerComputeHour: number): number {
  if (kind === 'openai-compatible') return reportedUsd;
  return (latencyMs / 3_600_000) * usdPerComputeHour;
}
