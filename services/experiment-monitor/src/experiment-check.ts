import {
  type ArmSummary,
  cuped,
  differenceOfMeans,
  histogramQuantile,
  type Moments,
  mixtureSequentialTest,
  quantileStandardError,
  type SequentialResult,
  sampleRatioMismatch,
  sequentialNonInferiority,
  summarize,
} from '@planner/online-statistics';
import type { SequentialEvidence, VariantMetrics } from '@planner/schemas';
import type { CheckInputs, VariantInputs } from './check-inputs.ts';
import type { MonitorConfig } from './config.ts';
import type { CheckStatus } from './tables.ts';

/** What a check judges by: the monitor's configuration of its tests. */
export type CheckSettings = Pick<
  MonitorConfig,
  'alpha' | 'tauAcceptance' | 'margins' | 'minUnitsPerArm' | 'minDurationSeconds' | 'maxUnitsPerArm' | 'srmGraceSeconds'
>;

/** A check's result, shaped as experiment.checked carries it. */
export interface CheckEvidence {
  experiment_id: string;
  status: CheckStatus;
  reasons: string[];
  treatment_allocation: number;
  variants: VariantMetrics[];
  primary: SequentialEvidence | null;
  guardrails: SequentialEvidence[];
  srm_p_value: number | null;
  srm_statistic: number | null;
  cuped_variance_reduction: number | null;
  cuped_theta: number | null;
  alpha: number;
}

const mean = (m: Moments) => (m.n > 0 ? m.sum / m.n : 0);
const quantile = (counts: readonly number[], q: number) => (counts.some((c) => c > 0) ? histogramQuantile(counts, q) : 0);

function variantMetrics(v: VariantInputs): VariantMetrics {
  return {
    variant_id: v.variant_id,
    role: v.role,
    units: v.units,
    exposures: v.exposures,
    plans: v.plans,
    acceptance_rate: v.acceptance.n > 0 ? v.acceptance.sumY / v.acceptance.n : 0,
    edits_per_plan: mean(v.edits),
    interventions_per_plan: mean(v.interventions),
    latency_p50_ms: quantile(v.latencyCounts, 0.5),
    latency_p95_ms: quantile(v.latencyCounts, 0.95),
    latency_p99_ms: quantile(v.latencyCounts, 0.99),
    cost_per_plan_usd: mean(v.cost),
    fallbacks: v.fallbacks,
  };
}

/**
 * A difference known without error (both arms constant, e.g. no intervention
 * anywhere) has no confidence sequence to compute: its bounds are the value.
 */
function sequential(estimate: number, standardError: number, alpha: number, tau: number): SequentialResult {
  if (!(standardError > 0)) {
    const exact = estimate === 0;
    return {
      estimate,
      standardError: 0,
      lower: estimate,
      upper: estimate,
      likelihoodRatio: exact ? 1 : Number.POSITIVE_INFINITY,
      logLikelihoodRatio: exact ? 0 : Number.POSITIVE_INFINITY,
      pValue: exact ? 1 : 0,
    };
  }
  return mixtureSequentialTest(estimate, standardError, { alpha, tau });
}

function guardrail(
  metric: string,
  difference: { estimate: number; standardError: number },
  margin: number,
  alpha: number,
): SequentialEvidence {
  const result =
    difference.standardError > 0
      ? sequentialNonInferiority(difference.estimate, difference.standardError, margin, { alpha, tau: margin })
      : {
          ...sequential(difference.estimate, 0, alpha, margin),
          verdict: difference.estimate > margin ? 'breached' : 'non_inferior',
        };
  return {
    metric,
    estimate: result.estimate,
    lower: result.lower,
    upper: result.upper,
    p_value: result.pValue,
    margin,
    verdict: result.verdict,
  };
}

/**
 * Each arm's variance, at least the pooled one. With few households and a rate
 * near 0 or 1, one arm often has no variation at all (every household
 * accepted); Welch's standard error would then rest on the other arm alone and
 * call a two-household difference certain. The pooled variance as a floor
 * prevents that, and never makes the error smaller than Welch's when the arms
 * really differ in spread (a small treatment arm at 5%).
 */
function pooled(treatment: ArmSummary, control: ArmSummary): [ArmSummary, ArmSummary] {
  const variance = ((treatment.n - 1) * treatment.variance + (control.n - 1) * control.variance) / (treatment.n + control.n - 2);
  return [
    { ...treatment, variance: Math.max(treatment.variance, variance) },
    { ...control, variance: Math.max(control.variance, variance) },
  ];
}

function armDifference(treatment: Moments, control: Moments): { estimate: number; standardError: number } | undefined {
  if (treatment.n < 2 || control.n < 2) return undefined;
  return differenceOfMeans(...pooled(summarize(treatment), summarize(control)));
}

const fixed = (x: number) => (Math.abs(x) >= 0.001 || x === 0 ? x.toFixed(4) : x.toExponential(2));

/**
 * One check of a running experiment, in this order: below the minimum sample
 * or duration it is `collecting`; then a sample-ratio mismatch (p < 0.001)
 * makes every other number untrustworthy, so it wins; then a guardrail
 * confidently worse than its margin; then the primary metric's always-valid
 * test (CUPED-adjusted acceptance rate): worse, better; with the planned
 * sample reached and nothing decided, `inconclusive`; otherwise `healthy`.
 * Every test uses confidence sequences, so this may run after every batch of
 * events without inflating its error rate.
 */
