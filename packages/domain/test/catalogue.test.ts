import assert from 'node:assert/strict';
import { test } from 'node:test';
import { costBand, prepBand } from '../src/bands.ts';
import { isRecipeAllowed } from '../src/constraint-checker.ts';
import { ALLERGENS, DIET_TAGS } from '../src/recipe.ts';
import { allergensFor, dietTagsFor, generateCatalogue } from '../src/synthetic/catalogue.ts';
import { INGREDIENTS } from '../src/synthetic/catalogue-data.ts';
import { MEAL_SLOTS } from '../src/weekly-plan.ts';
import { constraints } from './fixtures.ts';

const catalogue = generateCatalogue(7);

test('400 recipes by default, unique ids, deterministic per seed', () => {
  assert.equal(catalogue.length, 400);
  assert.equal(new Set(catalogue.map((r) => r.recipe_id)).size, 400);
  assert.deepEqual(generateCatalogue(7), catalogue);
  assert.notDeepEqual(generateCatalogue(8), catalogue);
  assert.equal(generateCatalogue(7, 25).length, 25);
});

test('eight cuisines in equal shares; every cost and prep band and slot is represented', () => {
  const cuisines = new Map<string, number>();
  for (const r of catalogue) cuisines.set(r.cuisine, (cuisines.get(r.cuisine) ?? 0) + 1);
  assert.equal(cuisines.size, 8);
  for (const count of cuisines.values()) assert.equal(count, 50);
  assert.deepEqual(new Set(catalogue.map((r) => costBand(r.cost_per_serving))), new Set(['low', 'mid', 'high']));
  assert.deepEqual(new Set(catalogue.map((r) => prepBand(r.prep_minutes))), new Set(['quick', 'medium', 'long']));
  for (const r of catalogue) {
    assert.ok(r.prep_minutes >= 5 && r.prep_minutes % 5 === 0);
    assert.ok(r.cost_per_serving > 0.5 && r.cost_per_serving < 15, `${r.recipe_id} costs ${r.cost_per_serving}`);
  }
});

test('allergens and diet tags follow from the ingredients', () => {
  for (const r of catalogue) {
    assert.deepEqual(r.allergens, allergensFor(r.ingredients));
    assert.deepEqual(r.diet_tags, dietTagsFor(r.ingredients));
    const facts = r.ingredients.map((i) => INGREDIENTS[i]);
    if (r.diet_tags.includes('vegan')) {
      assert.ok(r.diet_tags.includes('vegetarian'));
      assert.ok(!r.allergens.some((a) => ['dairy', 'egg', 'fish', 'shellfish'].includes(a)), r.recipe_id);
      assert.ok(!facts.some((f) => f?.animal !== undefined), r.recipe_id);
    }
    if (r.diet_tags.includes('vegetarian')) assert.ok(!facts.some((f) => f?.animal === 'meat'), r.recipe_id);
    assert.equal(r.diet_tags.includes('gluten_free'), !r.allergens.includes('gluten'));
    assert.equal(r.diet_tags.includes('dairy_free'), !r.allergens.includes('dairy'));
  }
});

test('hand-checked diet tags', () => {
  assert.deepEqual(dietTagsFor(['chicken', 'rice']), ['dairy_free', 'gluten_free']);
  assert.deepEqual(dietTagsFor(['tofu', 'rice', 'soy_sauce']), ['dairy_free', 'vegan', 'vegetarian']);
  assert.deepEqual(dietTagsFor(['oats', 'honey']), ['dairy_free', 'vegetarian']);
  assert.deepEqual(dietTagsFor(['rice', 'fish_sauce']), ['dairy_free', 'gluten_free']);
  assert.deepEqual(allergensFor(['pesto', 'pasta']), ['dairy', 'gluten', 'tree_nut']);
});

test('every single diet or allergy still leaves a week of distinct recipes for every slot', () => {
  const households = [...DIET_TAGS.map((diet) => constraints({ diet })), ...ALLERGENS.map((a) => constraints({ allergies: [a] }))];
  for (const c of households) {
    for (const slot of MEAL_SLOTS) {
      const n = catalogue.filter((r) => r.meal_slots.includes(slot) && isRecipeAllowed(r, c)).length;
      assert.ok(n >= 7, `${JSON.stringify(c.diet ?? c.allergies)}: only ${n} ${slot} recipes`);
    }
  }
});
