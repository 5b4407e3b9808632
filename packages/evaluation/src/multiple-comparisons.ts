import { checkOption, checkSample } from './sample-checks.ts';

/**
 * Holm–Bonferroni adjusted p-values, in the input's order. The gate tests
 * several metrics at once; comparing each adjusted p with α keeps the chance
 * of any false "no degradation" finding at most α (family-wise), with more
 * power than plain Bonferroni.
 *
 * Sort ascending p_(1) ≤ … ≤ p_(m); adjusted p_(i) = max over j ≤ i of
 * min(1, (m − j + 1) · p_(j)) — the running maximum keeps the order monotone.
 * Worked example [0.01, 0.04, 0.03, 0.005] (m = 4): sorted 0.005 · 4 = 0.02,
 * 0.01 · 3 = 0.03, 0.03 · 2 = 0.06, 0.04 · 1 = 0.04 → max(0.06, 0.04) = 0.06;
 * back in input order [0.03, 0.06, 0.06, 0.02]. Ties keep input order.
 * Throws STATISTICS_INPUT_INVALID for an empty list or a value outside [0, 1].
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  checkSample(pValues, 'pValues');
  pValues.forEach((p, i) => {
    checkOption(p >= 0 && p <= 1, `pValues[${i}] must lie in [0, 1], got ${p}`);
  });
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}
