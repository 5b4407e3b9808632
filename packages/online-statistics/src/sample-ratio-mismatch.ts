import { chiSquareGoodnessOfFit, regularizedUpperGamma } from '@planner/evaluation';
import { invalid } from './input-checks.ts';

/** Units first exposed while one allocation was in force, per variant, and that allocation's shares (same order). */
export interface SrmEpoch {
  observed: number[];
  shares: number[];
}

export interface SrmResult {
  /** Pearson χ², summed over epochs. */
  statistic: number;
  /** Σ (variants with a share > 0 − 1) over epochs with units. */
  degreesOfFreedom: number;
  pValue: number;
  /** pValue < threshold. */
  mismatch: boolean;
}

/**
 * The p-value below which exposures are declared mismatched. 0.001 as
 * GrowthBook, Statsig and Eppo use: the check runs at every look of every
 * experiment, so it needs a low false-alarm rate, and the mismatches that
 * matter (lost, duplicated or late exposures; Fabijan et al. 2019, "Diagnosing
 * sample ratio mismatch in online controlled experiments", KDD) reach it
 * within days at production traffic.
 */
export const DEFAULT_SRM_THRESHOLD = 0.001;

/**
 * Sample-ratio mismatch check: Pearson's χ² goodness of fit of units per
 * variant against the allocation (chiSquareGoodnessOfFit). A ramp changes the
 * shares, so counts are kept per allocation epoch: within an epoch the counts
 * given their total are multinomial with that epoch's shares, epochs are
 * independent, so the statistics and degrees of freedom add and
 * p = Q(df/2, χ²/2), the χ² survival function. Each unit counts once, in the
 * epoch of its first exposure. Repeated looks raise the false-alarm rate above
 * the threshold (slowly, the threshold being small).
 *
 * Example: epoch 1 at 5/95: [520, 9480] → χ² = 20²/500 + 20²/9500 ≈ 0.842105 (df 1);
 * epoch 2 at 50/50: [5100, 4900] → χ² = 100²/5000 · 2 = 4 (df 1); together
 * χ² ≈ 4.842105, df 2, p = e^(−4.842105/2) ≈ 0.088828 (df 2: Q(1, x) = e^(−x)).
 *
 * Epochs without units add nothing (a ramp step nobody arrived in); with none
 * at all: χ² 0, df 0, p 1. A unit in a variant whose share is 0 gives χ² = ∞,
 * p 0. Throws STATISTICS_INPUT_INVALID for no epochs, a threshold outside
 * (0, 1), and what chiSquareGoodnessOfFit refuses (mismatched lengths, counts
 * that are not whole ≥ 0, shares not adding up to 1).
 */
export function sampleRatioMismatch(epochs: SrmEpoch[], threshold: number = DEFAULT_SRM_THRESHOLD): SrmResult {
  if (!Array.isArray(epochs) || epochs.length === 0) invalid('sample-ratio check needs at least one allocation epoch');
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold < 1)) invalid(`threshold must be in (0, 1), got ${threshold}`);
  let statistic = 0;
  let degreesOfFreedom = 0;
  for (const [i, epoch] of epochs.entries()) {
    const observed = epoch?.observed;
    if (!Array.isArray(observed) || !Array.isArray(epoch.shares)) invalid(`epoch ${i} needs observed and shares arrays`);
    if (observed.length > 0 && observed.every((count) => count === 0)) {
      // Still check the shape: an empty epoch with a wrong allocation is a bug too.
      if (observed.length !== epoch.shares.length) invalid(`epoch ${i}: ${observed.length} counts but ${epoch.shares.length} shares`);
      continue;
    }
    const result = chiSquareGoodnessOfFit(observed, epoch.shares);
    statistic += result.statistic;
    degreesOfFreedom += result.degreesOfFreedom;
  }
  let pValue: number;
  if (statistic === Number.POSITIVE_INFINITY) pValue = 0;
  else if (degreesOfFreedom === 0) pValue = 1;
  else pValue = regularizedUpperGamma(degreesOfFreedom / 2, statistic / 2);
  return { statistic, degreesOfFreedom, pValue, mismatch: pValue < threshold };
}
