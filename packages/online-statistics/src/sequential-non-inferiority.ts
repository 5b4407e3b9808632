import { invalid } from './input-checks.ts';
import { mixtureSequentialTest, type SequentialOptions, type SequentialResult } from './mixture-sequential-test.ts';

/**
 * `breached`: the treatment is worse than control by more than the margin;
 * `non_inferior`: it is worse by less than the margin (or better);
 * `undecided`: the data cannot tell yet.
 */
export type NonInferiorityVerdict = 'non_inferior' | 'breached' | 'undecided';

export type NonInferiorityResult = SequentialResult & { margin: number; verdict: NonInferiorityVerdict };

/**
 * Sequential non-inferiority of a guardrail where HIGHER IS WORSE (edits,
 * interventions, latency, cost per plan), on estimate = treatment − control:
 * `breached` when the confidence sequence's lower bound exceeds `margin`,
 * `non_inferior` when its upper bound is below it, else `undecided`.
 *
 * It reads the same time-uniform confidence sequence as mixtureSequentialTest
 * (Howard et al. 2021; Johari et al. 2017), which covers the true effect at
 * all looks at once with probability ≥ 1 − α; so at any number of looks, with
 * any stopping rule, P(ever `breached` | effect ≤ margin) ≤ α and
 * P(ever `non_inferior` | effect ≥ margin) ≤ α (each about α/2 in practice, the
 * sequence being two-sided). The verdict of one look can still move from
 * `undecided` to a decision as data arrive; a caller that acts on the first
 * decision keeps that guarantee. The margin is an absolute amount in the
 * metric's units (turn "+5% latency" into ms against control first); τ = margin
 * is a sensible mixture (see SUGGESTED_TAU).
 *
 * Example (α 0.05, τ 0.02, estimate 0.05, standard error 0.01): the sequence is
 * 0.05 ± 0.030824 = [0.019176, 0.080824]; margin 0.1 → non_inferior,
 * margin 0.01 → breached, margin 0.03 → undecided.
 *
 * Throws STATISTICS_INPUT_INVALID for a margin that is not finite and ≥ 0, and as mixtureSequentialTest.
 */
export function sequentialNonInferiority(
  estimate: number,
  standardError: number,
  margin: number,
  options: SequentialOptions,
): NonInferiorityResult {
  if (typeof margin !== 'number' || !(margin >= 0 && Number.isFinite(margin))) invalid(`margin must be a finite number ≥ 0, got ${margin}`);
  const result = mixtureSequentialTest(estimate, standardError, options);
  const verdict: NonInferiorityVerdict = result.lower > margin ? 'breached' : result.upper < margin ? 'non_inferior' : 'undecided';
  return { ...result, margin, verdict };
}
