export { type AggregateMetrics, aggregateMetrics, type MetricComparison, type PairedRow } from './aggregate.ts';
export {
  type BootstrapOptions,
  bootstrapMeanInterval,
  DEFAULT_CONFIDENCE,
  DEFAULT_RESAMPLES,
  type MeanInterval,
  pairedBootstrapDifference,
} from './bootstrap.ts';
export { type ChiSquareResult, chiSquareGoodnessOfFit } from './chi-square.ts';
export { mean, sampleStdDev } from './descriptive.ts';
export { EvaluationError, type EvaluationErrorCode } from './evaluation-error.ts';
export { holmAdjust } from './multiple-comparisons.ts';
export { OFFLINE_SCORE_VERSION, OFFLINE_SCORE_WEIGHTS, offlineScore } from './offline-score.ts';
export { type NonInferiorityOptions, type NonInferiorityResult, pairedNonInferiorityTest } from './paired-test.ts';
export { METRICS, type MetricName, type RowMetrics, type RowMetricsInput, rowMetrics, tasteSimilarity } from './row-metrics.ts';
export { logGamma, regularizedIncompleteBeta, regularizedUpperGamma } from './special-functions.ts';
export { studentTCdf } from './student-t.ts';
