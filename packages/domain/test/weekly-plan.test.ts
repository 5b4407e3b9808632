import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizePlan, planMeals } from '../src/weekly-plan.ts';

test('planMeals flattens a plan in its own order', () => {
  const meals = planMeals({
    days: [
      { day: 2, meals: [{ slot: 'dinner', recipe_id: 'a' }] },
      { day: 0, meals: [{ slot: 'lunch', recipe_id: 'b' }] },
    ],
  });
  assert.deepEqual(meals, [
    { day: 2, slot: 'dinner', recipe_id: 'a' },
    { day: 0, slot: 'lunch', recipe_id: 'b' },
  ]);
});

test('normalizePlan orders days by number and meals breakfast, lunch, dinner', () => {
  const normal = normalizePlan({
    days: [
      {
        day: 1,
        meals: [
          { slot: 'dinner', recipe_id: 'c' },
          { slot: 'breakfast', recipe_id: 'a' },
        ],
      },
      { day: 0, meals: [{ slot: 'lunch', recipe_id: 'b' }] },
    ],
  });
  assert.deepEqual(normal, {
    days: [
      { day: 0, meals: [{ slot: 'lunch', recipe_id: 'b' }] },
      {
        day: 1,
        meals: [
          { slot: 'breakfast', recipe_id: 'a' },
          { slot: 'dinner', recipe_id: 'c' },
        ],
      },
    ],
  });
});
