import { createHash } from 'node:crypto';
import { canonicalize } from '@planner/domain';
import { OFFLINE_SCORE_VERSION } from '@planner/evaluation';
import type { PolicyRefRow } from './tables.ts';

export interface ReplayPins {
  candidate: PolicyRefRow;
  baseline: PolicyRefRow;
  datasetVersion: string;
  seed: number;
}

const hash = (value: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(canonicalize(value)))
    .digest('hex');

/** The replay id follows from its pins alone: the same pins are the same replay. */
export function replayIdOf(pins: ReplayPins): string {
  return `replay-${hash({ ...pins, score: OFFLINE_SCORE_VERSION }).slice(0, 24)}`;
}

/**
 * The key of one policy's results on one dataset version and seed. The
 * candidate and baseline of a replay each have one; a later replay with the
 * same baseline, dataset version and seed finds the baseline's rows done.
 */
export function resultKeyOf(policy: PolicyRefRow, datasetVersion: string, seed: number): string {
  return hash({ policy, datasetVersion, seed, score: OFFLINE_SCORE_VERSION });
}
