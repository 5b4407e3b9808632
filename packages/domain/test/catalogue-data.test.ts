import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALLERGENS } from '../src/recipe.ts';
import { CUISINES, DISHES, INGREDIENTS } from '../src/synthetic/catalogue-data.ts';

test('every ingredient a dish template names is known, and every allergen is a tracked one', () => {
  for (const cuisine of CUISINES) {
    for (const dish of [...DISHES[cuisine].breakfast, ...DISHES[cuisine].main]) {
      for (const name of [...dish.protein, ...dish.base, ...dish.veg, ...dish.extra]) {
        if (name !== '') assert.ok(INGREDIENTS[name] !== undefined, `${cuisine} / ${dish.title}: unknown ingredient '${name}'`);
      }
      assert.ok(dish.prep[0] <= dish.prep[1]);
      assert.ok(dish.slots.length > 0);
    }
  }
  for (const [name, facts] of Object.entries(INGREDIENTS)) {
    for (const allergen of facts.allergens) assert.ok((ALLERGENS as readonly string[]).includes(allergen), `${name}: ${allergen}`);
  }
});

test('every cuisine offers breakfasts and mains', () => {
  for (const cuisine of CUISINES) {
    assert.ok(
      DISHES[cuisine].breakfast.every((d) => d.slots.includes('breakfast')),
      cuisine,
    );
    assert.ok(
      DISHES[cuisine].main.every((d) => !d.slots.includes('breakfast')),
      cuisine,
    );
  }
});
