import type { Constraints, InputContext, Recipe } from '@planner/domain';

/** Small hand-made values the tests compute their expectations from. */
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

/** A north-region family of 3 with an empty pantry and no constraints unless overridden. */
export function context(overrides: Partial<InputContext> = {}): InputContext {
  return {
    household: { household_id: 'hh-000001', region: 'north', size: 3, segment: 'north-family', created_at: 0 },
    pantry: { household_id: 'hh-000001', taken_at: AS_OF - 30_000, items: [] },
    constraints: constraints(),
    workflow_type: 'plan_first',
    mode: 'autopilot',
    previous_plan: null,
    as_of: AS_OF,
    ...overrides,
  };
}

/** The trainer's three files as JSON values; `files()` serialises them as the trainer does. */
export interface RankerFiles {
  model: Record<string, unknown>;
  tokenizer: Record<string, unknown>;
  config: Record<string, unknown>;
}

export function rankerFiles(
  contextTokens: string[],
  recipeTokens: string[],
  bias: number,
  recipeTokenBias: number[],
  weights: number[][],
  dropFeaturePrefixes: string[] = [],
): RankerFiles {
  return {
    model: {
      format: 'planner-ranker/1',
      bias,
      recipe_token_bias: recipeTokenBias,
      weights,
      shape: [contextTokens.length, recipeTokens.length],
    },
    tokenizer: { format: 'planner-ranker/1', codec_version: 'input-context/1', context_tokens: contextTokens, recipe_tokens: recipeTokens },
    config: { format: 'planner-ranker/1', recipe: { recipe_id: 'hand-made', drop_feature_prefixes: dropFeaturePrefixes } },
  };
}

export function serialise(files: RankerFiles): { model: string; tokenizer: string; config: string } {
  return { model: JSON.stringify(files.model), tokenizer: JSON.stringify(files.tokenizer), config: JSON.stringify(files.config) };
}
