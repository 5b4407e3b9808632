export { type ArmSummary, type Moments, summarize } from './arm-summary.ts';
export { type CupedMoments, type CupedResult, cuped } from './cuped.ts';
export { differenceOfMeans, type Estimate } from './difference-of-means.ts';
export { hallSheatherBandwidth } from './hall-sheather-bandwidth.ts';
export { histogramQuantile } from './histogram-quantile.ts';
export { bucketRange, checkLatencyCounts, LATENCY_HISTOGRAM, latencyBucket, mergeLatencyCounts } from './latency-histogram.ts';
export {
  DEFAULT_SEQUENTIAL,
  mixtureSequentialTest,
  type SequentialOptions,
  type SequentialResult,
} from './mixture-sequential-test.ts';
export { SUGGESTED_TAU, tauForHorizon } from './mixture-tau.ts';
export { normalDensity, normalQuantile } from './normal-distribution.ts';
export { quantileStandardError } from './quantile-standard-error.ts';
export { DEFAULT_SRM_THRESHOLD, type SrmEpoch, type SrmResult, sampleRatioMismatch } from './sample-ratio-mismatch.ts';
export {
  type NonInferiorityResult,
  type NonInferiorityVerdict,
  sequentialNonInferiority,
} from './sequential-non-inferiority.ts';
