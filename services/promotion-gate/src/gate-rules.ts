import { holmAdjust, mean, pairedNonInferiorityTest, type RowMetrics } from '@planner/evaluation';
import type { GateConfig } from './gate-config.ts';

/** One replayed row as the gate sees it: both policies' metrics and offline scores. */
export interface PairedResult {
  row_id: string;
  candidate: { metrics: RowMetrics; offline_score: number };
  baseline: { metrics: RowMetrics; offline_score: number };
}

export interface RuleResult {
  rule: string;
  passed: boolean;
  /** Estimate, test, p-values, margin and threshold, in words. */
  detail: string;
  evidence: Record<string, number | string | null>;
}

/** The non-inferiority family of seed §6.1: the offline score and "no significant degradation" in these. */
const FAMILY = [
  { rule: 'offline_score_not_below_baseline', metric: 'offline_score', higherIsBetter: true },
  { rule: 'plan_alignment_not_degraded', metric: 'plan_alignment', higherIsBetter: true },
  { rule: 'edit_prediction_not_degraded', metric: 'edit_rate', higherIsBetter: false },
  { rule: 'latency_not_degraded', metric: 'latency_ms', higherIsBetter: false },
  { rule: 'cost_not_degraded', metric: 'cost_usd', higherIsBetter: false },
] as const;

const f = (x: number) => Number(x.toPrecision(6));

/**
 * Seed §6.1 on the paired rows of one replay:
 * - constraint respect must be exactly 100%: every candidate row has
 *   constraint_respect 1 (a failed row counts as violating);
 * - the offline score and plan alignment (higher is better), edit rate,
 *   latency and cost (lower is better) must each show non-inferiority: a
 *   one-sided paired t-test of "the candidate is worse by at least the
 *   margin", Holm-adjusted over the five, rejected at alpha. "Offline score
 *   ≥ baseline" is read this way rather than as a comparison of two means,
 *   which a candidate within noise of the baseline would fail by chance.
 */
export function evaluateRules(pairs: readonly PairedResult[], config: GateConfig): RuleResult[] {
  const violating = pairs.filter((p) => p.candidate.metrics.constraint_respect !== 1).length;
  const results: RuleResult[] = [
    {
      rule: 'constraint_respect_is_100_percent',
      passed: pairs.length > 0 && violating === 0,
      detail:
        violating === 0
          ? `all ${pairs.length} candidate rows respect every constraint`
          : `${violating} of ${pairs.length} candidate rows break a constraint (${f((100 * (pairs.length - violating)) / pairs.length)}% respect; 100% required)`,
      evidence: { rows: pairs.length, violating_rows: violating },
    },
  ];
  const column = (role: 'candidate' | 'baseline', metric: string) =>
    pairs.map((p) => (metric === 'offline_score' ? p[role].offline_score : p[role].metrics[metric as keyof RowMetrics]));
  const tests = FAMILY.map((item) => ({
    ...item,
    margin: config.margins[item.metric],
    candidateMean: mean(column('candidate', item.metric)),
    baselineMean: mean(column('baseline', item.metric)),
    test: pairedNonInferiorityTest(column('candidate', item.metric), column('baseline', item.metric), {
      margin: config.margins[item.metric],
      higherIsBetter: item.higherIsBetter,
    }),
  }));
  const adjusted = holmAdjust(tests.map((t) => t.test.pValue));
  tests.forEach((t, i) => {
    const p = adjusted[i] as number;
    const passed = p < config.alpha;
    results.push({
      rule: t.rule,
      passed,
      detail:
        `${t.metric}: candidate ${f(t.candidateMean)} vs baseline ${f(t.baselineMean)} (difference ${f(t.test.meanDifference)}, ` +
        `${t.higherIsBetter ? 'higher' : 'lower'} is better); non-inferiority margin ${t.margin}: t ${t.test.t === null ? 'n/a' : f(t.test.t)}, ` +
        `p ${f(t.test.pValue)}, Holm-adjusted ${f(p)} ${passed ? '<' : '≥'} alpha ${config.alpha}`,
      evidence: {
        metric: t.metric,
        candidate_mean: t.candidateMean,
        baseline_mean: t.baselineMean,
        mean_difference: t.test.meanDifference,
        std_error: t.test.stdError,
        t: t.test.t,
        df: t.test.df,
        p_value: t.test.pValue,
        p_adjusted: p,
        margin: t.margin,
        alpha: config.alpha,
      },
    });
  });
  return results;
}
