import { normalizeTerm } from './term.ts';

export interface PantryItem {
  ingredient: string;
  quantity: number;
  unit: string;
  /** ISO date, YYYY-MM-DD (UTC). */
  expires_on: string;
}

export interface PantrySnapshot {
  household_id: string;
  /** UTC milliseconds. */
  taken_at: number;
  items: PantryItem[];
}

/** An item expiring within this many days of the planning instant should be used first. */
export const EXPIRING_WITHIN_DAYS = 3;

const DAY_MS = 86_400_000;

/** Parsed dates: a generated world repeats a few hundred expiry dates millions of times. */
const dayNumbers = new Map<string, number>();
const DAY_NUMBERS_LIMIT = 10_000;

function dayNumber(isoDate: string): number {
  let day = dayNumbers.get(isoDate);
  if (day === undefined) {
    day = Math.round(Date.parse(`${isoDate}T00:00:00Z`) / DAY_MS);
    if (dayNumbers.size >= DAY_NUMBERS_LIMIT) dayNumbers.clear();
    dayNumbers.set(isoDate, day);
  }
  return day;
}

/** Whole days from the UTC date of `asOfMs` to `isoDate`: 0 = expires today, −1 = expired yesterday. */
export function daysUntil(isoDate: string, asOfMs: number): number {
  return dayNumber(isoDate) - Math.floor(asOfMs / DAY_MS);
}

export interface PantryStatus {
  /** Normalised ingredients with a positive quantity that have not expired, sorted, deduplicated. */
  present: string[];
  /** The subset of `present` expiring within EXPIRING_WITHIN_DAYS days, sorted. */
  expiring: string[];
}

/**
 * What the planner may use: expired or empty items are gone (the household
 * throws them out), so neither the codec's tokens nor the baseline count them.
 */
export function pantryStatus(pantry: PantrySnapshot, asOfMs: number): PantryStatus {
  const present = new Set<string>();
  const expiring = new Set<string>();
  for (const item of pantry.items) {
    if (!(item.quantity > 0)) continue;
    const days = daysUntil(item.expires_on, asOfMs);
    if (days < 0) continue;
    const term = normalizeTerm(item.ingredient);
    present.add(term);
    if (days <= EXPIRING_WITHIN_DAYS) expiring.add(term);
  }
  return { present: [...present].sort(), expiring: [...expiring].sort() };
}
