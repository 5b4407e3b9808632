import type { Constraints } from '../constraints.ts';
import { type Household, type Region, segmentOf } from '../household.ts';
import { SeededRandom } from './seeded-random.ts';

export interface SyntheticHousehold {
  household: Household;
  constraints: Constraints;
}

/** 2026-01-05T00:00:00Z, a Monday: the default start of synthetic time. */
export const DEFAULT_WORLD_START_MS = 1_767_571_200_000;

const DAY_MS = 86_400_000;

const REGION_WEIGHTS: ReadonlyArray<readonly [Region, number]> = [
  ['north', 0.3],
  ['south', 0.25],
  ['east', 0.25],
  ['west', 0.2],
];

const SIZE_WEIGHTS: ReadonlyArray<readonly [number, number]> = [
  [1, 0.2],
  [2, 0.3],
  [3, 0.18],
  [4, 0.17],
  [5, 0.1],
  [6, 0.05],
];

/** Roughly the prevalence ordering of food allergies. */
const ALLERGY_WEIGHTS: ReadonlyArray<readonly [string, number]> = [
  ['peanut', 0.2],
  ['tree_nut', 0.15],
  ['dairy', 0.15],
  ['gluten', 0.12],
  ['egg', 0.1],
  ['shellfish', 0.1],
  ['fish', 0.06],
  ['soy', 0.06],
  ['sesame', 0.06],
];

const DIET_WEIGHTS: ReadonlyArray<readonly [null | string, number]> = [
  [null, 0.7],
  ['vegetarian', 0.12],
  ['vegan', 0.05],
  ['gluten_free', 0.07],
  ['dairy_free', 0.06],
];

const MAX_PREP_WEIGHTS: ReadonlyArray<readonly [number, number]> = [
  [20, 0.2],
  [30, 0.35],
  [45, 0.3],
  [60, 0.15],
];

const COMMONLY_EXCLUDED = [
  'mushroom',
  'cilantro',
  'olive',
  'eggplant',
  'tofu',
  'beef',
  'pork',
  'shrimp',
  'bell_pepper',
  'chili',
  'coconut_milk',
  'lamb',
];

/** Rates of the constraint draws (documented in the README). */
export const HOUSEHOLD_RATES = { allergy: 0.2, secondAllergy: 0.2, budget: 0.45, maxPrep: 0.45, excluded: 0.25 } as const;

export function householdId(index: number): string {
  return `hh-${String(index + 1).padStart(6, '0')}`;
}

/**
 * Household `index` of the world `seed`, drawn from its own stream: any one
 * household can be rebuilt without the others, so a million-household world
 * never has to sit in memory.
 */
export function generateHousehold(seed: number, index: number, createdBeforeMs: number = DEFAULT_WORLD_START_MS): SyntheticHousehold {
  const rng = SeededRandom.derive(seed, 'household', index);
  const id = householdId(index);
  const region = rng.weighted(REGION_WEIGHTS);
  const size = rng.weighted(SIZE_WEIGHTS);
  const createdAt = Math.max(0, createdBeforeMs - rng.int(1, 540) * DAY_MS - rng.int(0, DAY_MS - 1));

  const allergies: string[] = [];
  if (rng.chance(HOUSEHOLD_RATES.allergy)) {
    allergies.push(rng.weighted(ALLERGY_WEIGHTS));
    if (rng.chance(HOUSEHOLD_RATES.secondAllergy)) {
      const second = rng.weighted(ALLERGY_WEIGHTS);
      if (!allergies.includes(second)) allergies.push(second);
    }
  }
  const diet = rng.weighted(DIET_WEIGHTS);
  // Budgets range from tight (≈ 3.2 USD a serving: only cheap recipes fit) to comfortable (8 USD).
  const weeklyBudget = rng.chance(HOUSEHOLD_RATES.budget) ? Math.round(rng.between(3.2, 8) * size * 21) : null;
  const maxPrep = rng.chance(HOUSEHOLD_RATES.maxPrep) ? rng.weighted(MAX_PREP_WEIGHTS) : null;
  const excluded = rng.chance(HOUSEHOLD_RATES.excluded) ? rng.sample(COMMONLY_EXCLUDED, rng.int(1, 2)) : [];

  return {
    household: { household_id: id, region, size, segment: segmentOf(region, size), created_at: createdAt },
    constraints: {
      household_id: id,
      allergies: allergies.sort(),
      diet,
      weekly_budget_usd: weeklyBudget,
      max_prep_minutes: maxPrep,
      excluded_ingredients: excluded.sort(),
    },
  };
}

/** Households 0..count−1 of the world `seed`; for large worlds iterate generateHousehold instead. */
export function generateHouseholds(seed: number, count: number, createdBeforeMs: number = DEFAULT_WORLD_START_MS): SyntheticHousehold[] {
  return Array.from({ length: count }, (_, index) => generateHousehold(seed, index, createdBeforeMs));
}
