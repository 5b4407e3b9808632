import { checkCount, invalid } from './input-checks.ts';
import { normalDensity, normalQuantile } from './normal-distribution.ts';

/**
 * Hall & Sheather (1988), "On the distribution of a studentized quantile"
 * (J. R. Statist. Soc. B 50): the bandwidth h for estimating the sparsity
 * 1/f(x_q) by the difference quotient (x_{q+h} − x_{q−h})/(2h) (Siddiqui 1960),
 * chosen for the coverage of intervals at level 1 − α (the rule R's quantreg uses;
 * Koenker, Quantile Regression, 2005):
 *   h = n^(−1/3) · z_{1−α/2}^(2/3) · (1.5 φ(z_q)² / (2 z_q² + 1))^(1/3),  z_q = Φ⁻¹(q).
 *
 * Example: n 1000, q 0.5, α 0.05: z_q = 0, φ(0)² = 1/(2π) ≈ 0.1591549;
 * h = 0.1 · 1.959964^(2/3) · (0.2387324)^(1/3) = 0.1 · 1.566145 · 0.620350 ≈ 0.097156.
 */
export function hallSheatherBandwidth(n: number, q: number, alpha = 0.05): number {
  checkCount(n, 'n', 1);
  if (typeof q !== 'number' || !(q > 0 && q < 1)) invalid(`q must be in (0, 1), got ${q}`);
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) invalid(`alpha must be in (0, 1), got ${alpha}`);
  const zq = normalQuantile(q);
  const density = normalDensity(zq);
  const zAlpha = normalQuantile(1 - alpha / 2);
  return n ** (-1 / 3) * zAlpha ** (2 / 3) * ((1.5 * density * density) / (2 * zq * zq + 1)) ** (1 / 3);
}
