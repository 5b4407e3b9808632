import { invalid } from './input-checks.ts';

/**
 * τ for the primary metric, in its units. Plan acceptance is a rate near
 * 0.9–0.95 whose interesting effects are 1–3 percentage points: τ = 0.015
 * puts the mixture's mass there, and is close to tauForHorizon at ~3,000
 * units per arm (standard error ≈ 0.0053 at p = 0.95 → τ ≈ 0.015), the size
 * of a 5% experiment's treatment arm after a few weeks.
 *
 * Guardrails (edits, validator interventions, latency p95, cost per plan)
 * have no universal scale: use τ = their non-inferiority margin. A margin is
 * normally chosen so the planned sample resolves it, i.e. margin ≈ 2.5–3 ×
 * the planned standard error, which is where tauForHorizon puts τ (2.87 × at
 * α 0.05), so the confidence sequence is near its narrowest when the
 * experiment is due to end.
 */
export const SUGGESTED_TAU = Object.freeze({ acceptanceRate: 0.015 });

/**
 * The τ that makes the normal-mixture confidence sequence narrowest when the
 * standard error reaches `standardError` (the one expected at the planned
 * sample size): Howard et al. (2021) tune their mixture's ρ the same way
 * (narrowest boundary at a chosen intrinsic time). Derived in this
 * parametrization: with r = τ²/V the squared half-width is
 * 2V (1 + 1/r)(ln(1/α) + ½ ln(1 + r)); setting its derivative in r to 0 gives
 * r = 2 ln(1/α) + ln(1 + r), solved by fixed-point iteration (a contraction:
 * the right side's slope 1/(1 + r) is below 1). At α 0.05, r ≈ 8.211968 and
 * τ ≈ 2.865653 × standardError.
 */
export function tauForHorizon(standardError: number, alpha: number): number {
  if (typeof standardError !== 'number' || !(standardError > 0 && Number.isFinite(standardError))) {
    invalid(`standardError must be a finite number > 0, got ${standardError}`);
  }
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) invalid(`alpha must be in (0, 1), got ${alpha}`);
  const twoLogInverseAlpha = 2 * Math.log(1 / alpha);
  let r = twoLogInverseAlpha + 1;
  for (let i = 0; i < 200; i++) {
    const next = twoLogInverseAlpha + Math.log1p(r);
    if (Math.abs(next - r) <= 1e-15 * next) break;
    r = next;
  }
  return standardError * Math.sqrt(r);
}
