import { createHash } from 'node:crypto';
import type { DatasetSplit } from './training-columns.ts';

/** Shares of households per split; evaluation takes the rest. */
export const SPLIT_SHARES = { train: 0.8, validation: 0.1 } as const;

/**
 * Assigns a household to a split from a hash of the seed and its id alone, so
 * every plan of a household lands in the same split (no leakage between
 * train and evaluation) and the assignment never depends on row order.
 */
export function splitOf(householdId: string, seed: number): DatasetSplit {
  const digest = createHash('sha256').update(`${seed}:${householdId}`).digest();
  const unit = digest.readUInt32BE(0) / 2 ** 32;
  if (unit < SPLIT_SHARES.train) return 'train';
  if (unit < SPLIT_SHARES.train + SPLIT_SHARES.validation) return 'validation';
  return 'evaluation';
}
