import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPlan, indexRecipes, isRecipeAllowed, planCost, recipeViolations } from '../src/constraint-checker.ts';
import { chickenCurry, constraints, mushroomOmelette, peanutNoodles, plan } from './fixtures.ts';

const byId = indexRecipes([peanutNoodles, chickenCurry, mushroomOmelette]);
// Day 0: omelette (1.50), noodles (2.50), curry (4.00) = 8.00 per person.
const week = plan([
  ['breakfast', mushroomOmelette.recipe_id],
  ['lunch', peanutNoodles.recipe_id],
  ['dinner', chickenCurry.recipe_id],
]);

test('a plan that respects every constraint has no violations', () => {
  assert.deepEqual(checkPlan(week, byId, constraints(), 2), []);
});

test('allergen: a recipe listing an allergen the household has, named with its meal', () => {
  assert.deepEqual(checkPlan(week, byId, constraints({ allergies: ['Peanut'] }), 2), [
    { kind: 'allergen', day: 0, slot: 'lunch', recipe_id: 'r-peanut-noodles', detail: 'peanut' },
  ]);
});

test('allergen: one violation per allergen a recipe carries', () => {
  const kinds = checkPlan(week, byId, constraints({ allergies: ['egg', 'dairy'] }), 2).map((v) => `${v.kind}:${v.recipe_id}:${v.detail}`);
  assert.deepEqual(kinds, ['allergen:r-mushroom-omelette:egg', 'allergen:r-mushroom-omelette:dairy']);
});

test('diet: every recipe must carry the diet tag; vegan satisfies vegetarian', () => {
  assert.deepEqual(checkPlan(week, byId, constraints({ diet: 'vegetarian' }), 2), [
    { kind: 'diet', day: 0, slot: 'dinner', recipe_id: 'r-chicken-curry', detail: 'vegetarian' },
  ]);
  const vegan = checkPlan(week, byId, constraints({ diet: 'vegan' }), 2).map((v) => v.recipe_id);
  assert.deepEqual(vegan, ['r-mushroom-omelette', 'r-chicken-curry']);
});

test('prep_time: a recipe longer than the ceiling (equal is fine)', () => {
  assert.deepEqual(checkPlan(week, byId, constraints({ max_prep_minutes: 20 }), 2), [
    { kind: 'prep_time', day: 0, slot: 'dinner', recipe_id: 'r-chicken-curry', detail: '45 > 20 minutes' },
  ]);
});

test('excluded_ingredient: matched on the normalised ingredient name', () => {
  assert.deepEqual(checkPlan(week, byId, constraints({ excluded_ingredients: ['Mushroom '] }), 2), [
    { kind: 'excluded_ingredient', day: 0, slot: 'breakfast', recipe_id: 'r-mushroom-omelette', detail: 'mushroom' },
  ]);
});

test('budget: Σ cost per serving × household size over the week, compared once', () => {
  // 8.00 per person × 2 people = 16.00.
  assert.equal(planCost(week, byId, 2), 16);
  assert.deepEqual(checkPlan(week, byId, constraints({ weekly_budget_usd: 16 }), 2), []);
  assert.deepEqual(checkPlan(week, byId, constraints({ weekly_budget_usd: 15.5 }), 2), [
    { kind: 'budget', day: null, slot: null, recipe_id: null, detail: '16.00 > 15.50 USD' },
  ]);
  // 8.00 × 3 people = 24.00.
  assert.equal(checkPlan(week, byId, constraints({ weekly_budget_usd: 20 }), 3)[0]?.detail, '24.00 > 20.00 USD');
});

test('unknown_recipe: an id missing from the catalogue fails, and costs nothing in the budget', () => {
  const withUnknown = plan([['breakfast', mushroomOmelette.recipe_id]], [['dinner', 'r-missing']]);
  assert.deepEqual(checkPlan(withUnknown, byId, constraints({ weekly_budget_usd: 3 }), 2), [
    { kind: 'unknown_recipe', day: 1, slot: 'dinner', recipe_id: 'r-missing', detail: "recipe 'r-missing' is not in the catalogue" },
  ]);
});

test('violations come in plan order, per meal in a fixed kind order, budget last', () => {
  const all = constraints({
    allergies: ['peanut'],
    diet: 'vegetarian',
    weekly_budget_usd: 10,
    max_prep_minutes: 30,
    excluded_ingredients: ['mushroom'],
  });
  const found = checkPlan(week, byId, all, 2).map((v) => `${v.day}/${v.slot}/${v.kind}`);
  assert.deepEqual(found, [
    '0/breakfast/excluded_ingredient',
    '0/lunch/allergen',
    '0/dinner/diet',
    '0/dinner/prep_time',
    'null/null/budget',
  ]);
});

test('recipeViolations and isRecipeAllowed judge one recipe against the per-recipe constraints', () => {
  const c = constraints({ allergies: ['soy'], max_prep_minutes: 20 });
  assert.deepEqual(recipeViolations(peanutNoodles, c), [{ kind: 'allergen', detail: 'soy' }]);
  assert.equal(isRecipeAllowed(peanutNoodles, c), false);
  assert.equal(isRecipeAllowed(mushroomOmelette, c), true);
  assert.equal(isRecipeAllowed(chickenCurry, c), false);
});
