import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadRecipes, trainerRecipe, validateRecipe } from '../src/training-recipes.ts';

test('the shipped recipes are valid, including the broken one the gate must catch', () => {
  const recipes = loadRecipes();
  assert.deepEqual([...recipes.keys()].sort(), ['planner-lora-llama3-8b@1', 'planner-ranker-ignores-allergies@1', 'planner-ranker@1']);
  assert.deepEqual(recipes.get('planner-ranker-ignores-allergies@1')?.drop_feature_prefixes, ['allergy=']);
});

test('an invalid recipe names every bad field', () => {
  assert.throws(
    () =>
      validateRecipe({
        recipe_id: 'ranker',
        description: 'x',
        architecture: 'a',
        backend: 'local',
        entrypoint: 'e.py',
        learning_rate: 0,
        batch_size: 2.5,
        epochs: 1,
        seed: 1,
      }),
    {
      code: 'RECIPE_INVALID',
      message:
        "recipe ranker: learning_rate must be a number >= 5e-324; batch_size must be an integer >= 1; recipe_id must look like name@version, got 'ranker'",
    },
  );
});

test('the trainer gets the hyperparameters without the dispatcher fields', () => {
  const recipe = loadRecipes().get('planner-ranker@1');
  assert.ok(recipe);
  const handed = trainerRecipe(recipe);
  assert.equal(handed.description, undefined);
  assert.equal(handed.entrypoint, undefined);
  assert.equal(handed.learning_rate, 0.05);
  assert.equal(handed.recipe_id, 'planner-ranker@1');
});
