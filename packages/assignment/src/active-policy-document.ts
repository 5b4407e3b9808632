import type { ActivePolicy, ActiveVariant, BucketRange, PolicyServing } from './active-policy.ts';
import { AssignmentError } from './assignment-error.ts';
import { BUCKETS, HASH_VERSION } from './bucket.ts';

type Json = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new AssignmentError('ACTIVE_POLICY_INVALID', `active policy document: ${path} ${message}`);
}

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'must be an object');
  return value as Json;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') fail(path, 'must be a non-empty string');
  return value;
}

function serving(value: unknown, path: string): PolicyServing {
  const o = object(value, path);
  const modelUri = o.model_uri;
  if (modelUri !== null && typeof modelUri !== 'string') fail(`${path}.model_uri`, 'must be a string or null');
  return {
    policy_version_id: text(o.policy_version_id, `${path}.policy_version_id`),
    model_uri: modelUri,
    runtime: object(o.runtime, `${path}.runtime`),
  };
}

function range(value: unknown, path: string): BucketRange {
  const o = object(value, path);
  const { from, to } = o;
  if (
    !Number.isInteger(from) ||
    !Number.isInteger(to) ||
    (from as number) < 0 ||
    (to as number) > BUCKETS ||
    (from as number) > (to as number)
  ) {
    fail(path, `must be whole buckets with 0 ≤ from ≤ to ≤ ${BUCKETS}, got ${JSON.stringify(o)}`);
  }
  return { from: from as number, to: to as number };
}

/**
 * Checks the gate's `GET /v1/experiments/active` answer before anything is
 * assigned with it. A hash version this code does not implement is refused:
 * assigning with the wrong hash would silently move households between variants.
 */
export function parseActivePolicy(value: unknown): ActivePolicy {
  const o = object(value, '(document)');
  const policy: ActivePolicy = {
    policy_id: text(o.policy_id, 'policy_id'),
    production: serving(o.production, 'production'),
    experiment: null,
  };
  if (o.experiment === null || o.experiment === undefined) return policy;
  const e = object(o.experiment, 'experiment');
  if (e.hash_version !== HASH_VERSION)
    fail('experiment.hash_version', `is ${JSON.stringify(e.hash_version)}; this code implements version ${HASH_VERSION}`);
  if (!Array.isArray(e.variants) || e.variants.length === 0) fail('experiment.variants', 'must be a non-empty array');
  const variants = e.variants.map((raw, i): ActiveVariant => {
    const path = `experiment.variants[${i}]`;
    const v = object(raw, path);
    if (v.role !== 'control' && v.role !== 'treatment') fail(`${path}.role`, `must be control or treatment, got ${JSON.stringify(v.role)}`);
    return {
      variant_id: text(v.variant_id, `${path}.variant_id`),
      role: v.role,
      buckets: range(v.buckets, `${path}.buckets`),
      ...serving(v, path),
    };
  });
  const sorted = [...variants].sort((a, b) => a.buckets.from - b.buckets.from);
  sorted.forEach((v, i) => {
    const next = sorted[i + 1];
    if (next !== undefined && next.buckets.from < v.buckets.to)
      fail('experiment.variants', `${v.variant_id} and ${next.variant_id} share buckets`);
  });
  return {
    ...policy,
    experiment: {
      experiment_id: text(e.experiment_id, 'experiment.experiment_id'),
      salt: text(e.salt, 'experiment.salt'),
      hash_version: HASH_VERSION,
      variants,
    },
  };
}
