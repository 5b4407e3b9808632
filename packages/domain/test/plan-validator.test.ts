import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPlan, indexRecipes } from '../src/constraint-checker.ts';
import { validatePlan } from '../src/plan-validator.ts';
import { constraints, plan, recipe } from './fixtures.ts';

// Costs per serving; a household of 2 pays twice that per meal.
const oats = recipe({ recipe_id: 'r-oats', cost_per_serving: 1, meal_slots: ['breakfast'] });
const eggs = recipe({ recipe_id: 'r-eggs', cost_per_serving: 2, allergens: ['egg'], meal_slots: ['breakfast'] });
const toast = recipe({ recipe_id: 'r-toast', cost_per_serving: 1.5, meal_slots: ['breakfast'] });
const salad = recipe({ recipe_id: 'r-salad', cost_per_serving: 3, meal_slots: ['lunch', 'dinner'] });
const steak = recipe({ recipe_id: 'r-steak', cost_per_serving: 9, meal_slots: ['dinner'] });
const soup = recipe({ recipe_id: 'r-soup', cost_per_serving: 2, meal_slots: ['lunch', 'dinner'] });
const stew = recipe({ recipe_id: 'r-stew', cost_per_serving: 2, meal_slots: ['dinner'] });
const catalogue = [oats, eggs, toast, salad, steak, soup, stew];

test('a plan that breaks nothing passes untouched, without interventions', () => {
  const week = plan([
    ['breakfast', 'r-eggs'],
    ['dinner', 'r-steak'],
  ]);
  assert.deepEqual(validatePlan(week, catalogue, constraints(), 2), { plan: week, interventions: [] });
});

test('a forbidden meal is replaced by the cheapest allowed recipe for its slot that is not planned yet', () => {
  // Egg allergy: r-eggs goes; r-oats (1.00) is planned already, so r-toast (1.50) comes in.
  const week = plan([['breakfast', 'r-eggs']], [['breakfast', 'r-oats']]);
  const result = validatePlan(week, catalogue, constraints({ allergies: ['egg'] }), 2);
  assert.deepEqual(result.interventions, [{ day: 0, slot: 'breakfast', from_recipe_id: 'r-eggs', to_recipe_id: 'r-toast' }]);
  assert.deepEqual(result.plan, plan([['breakfast', 'r-toast']], [['breakfast', 'r-oats']]));
});

test('an unknown recipe is replaced; a meal with no allowed substitute left is blocked', () => {
  // Day 0 breakfast: unknown → r-oats (cheapest). Day 1 breakfast: egg → r-toast. Day 2 breakfast: egg → nothing left.
  const week = plan([['breakfast', 'r-made-up']], [['breakfast', 'r-eggs']], [['breakfast', 'r-eggs']]);
  const result = validatePlan(week, catalogue, constraints({ allergies: ['egg'] }), 1);
  assert.deepEqual(result.interventions, [
    { day: 0, slot: 'breakfast', from_recipe_id: 'r-made-up', to_recipe_id: 'r-oats' },
    { day: 1, slot: 'breakfast', from_recipe_id: 'r-eggs', to_recipe_id: 'r-toast' },
    { day: 2, slot: 'breakfast', from_recipe_id: 'r-eggs', to_recipe_id: null },
  ]);
  assert.deepEqual(result.plan, plan([['breakfast', 'r-oats']], [['breakfast', 'r-toast']], []));
});

test('over budget, the most expensive meals are swapped for cheaper ones until the week fits', () => {
  // Household of 2: steak 18 + salad 6 + oats 2 = 26 > budget 14. Steak → cheapest dinner not planned: r-soup (2) → 4; total 12.
  const week = plan([
    ['breakfast', 'r-oats'],
    ['lunch', 'r-salad'],
    ['dinner', 'r-steak'],
  ]);
  const result = validatePlan(week, catalogue, constraints({ weekly_budget_usd: 14 }), 2);
  assert.deepEqual(result.interventions, [{ day: 0, slot: 'dinner', from_recipe_id: 'r-steak', to_recipe_id: 'r-soup' }]);
  assert.deepEqual(
    result.plan,
    plan([
      ['breakfast', 'r-oats'],
      ['lunch', 'r-salad'],
      ['dinner', 'r-soup'],
    ]),
  );
  // Budget 11: after the steak swap the week costs 12; the salad (6) is now the priciest, and the only cheaper lunch (r-soup) is planned: blocked, 6.
  const tight = validatePlan(week, catalogue, constraints({ weekly_budget_usd: 11 }), 2);
  assert.deepEqual(tight.interventions, [
    { day: 0, slot: 'dinner', from_recipe_id: 'r-steak', to_recipe_id: 'r-soup' },
    { day: 0, slot: 'lunch', from_recipe_id: 'r-salad', to_recipe_id: null },
  ]);
  assert.deepEqual(
    tight.plan,
    plan([
      ['breakfast', 'r-oats'],
      ['dinner', 'r-soup'],
    ]),
  );
});

test('whatever the policy proposes, what the user sees breaks no constraint', () => {
  const strict = constraints({ allergies: ['egg'], weekly_budget_usd: 9 });
  const week = plan(
    [
      ['breakfast', 'r-eggs'],
      ['lunch', 'r-salad'],
      ['dinner', 'r-steak'],
    ],
    [
      ['breakfast', 'r-eggs'],
      ['lunch', 'r-nope'],
      ['dinner', 'r-steak'],
    ],
  );
  const result = validatePlan(week, catalogue, strict, 1);
  assert.deepEqual(checkPlan(result.plan, indexRecipes(catalogue), strict, 1), []);
  assert.ok(result.interventions.length >= 4);
});
