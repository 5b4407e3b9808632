export const REGIONS = ['north', 'south', 'east', 'west'] as const;
export type Region = (typeof REGIONS)[number];

export const MIN_HOUSEHOLD_SIZE = 1;
export const MAX_HOUSEHOLD_SIZE = 6;

/** Size bands: the unit the product segments on (and the hidden preferences vary by). */
export type SizeBand = 'single' | 'couple' | 'family' | 'large';

export interface Household {
  household_id: string;
  region: Region;
  /** People eating, 1..6; every recipe is cooked for all of them. */
  size: number;
  /** `<region>-<size band>`, e.g. `north-family`; derived, stored so tables and dashboards can group on it. */
  segment: string;
  /** UTC milliseconds. */
  created_at: number;
}

/** 1 → single, 2 → couple, 3–4 → family, 5–6 → large. */
export function sizeBand(size: number): SizeBand {
  if (size <= 1) return 'single';
  if (size === 2) return 'couple';
  if (size <= 4) return 'family';
  return 'large';
}

export function segmentOf(region: Region, size: number): string {
  return `${region}-${sizeBand(size)}`;
}
