import type { WeeklyPlan } from '@planner/schemas';
import type { Constraints } from '../src/constraints.ts';
import type { Household } from '../src/household.ts';
import type { InputContext } from '../src/input-context.ts';
import type { Recipe } from '../src/recipe.ts';

/** Small hand-made values the unit tests compute expectations from. */
export function recipe(overrides: Partial<Recipe> & Pick<Recipe, 'recipe_id'>): Recipe {
  return {
    title: overrides.recipe_id,
    cuisine: 'italian',
    ingredients: [],
    allergens: [],
    diet_tags: ['vegetarian', 'vegan', 'gluten_free', 'dairy_free'],
    prep_minutes: 15,
    cost_per_serving: 2,
    meal_slots: ['breakfast', 'lunch', 'dinner'],
    ...overrides,
  };
}

export const peanutNoodles = recipe({
  recipe_id: 'r-peanut-noodles',
  cuisine: 'thai',
  ingredients: ['rice_noodles', 'peanut', 'tofu'],
  allergens: ['peanut', 'soy'],
  diet_tags: ['dairy_free', 'gluten_free', 'vegan', 'vegetarian'],
  prep_minutes: 20,
  cost_per_serving: 2.5,
  meal_slots: ['lunch', 'dinner'],
});

export const chickenCurry = recipe({
  recipe_id: 'r-chicken-curry',
  cuisine: 'indian',
  ingredients: ['chicken', 'rice', 'coconut_milk'],
  allergens: [],
  diet_tags: ['dairy_free', 'gluten_free'],
  prep_minutes: 45,
  cost_per_serving: 4,
  meal_slots: ['dinner'],
});

export const mushroomOmelette = recipe({
  recipe_id: 'r-mushroom-omelette',
  cuisine: 'american',
  ingredients: ['egg', 'mushroom', 'butter'],
  allergens: ['dairy', 'egg'],
  diet_tags: ['gluten_free', 'vegetarian'],
  prep_minutes: 10,
  cost_per_serving: 1.5,
  meal_slots: ['breakfast'],
});

export function household(overrides: Partial<Household> = {}): Household {
  return { household_id: 'hh-000001', region: 'north', size: 3, segment: 'north-family', created_at: 0, ...overrides };
}

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

/** 2026-01-05 12:00 UTC, a Monday. */
export const AS_OF = Date.UTC(2026, 0, 5, 12);

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

export function plan(...days: Array<Array<[WeeklyPlan['days'][number]['meals'][number]['slot'], string]>>): WeeklyPlan {
  return { days: days.map((meals, day) => ({ day, meals: meals.map(([slot, recipe_id]) => ({ slot, recipe_id })) })) };
}
