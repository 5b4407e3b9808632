import { type Constraints, type InputContext, indexRecipes, type MealSlot, type Recipe, type WeeklyPlan } from '@planner/domain';
import type { RowMetrics } from '../src/row-metrics.ts';

/** The worked example of `RowMetrics`' doc comment, value for value. */
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

export const oats = recipe({ recipe_id: 'oats', ingredients: ['oats', 'banana'] });
export const salad = recipe({ recipe_id: 'salad', ingredients: ['Spinach', 'tomato'] });
export const pasta = recipe({ recipe_id: 'pasta', ingredients: ['pasta', 'tomato', 'basil'], allergens: ['gluten'], prep_minutes: 25 });
export const curry = recipe({ recipe_id: 'curry', ingredients: ['chicken', 'rice'], cuisine: 'indian' });
export const recipesById = indexRecipes([oats, salad, pasta, curry]);

/** 2026-01-05 12:00 UTC. */
export const AS_OF = Date.UTC(2026, 0, 5, 12);

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

export function context(overrides: Partial<InputContext> = {}): InputContext {
  return {
    household: { household_id: 'hh-000001', region: 'north', size: 2, segment: 'north-couple', created_at: 0 },
    pantry: {
      household_id: 'hh-000001',
      taken_at: AS_OF - 60_000,
      items: [
        { ingredient: 'spinach', quantity: 200, unit: 'g', expires_on: '2026-01-06' },
        { ingredient: 'basil', quantity: 20, unit: 'g', expires_on: '2026-01-07' },
        { ingredient: 'milk', quantity: 500, unit: 'ml', expires_on: '2026-01-08' },
        { ingredient: 'rice', quantity: 1000, unit: 'g', expires_on: '2026-03-01' },
        { ingredient: 'tomato', quantity: 3, unit: 'pcs', expires_on: '2026-01-04' },
      ],
    },
    constraints: constraints(),
    workflow_type: 'plan_first',
    mode: 'autopilot',
    previous_plan: null,
    as_of: AS_OF,
    ...overrides,
  };
}

type Meal = [MealSlot, string];

/** Days numbered from 0 in argument order. */
export function plan(...days: Meal[][]): WeeklyPlan {
  return { days: days.map((meals, day) => ({ day, meals: meals.map(([slot, recipe_id]) => ({ slot, recipe_id })) })) };
}

export const accepted = plan(
  [
    ['breakfast', 'oats'],
    ['lunch', 'salad'],
    ['dinner', 'pasta'],
  ],
  [
    ['breakfast', 'oats'],
    ['dinner', 'curry'],
  ],
);

export const policyPlan = plan(
  [
    ['breakfast', 'oats'],
    ['lunch', 'pasta'],
    ['dinner', 'pasta'],
  ],
  [
    ['breakfast', 'oats'],
    ['lunch', 'salad'],
  ],
);

/** A row's metrics with every field set; tests override the ones they vary. */
export function metrics(overrides: Partial<RowMetrics> = {}): RowMetrics {
  return {
    plan_alignment: 0.5,
    meal_diversity: 0.5,
    leftovers_utility: 0.5,
    constraint_respect: 1,
    violations: 0,
    predicted_edits: 10,
    actual_edits: 8,
    edit_rate: 0.5,
    latency_ms: 100,
    cost_usd: 0.001,
    policy_failed: 0,
    ...overrides,
  };
}
