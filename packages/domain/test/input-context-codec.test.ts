import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '../src/domain-error.ts';
import { CODEC_VERSION, encodeInputContext, recipeTokens } from '../src/input-context-codec.ts';
import { AS_OF, constraints, context, peanutNoodles, plan } from './fixtures.ts';

// AS_OF is 2026-01-05 12:00 UTC.
const kitchen = context({
  workflow_type: 'pantry_first',
  mode: null,
  constraints: constraints({
    allergies: ['peanut', 'Sesame'],
    diet: 'vegetarian',
    weekly_budget_usd: 150,
    max_prep_minutes: 40,
    excluded_ingredients: ['mushroom'],
  }),
  pantry: {
    household_id: 'hh-000001',
    taken_at: AS_OF - 30_000,
    items: [
      { ingredient: 'rice', quantity: 1000, unit: 'g', expires_on: '2026-06-01' },
      { ingredient: 'spinach', quantity: 200, unit: 'g', expires_on: '2026-01-06' },
      { ingredient: 'milk', quantity: 0, unit: 'ml', expires_on: '2026-01-07' },
      { ingredient: 'tomato', quantity: 3, unit: 'pcs', expires_on: '2026-01-04' },
      { ingredient: 'Pine Nut', quantity: 50, unit: 'g', expires_on: '2026-01-08' },
      { ingredient: 'basil', quantity: 20, unit: 'g', expires_on: '2026-01-09' },
    ],
  },
  previous_plan: plan([
    ['dinner', 'r-2'],
    ['breakfast', 'r-1'],
  ]),
});

test('features: the hand-computed tokens of a small context, sorted', () => {
  assert.deepEqual(encodeInputContext(kitchen).features, [
    'allergy=peanut',
    'allergy=sesame',
    // 150 USD / (3 people × 21 meals) = 2.38 per serving.
    'budget=low',
    'diet=vegetarian',
    'excluded=mushroom',
    // Pine nut expires in 3 days, spinach in 1; basil (4 days) is only present.
    'expiring=pine_nut',
    'expiring=spinach',
    // 40 minutes floors to the 30 band.
    'max_prep=30',
    'mode=none',
    // Milk (none left) and tomato (expired yesterday) are not in the pantry.
    'pantry=basil',
    'pantry=pine_nut',
    'pantry=rice',
    'pantry=spinach',
    'region=north',
    'segment=north-family',
    'size=3',
    'size_band=family',
    'workflow=pantry_first',
  ]);
});

test('features of an unconstrained context say none', () => {
  const features = encodeInputContext(context()).features;
  assert.deepEqual(
    features.filter((f) => /^(budget|diet|max_prep|mode)=/.test(f)),
    ['budget=none', 'diet=none', 'max_prep=none', 'mode=autopilot'],
  );
});

test('input: canonical — terms normalised, sets and pantry sorted, keys sorted', () => {
  const { input } = encodeInputContext(kitchen);
  assert.deepEqual(Object.keys(input), ['as_of', 'constraints', 'household', 'mode', 'pantry', 'previous_plan', 'workflow_type']);
  assert.deepEqual((input.constraints as { allergies: string[] }).allergies, ['peanut', 'sesame']);
  const items = (input.pantry as { items: { ingredient: string }[] }).items.map((i) => i.ingredient);
  assert.deepEqual(items, ['basil', 'milk', 'pine_nut', 'rice', 'spinach', 'tomato']);
  assert.deepEqual(input.previous_plan, {
    days: [
      {
        day: 0,
        meals: [
          { recipe_id: 'r-1', slot: 'breakfast' },
          { recipe_id: 'r-2', slot: 'dinner' },
        ],
      },
    ],
  });
});

test('deterministic: the same context, in any order of its sets, encodes byte-identically', () => {
  const once = encodeInputContext(kitchen);
  const shuffled = {
    ...kitchen,
    constraints: { ...kitchen.constraints, allergies: ['sesame', 'peanut', 'Peanut'] },
    pantry: { ...kitchen.pantry, items: [...kitchen.pantry.items].reverse() },
  };
  const again = encodeInputContext(shuffled);
  assert.equal(JSON.stringify(again.input), JSON.stringify(once.input));
  assert.deepEqual(again.features, once.features);
  assert.equal(again.prompt, once.prompt);
  assert.equal(JSON.stringify(encodeInputContext(kitchen)), JSON.stringify(once));
});

test('prompt: household, constraints, pantry with expiring items first, workflow, mode and the answer shape', () => {
  const { prompt } = encodeInputContext(kitchen);
  const lines = prompt.split('\n');
  assert.ok(lines.includes('Household hh-000001: region north, 3 people (family), segment north-family.'));
  assert.ok(lines.includes('Planning date: 2026-01-05.'));
  assert.ok(lines.includes('Workflow: pantry_first — build the week around the pantry, using expiring items first.'));
  assert.ok(lines.includes('Mode: none — not stated.'));
  assert.ok(lines.includes('- allergies: peanut, sesame'));
  assert.ok(lines.includes('- weekly budget: 150.00 USD for 21 meals of 3 servings each'));
  assert.ok(lines.includes('- max prep time per recipe: 40 minutes'));
  const pantry = lines.filter((l) => / expires /.test(l));
  assert.deepEqual(pantry, [
    '- spinach: 200 g, expires 2026-01-06 (expiring)',
    '- pine_nut: 50 g, expires 2026-01-08 (expiring)',
    '- basil: 20 g, expires 2026-01-09',
    '- rice: 1000 g, expires 2026-06-01',
  ]);
  assert.ok(lines.includes('- day 0: breakfast r-1, dinner r-2'));
  assert.match(prompt, /Answer with JSON only/);
  assert.match(prompt, /days 0 \(Monday\) to 6 \(Sunday\), each with breakfast, lunch and dinner/);
});

test('encoding validates first: a malformed context never becomes a row', () => {
  const bad = { ...kitchen, constraints: { ...kitchen.constraints, allergies: ['peanut', 7] } } as unknown as typeof kitchen;
  assert.throws(
    () => encodeInputContext(bad),
    (e: unknown) => e instanceof DomainError && /constraints\.allergies\[1\]/.test(e.message),
  );
});

test('recipe tokens: cuisine, tags, ingredients, allergens, prep and cost bands, slots — sorted', () => {
  // 20 minutes → quick; 2.50 USD → low.
  assert.deepEqual(recipeTokens(peanutNoodles), [
    'allergen=peanut',
    'allergen=soy',
    'cost=low',
    'cuisine=thai',
    'ingredient=peanut',
    'ingredient=rice_noodles',
    'ingredient=tofu',
    'prep=quick',
    'slot=dinner',
    'slot=lunch',
    'tag=dairy_free',
    'tag=gluten_free',
    'tag=vegan',
    'tag=vegetarian',
  ]);
});

test('the codec version is a stable string stored with datasets', () => {
  assert.equal(CODEC_VERSION, 'input-context/1');
});
