import { type ArmSummary, checkArmSummary } from './arm-summary.ts';

export interface Estimate {
  /** treatment − control, in the metric's units. */
  estimate: number;
  standardError: number;
}

/**
 * Difference of two independent arms' means with Welch's (unpooled) standard
 * error √(s²_t/n_t + s²_c/n_c) (Welch 1947; e.g. Wasserman, All of
 * Statistics, §10.1): right whatever the allocation and whether or not the
 * treatment changes the spread, which a pooled variance is not.
 *
 * Example: treatment n 4, mean 3, s² 2; control n 5, mean 1, s² 5 →
 * estimate 3 − 1 = 2, standard error √(2/4 + 5/5) = √1.5 ≈ 1.224745.
 *
 * The standard error is 0 when neither arm varies; mixtureSequentialTest reads that as "no information".
 */
export function differenceOfMeans(treatment: ArmSummary, control: ArmSummary): Estimate {
  checkArmSummary(treatment, 'treatment');
  checkArmSummary(control, 'control');
  return {
    estimate: treatment.mean - control.mean,
    standardError: Math.sqrt(treatment.variance / treatment.n + control.variance / control.n),
  };
}
