import { AssignmentError } from './assignment-error.ts';
import { BUCKETS, bucketOf } from './bucket.ts';

/** Buckets `from` (included) to `to` (excluded). */
export interface BucketRange {
  from: number;
  to: number;
}

/** What serving a policy version takes: its model and the runtime to run it on. */
export interface PolicyServing {
  policy_version_id: string;
  /** `models:/<name>/<version>` for a registered model; null for the heuristic baseline. */
  model_uri: string | null;
  /** A policy-runtime spec (`{ kind: 'heuristic' }`, `{ kind: 'learned', model_uri }`, ...). */
  runtime: Record<string, unknown>;
}

export interface ActiveVariant extends PolicyServing {
  variant_id: string;
  role: 'control' | 'treatment';
  buckets: BucketRange;
}

export interface ActiveExperiment {
  experiment_id: string;
  salt: string;
  hash_version: number;
  variants: ActiveVariant[];
}

/**
 * Everything needed to assign a policy's units without asking anyone: the
 * production version and the running experiment, if any. The promotion-gate
 * serves it (`GET /v1/experiments/active`); upstream services cache it by ETag.
 */
export interface ActivePolicy {
  policy_id: string;
  production: PolicyServing;
  experiment: ActiveExperiment | null;
}

export interface Assignment extends PolicyServing {
  policy_id: string;
  /** null when no experiment runs: the unit gets the production version. */
  experiment_id: string | null;
  variant_id: string | null;
  hash_version: number | null;
}

/**
 * The treatment's buckets at an allocation: always [0, allocation × 10,000).
 * The range only grows with the allocation, so a unit in the treatment at 5%
 * stays in it at 10%, 25%, 50% and 100%; at 0 (a rollback) nobody is in it.
 */
export function treatmentBuckets(allocation: number): BucketRange {
  if (!Number.isFinite(allocation) || allocation < 0 || allocation > 1) {
    throw new AssignmentError('ALLOCATION_INVALID', `an allocation is a share from 0 to 1, got ${allocation}`);
  }
  return { from: 0, to: Math.round(allocation * BUCKETS) };
}

/** The control's buckets: everything the treatment does not have. */
export function controlBuckets(treatmentAllocation: number): BucketRange {
  return { from: treatmentBuckets(treatmentAllocation).to, to: BUCKETS };
}

/**
 * The unit's policy version. With a running experiment, the variant whose
 * buckets hold the unit's bucket; without one (none, or paused, or stopped:
 * only running experiments are in an ActivePolicy), the production version.
 * One experiment per policy runs at a time (decision 0010), so a unit is never
 * in two.
 */
export function assign(unitId: string, policy: ActivePolicy): Assignment {
  const { experiment } = policy;
  if (experiment) {
    const bucket = bucketOf(unitId, experiment.salt, experiment.hash_version);
    const variant = experiment.variants.find((v) => bucket >= v.buckets.from && bucket < v.buckets.to);
    if (variant) {
      return {
        policy_id: policy.policy_id,
        experiment_id: experiment.experiment_id,
        variant_id: variant.variant_id,
        policy_version_id: variant.policy_version_id,
        model_uri: variant.model_uri,
        runtime: variant.runtime,
        hash_version: experiment.hash_version,
      };
    }
  }
  return { policy_id: policy.policy_id, experiment_id: null, variant_id: null, hash_version: null, ...policy.production };
}
