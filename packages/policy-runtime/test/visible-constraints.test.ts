import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDropped, visibleConstraints } from '../src/visible-constraints.ts';
import { constraints } from './fixtures.ts';

const full = constraints({
  allergies: ['Peanut', 'dairy'],
  diet: 'vegan',
  weekly_budget_usd: 150, // 150 / (3 × 21) ≈ 2.38 a serving: band low
  max_prep_minutes: 35, // band 30
  excluded_ingredients: ['cilantro'],
});

test('no dropped prefixes: the constraints as they are', () => {
  assert.equal(visibleConstraints(full, 3, []), full);
});

test('a model blind to allergies sees none; everything else stays', () => {
  assert.deepEqual(visibleConstraints(full, 3, ['allergy=']), { ...full, allergies: [] });
});

test('prefixes match the codec’s tokens, so a narrower prefix hides only what it names', () => {
  assert.deepEqual(visibleConstraints(full, 3, ['allergy=peanut']).allergies, ['dairy']);
  assert.deepEqual(visibleConstraints(full, 3, ['diet=', 'excluded=']), { ...full, diet: null, excluded_ingredients: [] });
  assert.equal(visibleConstraints(full, 3, ['budget=low']).weekly_budget_usd, null);
  assert.equal(visibleConstraints(full, 3, ['budget=high']).weekly_budget_usd, 150);
  assert.equal(visibleConstraints(full, 3, ['max_prep=30']).max_prep_minutes, null);
  assert.equal(visibleConstraints(full, 3, ['max_prep=45']).max_prep_minutes, 35);
});

test('isDropped: any prefix matches', () => {
  assert.ok(isDropped('allergy=peanut', ['region=', 'allergy=']));
  assert.ok(!isDropped('allergen=peanut', ['allergy=']));
});