export function evaluateExperiment(inputs: CheckInputs, settings: CheckSettings, nowMs: number): CheckEvidence {
  const { control, treatment, alpha } = { ...inputs, alpha: settings.alpha };
  const variants = [variantMetrics(control), variantMetrics(treatment)];
  const srmEpochs = inputs.epochs
    .filter((e) => e.treatment + e.control > 0)
    .map((e) => ({ observed: [e.treatment, e.control], shares: [e.treatment_allocation, 1 - e.treatment_allocation] }));
  const srm = srmEpochs.length > 0 ? sampleRatioMismatch(srmEpochs) : undefined;
  const base = {
    experiment_id: inputs.experiment_id,
    treatment_allocation: inputs.treatment_allocation,
    variants,
    srm_p_value: srm?.pValue ?? null,
    srm_statistic: srm?.statistic ?? null,
    alpha,
  };
  const durationSeconds = (nowMs - inputs.started_at.getTime()) / 1000;
  const smallest = Math.min(control.units, treatment.units);
  if (smallest < settings.minUnitsPerArm || durationSeconds < settings.minDurationSeconds) {
    return {
      ...base,
      status: 'collecting',
      reasons: [
        `${smallest} of ${settings.minUnitsPerArm} households in the smaller arm; ${Math.floor(durationSeconds)} of ${settings.minDurationSeconds} s`,
      ],
      primary: null,
      guardrails: [],
      cuped_variance_reduction: null,
      cuped_theta: null,
    };
  }

  const adjusted = cuped(treatment.acceptance, control.acceptance);
  const difference = differenceOfMeans(...pooled(adjusted.treatment, adjusted.control));
  const test = sequential(difference.estimate, difference.standardError, alpha, settings.tauAcceptance);
  const pValue = Math.min(inputs.min_p_value, test.pValue);
  const primaryVerdict = test.lower > 0 ? 'better' : test.upper < 0 ? 'worse' : 'undecided';
  const primary: SequentialEvidence = {
    metric: 'acceptance_rate',
    estimate: test.estimate,
    lower: test.lower,
    upper: test.upper,
    p_value: pValue,
    margin: null,
    verdict: primaryVerdict,
  };

  const guardrails: SequentialEvidence[] = [];
  const m = settings.margins;
  for (const [metric, t, c, margin] of [
    ['edits_per_plan', treatment.edits, control.edits, m.edits_per_plan],
    ['interventions_per_plan', treatment.interventions, control.interventions, m.interventions_per_plan],
    ['cost_per_plan_usd', treatment.cost, control.cost, m.cost_per_plan_usd],
  ] as const) {
    const d = armDifference(t, c);
    if (d) guardrails.push(guardrail(metric, d, margin, alpha));
  }
  const tCounts = treatment.latencyCounts;
  const cCounts = control.latencyCounts;
  if (tCounts.reduce((a, b) => a + b, 0) >= 2 && cCounts.reduce((a, b) => a + b, 0) >= 2) {
    const estimate = histogramQuantile(tCounts, 0.95) - histogramQuantile(cCounts, 0.95);
    const standardError = Math.hypot(quantileStandardError(tCounts, 0.95), quantileStandardError(cCounts, 0.95));
    guardrails.push(guardrail('latency_p95_ms', { estimate, standardError }, m.latency_p95_ms, alpha));
  }

  const reasons: string[] = [];
  let status: CheckStatus;
  const breached = guardrails.filter((g) => g.verdict === 'breached');
  if (srm?.mismatch) {
    status = 'srm';
    reasons.push(
      `exposures do not follow the allocation: χ² ${srm.statistic.toFixed(2)} on ${srm.degreesOfFreedom} df, p ${srm.pValue.toExponential(2)} < 0.001`,
    );
  } else if (breached.length > 0) {
    status = 'guardrail_breached';
    for (const g of breached) reasons.push(`${g.metric}: treatment − control ≥ ${fixed(g.lower)} > margin ${fixed(g.margin as number)}`);
  } else if (primaryVerdict === 'worse') {
    status = 'treatment_worse';
    reasons.push(`acceptance_rate: treatment − control in [${fixed(test.lower)}, ${fixed(test.upper)}], below 0`);
  } else if (primaryVerdict === 'better') {
    status = 'treatment_better';
    reasons.push(`acceptance_rate: treatment − control in [${fixed(test.lower)}, ${fixed(test.upper)}], above 0`);
  } else if (smallest >= settings.maxUnitsPerArm) {
    status = 'inconclusive';
    reasons.push(`${smallest} households per arm, the planned sample, and acceptance_rate undecided`);
  } else {
    status = 'healthy';
    reasons.push(`acceptance_rate: undecided, [${fixed(test.lower)}, ${fixed(test.upper)}] covers 0`);
  }
  return {
    ...base,
    status,
    reasons,
    primary,
    guardrails,
    cuped_variance_reduction: adjusted.varianceReduction,
    cuped_theta: adjusted.theta,
  };
}
