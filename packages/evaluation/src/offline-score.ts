import type { RowMetrics } from './row-metrics.ts';

/**
 * Stored next to every offline score (MLflow metric, replay table, gate
 * evidence): scores of different versions are not comparable, so a change to
 * the weights or the terms below must change this string.
 */
export const OFFLINE_SCORE_VERSION = 'offline-score/1';

/**
 * Weights of the offline score; they sum to 1, so the score lies in [0, 1].
 * Alignment with what users accepted dominates; constraint respect is also a
 * hard gate of its own, its weight here only ranks violating policies below
 * clean ones. Latency and cost are not in the score: they are gated
 * separately, in their own units.
 */
export const OFFLINE_SCORE_WEIGHTS = {
  plan_alignment: 0.45,
  meal_diversity: 0.1,
  leftovers_utility: 0.15,
  constraint_respect: 0.2,
  /** Applied to 1 − edit_rate, so every term rewards the higher value. */
  edit_rate: 0.1,
} as const;

/**
 * One row's offline score, higher is better, in [0, 1]:
 *
 *   0.45 · plan_alignment + 0.10 · meal_diversity + 0.15 · leftovers_utility
 *   + 0.20 · constraint_respect + 0.10 · (1 − edit_rate)
 *
 * Worked example (the row of `RowMetrics`' example, gluten-allergic household):
 * alignment 0.6, diversity 0.6, leftovers 2/3, constraint respect 0, edit rate 0.5 →
 * 0.27 + 0.06 + 0.10 + 0 + 0.05 = 0.48. A policy's offline score is the mean over rows.
 */
export function offlineScore(m: RowMetrics): number {
  const w = OFFLINE_SCORE_WEIGHTS;
  return (
    w.plan_alignment * m.plan_alignment +
    w.meal_diversity * m.meal_diversity +
    w.leftovers_utility * m.leftovers_utility +
    w.constraint_respect * m.constraint_respect +
    w.edit_rate * (1 - m.edit_rate)
  );
}
