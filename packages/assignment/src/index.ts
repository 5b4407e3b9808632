export {
  type ActiveExperiment,
  type ActivePolicy,
  type ActiveVariant,
  type Assignment,
  assign,
  type BucketRange,
  controlBuckets,
  type PolicyServing,
  treatmentBuckets,
} from './active-policy.ts';
export { parseActivePolicy } from './active-policy-document.ts';
export { AssignmentError, type AssignmentErrorCode } from './assignment-error.ts';
export { BUCKETS, bucketOf, HASH_VERSION } from './bucket.ts';
export { exposureEventId, OUTSIDE_EXPERIMENTS } from './exposure.ts';
export { MAX_UNIT_ID_LENGTH, parseUnitId } from './unit-id.ts';
