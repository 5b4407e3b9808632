import type { ArmSummary } from './arm-summary.ts';
import { centeredSquares, checkCount, checkFinite, invalid, ROUNDING_TOLERANCE } from './input-checks.ts';

/**
 * Running sums of one arm's units, Y = the metric in the experiment, X = the
 * same unit's value before it (pre-period). Units without a pre-period value
 * need one imputed (e.g. the pooled pre-period mean) before they are summed.
 */
export interface CupedMoments {
  n: number;
  sumY: number;
  sumY2: number;
  sumX: number;
  sumX2: number;
  sumXY: number;
}

export interface CupedResult {
  /** The pooled regression coefficient of Y on X. */
  theta: number;
  /** Adjusted means and variances: differenceOfMeans(treatment, control) is the CUPED estimate and its standard error. */
  treatment: ArmSummary;
  control: ArmSummary;
  /**
   * Share of the difference's variance removed, 1 − (Σ adjusted s²/n)/(Σ raw s²/n),
   * as a share (0.36 = 36%). In [0, 1] for equal arms; with very unequal arms
   * it could dip below 0 only if the arms' X–Y relations disagree in sign, a
   * reason to look at the data, so it is reported as computed.
   */
  varianceReduction: number;
}

/**
 * CUPED: Deng, Xu, Kohavi & Walker (2013), "Improving the sensitivity of online
 * controlled experiments by utilizing pre-experiment data" (WSDM). Y is
 * replaced by Y − θ(X − E X) with θ = cov(X, Y)/var(X); X predates assignment,
 * so the adjustment has mean 0 in both arms and the estimate stays unbiased,
 * while its variance shrinks by the factor 1 − ρ²(X, Y).
 *
 * θ is pooled over both arms: θ = (S_xy,t + S_xy,c)/(S_xx,t + S_xx,c) with
 * within-arm centered sums, so a treatment effect on the mean of Y does not
 * leak into θ. E X is the pooled mean of X over both arms. Per arm:
 *   adjusted mean     = mean Y − θ (mean X − pooled mean X)
 *   adjusted variance = s²_Y − 2θ s_XY + θ² s²_X   (n − 1 denominators)
 * and varianceReduction = 1 − (Σ adjusted s²/n)/(Σ s²_Y/n) over the two arms.
 *
 * Example: treatment (X, Y) = (1,2), (2,3), (3,5), (4,6); control (2,1), (3,3), (4,3), (5,5).
 * Treatment: mean X 2.5, mean Y 4, S_xx 5, S_yy 10, S_xy 7. Control: mean X 3.5,
 * mean Y 3, S_xx 5, S_yy 8, S_xy 6. θ = (7 + 6)/(5 + 5) = 1.3; pooled mean X = 24/8 = 3.
 * Treatment mean 4 − 1.3(2.5 − 3) = 4.65, variance (10 − 2.6·7 + 1.69·5)/3 = 0.25/3;
 * control mean 3 − 1.3(3.5 − 3) = 2.35, variance (8 − 2.6·6 + 1.69·5)/3 = 0.85/3;
 * reduction 1 − (0.25/12 + 0.85/12)/(10/12 + 8/12) = 1 − 1.1/18 ≈ 0.938889.
 *
 * X without spread (var X = 0, e.g. no pre-period for anyone): θ 0, the raw
 * arms, reduction 0. Throws STATISTICS_INPUT_INVALID for n < 2 in an arm, a
 * non-finite sum, or sums no sample can have (a negative centered sum of
 * squares, |S_xy| > √(S_xx S_yy)).
 */
export function cuped(treatment: CupedMoments, control: CupedMoments): CupedResult {
  const t = centered(treatment, 'treatment');
  const c = centered(control, 'control');
  const sxx = t.sxx + c.sxx;
  // A constant X leaves only rounding noise in S_xx; θ from noise would be arbitrary.
  const xVaries = sxx > ZERO_SPREAD * (treatment.sumX2 + control.sumX2);
  const theta = xVaries ? (t.sxy + c.sxy) / sxx : 0;
  const pooledMeanX = (treatment.sumX + control.sumX) / (treatment.n + control.n);
  const adjust = (arm: Centered): ArmSummary => ({
    n: arm.n,
    mean: arm.meanY - theta * (arm.meanX - pooledMeanX),
    variance: Math.max(0, (arm.syy - 2 * theta * arm.sxy + theta * theta * arm.sxx) / (arm.n - 1)),
  });
  const adjustedTreatment = adjust(t);
  const adjustedControl = adjust(c);
  const raw = t.syy / (t.n - 1) / t.n + c.syy / (c.n - 1) / c.n;
  const adjusted = adjustedTreatment.variance / t.n + adjustedControl.variance / c.n;
  const varianceReduction = xVaries && raw > 0 ? 1 - adjusted / raw : 0;
  return { theta, treatment: adjustedTreatment, control: adjustedControl, varianceReduction };
}

/** Below this share of Σx², a centered sum of squares is rounding noise: the raw sums cannot resolve it. */
const ZERO_SPREAD = 1e-10;

interface Centered {
  n: number;
  meanX: number;
  meanY: number;
  sxx: number;
  syy: number;
  sxy: number;
}

function centered(m: CupedMoments, name: string): Centered {
  checkCount(m?.n, `${name}.n`, 2);
  for (const key of ['sumY', 'sumY2', 'sumX', 'sumX2', 'sumXY'] as const) checkFinite(m[key], `${name}.${key}`);
  if (m.sumY2 < 0 || m.sumX2 < 0) invalid(`${name}: sums of squares must be ≥ 0, got sumY2 ${m.sumY2}, sumX2 ${m.sumX2}`);
  const sxx = centeredSquares(m.sumX2, m.sumX, m.n, `${name} X`);
  const syy = centeredSquares(m.sumY2, m.sumY, m.n, `${name} Y`);
  const sxy = m.sumXY - (m.sumX * m.sumY) / m.n;
  // Cauchy–Schwarz, with room for rounding in each centered sum.
  const slack = ROUNDING_TOLERANCE * Math.sqrt(m.sumX2 * m.sumY2);
  if (Math.abs(sxy) > Math.sqrt(sxx * syy) + slack) {
    invalid(
      `${name}: |S_xy| = ${Math.abs(sxy)} exceeds √(S_xx S_yy) = ${Math.sqrt(sxx * syy)}; sumXY does not belong with these X and Y sums`,
    );
  }
  return { n: m.n, meanX: m.sumX / m.n, meanY: m.sumY / m.n, sxx, syy, sxy };
}
