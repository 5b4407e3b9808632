import { type BootstrapOptions, type MeanInterval, percentileInterval, resampledMeans, resolveBootstrapOptions } from './bootstrap.ts';
import { mean } from './descriptive.ts';
import { EvaluationError } from './evaluation-error.ts';
import { OFFLINE_SCORE_VERSION, offlineScore } from './offline-score.ts';
import { METRICS, type MetricName, type RowMetrics } from './row-metrics.ts';
import { differences } from './sample-checks.ts';

/** One replayed row, scored for both policies. */
export interface PairedRow {
  candidate: RowMetrics;
  baseline: RowMetrics;
}

export interface MetricComparison {
  higherIsBetter: boolean;
  /** Mean over rows with its bootstrap interval. */
  candidate: MeanInterval;
  baseline: MeanInterval;
  /** Mean per-row difference candidate − baseline (raw, not oriented) with its paired bootstrap interval. */
  difference: MeanInterval;
}

export interface AggregateMetrics {
  rows: number;
  seed: number;
  resamples: number;
  confidence: number;
  offline_score_version: string;
  /** Every metric of METRICS, in that order. */
  metrics: Record<MetricName, MetricComparison>;
  /** The offline score (per-row `offlineScore`, then the same summary as a metric). */
  offline_score: MetricComparison;
}

/** Values are rounded to this many decimals, so equal inputs serialise byte-identically whatever the platform's last-bit arithmetic. */
const DECIMALS = 6;
const SCALE = 10 ** DECIMALS;

function round(value: number): number {
  // + 0 turns −0 into 0: JSON prints both as 0, but deepEqual and Object.is do not agree.
  return Math.round(value * SCALE) / SCALE + 0;
}

function rounded(interval: MeanInterval): MeanInterval {
  return { estimate: round(interval.estimate), low: round(interval.low), high: round(interval.high) };
}

/**
 * Summarises a replay: for every metric (and the offline score) the candidate's
 * and the baseline's mean with a percentile-bootstrap interval, and the mean
 * paired difference with its interval. All intervals come from one shared
 * stream of resampled rows (see `resampledMeans`), so each equals what
 * `bootstrapMeanInterval` / `pairedBootstrapDifference` give for that column
 * with the same seed. Same rows and seed → byte-identical `JSON.stringify`
 * (numbers rounded to 6 decimals, keys in a fixed order).
 * Throws STATISTICS_INPUT_INVALID for no rows or a non-finite metric value.
 */
export function aggregateMetrics(rows: readonly PairedRow[], options: BootstrapOptions): AggregateMetrics {
  const { seed, resamples, confidence } = resolveBootstrapOptions(options);
  if (rows.length === 0) throw new EvaluationError('STATISTICS_INPUT_INVALID', 'rows is empty: nothing to aggregate');

  const columnOf = (role: 'candidate' | 'baseline', name: MetricName) =>
    rows.map((row, i) => {
      const value = row[role][name];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new EvaluationError('STATISTICS_INPUT_INVALID', `rows[${i}].${role}.${name} must be a finite number, got ${value}`);
      }
      return value;
    });

  // Per summary: candidate, baseline, candidate − baseline columns, the offline score last.
  const triples: Array<[number[], number[], number[]]> = [];
  for (const { name } of METRICS) triples.push(triple(columnOf('candidate', name), columnOf('baseline', name)));
  triples.push(
    triple(
      rows.map((row) => offlineScore(row.candidate)),
      rows.map((row) => offlineScore(row.baseline)),
    ),
  );
  const means = resampledMeans(triples.flat(), seed, resamples);

  const summaries = triples.map(([candidate, baseline, difference], k): Omit<MetricComparison, 'higherIsBetter'> => {
    const interval = (values: number[], offset: number) =>
      rounded(percentileInterval(mean(values), means[3 * k + offset] as Float64Array, confidence));
    return { candidate: interval(candidate, 0), baseline: interval(baseline, 1), difference: interval(difference, 2) };
  });

  const metrics = {} as Record<MetricName, MetricComparison>;
  METRICS.forEach(({ name, higherIsBetter }, k) => {
    metrics[name] = { higherIsBetter, ...(summaries[k] as Omit<MetricComparison, 'higherIsBetter'>) };
  });
  return {
    rows: rows.length,
    seed,
    resamples,
    confidence,
    offline_score_version: OFFLINE_SCORE_VERSION,
    metrics,
    offline_score: { higherIsBetter: true, ...(summaries[METRICS.length] as Omit<MetricComparison, 'higherIsBetter'>) },
  };
}

function triple(candidate: number[], baseline: number[]): [number[], number[], number[]] {
  return [candidate, baseline, differences(candidate, baseline)];
}
