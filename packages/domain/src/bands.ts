import { DAYS_PER_WEEK, MEAL_SLOTS } from './weekly-plan.ts';

/**
 * The coarse bands tokens use. Household-side and recipe-side bands share cut
 * points (a `budget=low` household can afford `cost=low` recipes), so a model
 * crossing the two sides can learn "this household wants cheap food".
 */
export type CostBand = 'low' | 'mid' | 'high';
export type PrepBand = 'quick' | 'medium' | 'long';
export type MaxPrepBand = '15' | '30' | '45' | '60';

/** USD per serving: < 3 low, < 6 mid, otherwise high. */
export function costBand(usdPerServing: number): CostBand {
  if (usdPerServing < 3) return 'low';
  if (usdPerServing < 6) return 'mid';
  return 'high';
}

/** Minutes: ≤ 20 quick, ≤ 40 medium, otherwise long. */
export function prepBand(minutes: number): PrepBand {
  if (minutes <= 20) return 'quick';
  if (minutes <= 40) return 'medium';
  return 'long';
}

/**
 * The weekly budget per serving (budget ÷ (size × 21 meals)), banded like
 * recipe costs: what one planned serving may cost on average.
 */
export function budgetBand(weeklyBudgetUsd: number, householdSize: number): CostBand {
  return costBand(weeklyBudgetUsd / (householdSize * DAYS_PER_WEEK * MEAL_SLOTS.length));
}

/** A prep-time ceiling floored to 15, 30, 45 or 60 minutes (below 15 reads 15, above 60 reads 60). */
export function maxPrepBand(minutes: number): MaxPrepBand {
  if (minutes >= 60) return '60';
  if (minutes >= 45) return '45';
  if (minutes >= 30) return '30';
  return '15';
}
