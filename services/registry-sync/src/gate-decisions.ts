import type { RuleOutcome } from '@planner/schemas';
import { cutTagValue } from './model-version-tags.ts';

export type GateStage = 'candidate' | 'rejected';

/**
 * The stages a gate decision may still change, as the promotion-gate decides
 * a policy version's status: a version not decided yet, or decided offline
 * only (a re-replay decides again). A version that went online (stage
 * candidate in an experiment, production, retired, rolled_back) keeps its
 * stage: its life is decided online now. gate.passed may repeat on a
 * candidate (a redelivery, a re-replay that passed); gate.rejected may not
 * take a candidate out of its experiment.
 */
const DECIDABLE: Record<GateStage, ReadonlySet<string | undefined>> = {
  candidate: new Set([undefined, 'rejected', 'candidate']),
  rejected: new Set([undefined, 'rejected']),
};

/** Whether a gate decision for `stage` applies to a version tagged `current`. */
export function gateDecides(stage: GateStage, current: string | undefined): boolean {
  return DECIDABLE[stage].has(current);
}

/** The rejection_reason tag: every failed rule as `rule: detail`, joined with '; ', cut to what a tag value carries here. */
export function rejectionReason(rules: readonly RuleOutcome[]): string {
  const failed = rules.filter((r) => !r.passed).map((r) => (r.detail.trim() ? `${r.rule}: ${r.detail.trim()}` : r.rule));
  return cutTagValue(failed.join('; ') || 'no failed rule given');
}
