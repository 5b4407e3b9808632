import { checkFinite, invalid } from './input-checks.ts';

export interface SequentialOptions {
  /** Error rate over ALL looks together, in (0, 1). */
  alpha: number;
  /**
   * Standard deviation of the N(0, τ²) mixture over the true effect, in the
   * metric's units (> 0): the effect size the test is most sensitive to.
   * See SUGGESTED_TAU and tauForHorizon.
   */
  tau: number;
}

export interface SequentialResult {
  /** treatment − control, in the metric's units. */
  estimate: number;
  standardError: number;
  /** Confidence-sequence bounds on the effect: cover it at every look at once with probability ≥ 1 − alpha. */
  lower: number;
  upper: number;
  /** Λ, the mixture likelihood ratio against "no effect" (may be Infinity for overwhelming effects: see logLikelihoodRatio). */
  likelihoodRatio: number;
  /** ln Λ, finite where Λ overflows; what to store. */
  logLikelihoodRatio: number;
  /** Always-valid p-value of THIS look, min(1, 1/Λ): the caller keeps the running minimum over looks. */
  pValue: number;
}

/** The monitor's error rate over all looks; τ depends on the metric (SUGGESTED_TAU, tauForHorizon). */
export const DEFAULT_SEQUENTIAL: Readonly<Pick<SequentialOptions, 'alpha'>> = Object.freeze({ alpha: 0.05 });

/**
 * Normal-mixture sequential test (mSPRT) of "effect = 0" and its confidence
 * sequence, on an asymptotically normal estimate with a known-enough standard
 * error: Johari, Koomen, Pekelis & Walsh (2017), "Peeking at A/B tests: why it
 * matters, and what to do about it" (KDD), always-valid p-values; Howard,
 * Ramdas, McAuliffe & Sekhon (2021), "Time-uniform, nonparametric,
 * nonasymptotic confidence sequences" (Ann. Statist.), the normal-mixture boundary.
 *
 * With V = standardError² and the effect mixed over N(0, τ²):
 *   Λ = √(V/(V+τ²)) · exp(estimate² τ² / (2V(V+τ²)))
 *   p = min(1, 1/Λ)      (Ville's inequality: P(ever Λ ≥ 1/α | no effect) ≤ α)
 *   half-width = √( 2V(V+τ²)/τ² · (ln(1/α) + ½ ln((V+τ²)/V)) )
 * The interval is exactly the effects θ whose Λ computed at estimate − θ stays
 * below 1/α, so "p < α" and "0 outside [lower, upper]" are the same event.
 * Valid at any number of looks, chosen at any time, including stopping as soon
 * as it says so; the running minimum of p and the running intersection of the
 * intervals are valid too. Two-sided (the mixture is symmetric). The guarantee
 * is asymptotic in the units per arm (the normal approximation and the plug-in
 * variance), as in Johari et al.
 *
 * Example (α 0.05, τ 0.02): estimate 0.02, standard error 0.01 → V = 1e-4,
 * V + τ² = 5e-4; Λ = √0.2 · e^(4e-4 · 4e-4 / (2 · 1e-4 · 5e-4)) = 0.4472136 · e^1.6
 * ≈ 2.215063, p ≈ 0.451454; half-width = √(2.5e-4 · (ln 20 + ½ ln 5))
 * = √(2.5e-4 · 3.800451) ≈ 0.030824, interval [−0.010824, 0.050824].
 *
 * A standard error of 0 (neither arm varies yet) or Infinity carries no usable
 * information: Λ 1, p 1, interval (−∞, ∞). Throws STATISTICS_INPUT_INVALID for
 * a non-finite estimate, a negative or NaN standard error, alpha outside
 * (0, 1), or a tau that is not finite and > 0.
 */
export function mixtureSequentialTest(estimate: number, standardError: number, options: SequentialOptions): SequentialResult {
  checkFinite(estimate, 'estimate');
  if (typeof standardError !== 'number' || !(standardError >= 0)) invalid(`standardError must be a number ≥ 0, got ${standardError}`);
  checkSequentialOptions(options);
  const { alpha, tau } = options;
  const v = standardError * standardError;
  if (v === 0 || !Number.isFinite(v)) {
    return {
      estimate,
      standardError,
      lower: Number.NEGATIVE_INFINITY,
      upper: Number.POSITIVE_INFINITY,
      likelihoodRatio: 1,
      logLikelihoodRatio: 0,
      pValue: 1,
    };
  }
  const tau2 = tau * tau;
  // ln((V+τ²)/V) by log1p: τ² is often far larger than V late in an experiment.
  const logInflation = Math.log1p(tau2 / v);
  const logLikelihoodRatio = -0.5 * logInflation + (estimate * estimate * tau2) / (2 * v * (v + tau2));
  const halfWidth = Math.sqrt(((2 * v * (v + tau2)) / tau2) * (Math.log(1 / alpha) + 0.5 * logInflation));
  return {
    estimate,
    standardError,
    lower: estimate - halfWidth,
    upper: estimate + halfWidth,
    likelihoodRatio: Math.exp(logLikelihoodRatio),
    logLikelihoodRatio,
    pValue: Math.min(1, Math.exp(-logLikelihoodRatio)),
  };
}

export function checkSequentialOptions(options: SequentialOptions): void {
  const { alpha, tau } = options ?? ({} as SequentialOptions);
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) invalid(`alpha must be in (0, 1), got ${alpha}`);
  if (typeof tau !== 'number' || !(tau > 0 && Number.isFinite(tau))) invalid(`tau must be a finite number > 0, got ${tau}`);
}
