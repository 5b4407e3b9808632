import type { Constraints, Household, InputContext, MealSlot, Recipe, WeeklyPlan } from '@planner/domain';

/**
 * Small hand-made domain values the unit tests of several packages compute
 * their expectations from. Each default is part of those expectations: change
 * one and the tests that rely on it say so.
 */

/** 2026-01-05 12:00 UTC, a Monday. */
export const AS_OF = Date.UTC(2026, 0, 5, 12);

/** An Italian recipe for every slot, 15 minutes, 2 USD, no allergens, ingredients or diet tags unless overridden. */
export function recipe(overrides: Partial<Recipe> & Pick<Recipe, 'recipe_id'>): Recipe {
  return {
    title: overrides.recipe_id,
    cuisine: 'italian',
    ingredients: [],
    allergens: [],
    diet_tags: [],
    prep_minutes: 15,
    cost_per_serving: 2,
    meal_slots: ['breakfast', 'lunch', 'dinner'],
    ...overrides,
  };
}

/** No constraints at all unless overridden. */
export function constraints(overrides: Partial<Constraints> = {}): Constraints {
  return {
    household_id: 'hh-000001',
    allergies: [],
    diet: null,
    weekly_budget_usd: null,
    max_prep_minutes: null,
    excluded_ingredients: [],
    ...overrides,
  };
}

/** A north-region family of 3. */
export function household(overrides: Partial<Household> = {}): Household {
  return { household_id: 'hh-000001', region: 'north', size: 3, segment: 'north-family', created_at: 0, ...overrides };
}

/** The family of `household()` with an empty pantry and no constraints, planning at AS_OF, unless overridden. */
export function context(overrides: Partial<InputContext> = {}): InputContext {
  return {
    household: household(),
    pantry: { household_id: 'hh-000001', taken_at: AS_OF - 30_000, items: [] },
    constraints: constraints(),
    workflow_type: 'plan_first',
    mode: 'autopilot',
    previous_plan: null,
    as_of: AS_OF,
    ...overrides,
  };
}

/** A weekly plan from its days' meals; days numbered from 0 in argument order. */
export function plan(...days: [MealSlot, string][][]): WeeklyPlan {
  return { days: days.map((meals, day) => ({ day, meals: meals.map(([slot, recipe_id]) => ({ slot, recipe_id })) })) };
}
