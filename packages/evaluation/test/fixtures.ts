import { type InputContext, indexRecipes } from '@planner/domain';
import { AS_OF, constraints, plan, recipe } from '../../../tests/support/domain-builders.ts';
import type { RowMetrics } from '../src/row-metrics.ts';

export { constraints, plan };

/** The worked example of `RowMetrics`' doc comment, value for value. */
export const oats = recipe({ recipe_id: 'oats', ingredients: ['oats', 'banana'] });
export const salad = recipe({ recipe_id: 'salad', ingredients: ['Spinach', 'tomato'] });
export const pasta = recipe({ recipe_id: 'pasta', ingredients: ['pasta', 'tomato', 'basil'], allergens: ['gluten'], prep_minutes: 25 });
export const curry = recipe({ recipe_id: 'curry', ingredients: ['chicken', 'rice'], cuisine: 'indian' });
export const recipesById = indexRecipes([oats, salad, pasta, curry]);

/** A north-region couple whose pantry holds spinach and basil about to expire, and tomatoes already past it. */
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
