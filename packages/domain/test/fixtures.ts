import { recipe as anyRecipe } from '../../../tests/support/domain-builders.ts';
import type { Recipe } from '../src/recipe.ts';

export { AS_OF, constraints, context, household, plan } from '../../../tests/support/domain-builders.ts';

/** Small hand-made values the unit tests compute expectations from: recipes fit every diet unless overridden. */
export function recipe(overrides: Partial<Recipe> & Pick<Recipe, 'recipe_id'>): Recipe {
  return anyRecipe({ diet_tags: ['vegetarian', 'vegan', 'gluten_free', 'dairy_free'], ...overrides });
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
