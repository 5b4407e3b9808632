import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrainingError } from './training-error.ts';

export const RECIPES_DIR = join(import.meta.dirname, '..', 'recipes');

/**
 * A versioned training recipe (`recipes/<name>@<version>.json`). The fields
 * below are the ones the dispatcher needs; the rest are hyperparameters handed
 * to the trainer as they are.
 */
export interface TrainingRecipe {
  recipe_id: string;
  description: string;
  architecture: string;
  backend: string;
  /** The trainer script, relative to the trainer-dispatcher folder. */
  entrypoint: string;
  learning_rate: number;
  batch_size: number;
  epochs: number;
  seed: number;
  [hyperparameter: string]: unknown;
}

const RECIPE_ID = /^[a-z0-9][a-z0-9-]*@\d+$/;

/** Checks one recipe; every problem is named with its field. */
export function validateRecipe(value: unknown, fileName?: string): TrainingRecipe {
  const problems: string[] = [];
  const recipe = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const text = (field: string) => {
    if (typeof recipe[field] !== 'string' || (recipe[field] as string).trim() === '') problems.push(`${field} must be a non-empty string`);
  };
  const number = (field: string, integer: boolean, min: number) => {
    const v = recipe[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min) {
      problems.push(`${field} must be ${integer ? 'an integer' : 'a number'} >= ${min}`);
    }
  };
  text('recipe_id');
  text('description');
  text('architecture');
  text('backend');
  text('entrypoint');
  number('learning_rate', false, Number.MIN_VALUE);
  number('batch_size', true, 1);
  number('epochs', true, 1);
  number('seed', true, 0);
  if (typeof recipe.recipe_id === 'string' && !RECIPE_ID.test(recipe.recipe_id))
    problems.push(`recipe_id must look like name@version, got '${recipe.recipe_id}'`);
  if (fileName && recipe.recipe_id !== fileName.replace(/\.json$/, '')) problems.push(`recipe_id must match the file name ${fileName}`);
  if (problems.length > 0)
    throw new TrainingError('RECIPE_INVALID', `recipe ${fileName ?? String(recipe.recipe_id)}: ${problems.join('; ')}`);
  return recipe as TrainingRecipe;
}

/** Every recipe in `dir`, validated at start-up so a bad recipe stops the service rather than a job. */
export function loadRecipes(dir = RECIPES_DIR): Map<string, TrainingRecipe> {
  const recipes = new Map<string, TrainingRecipe>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const recipe = validateRecipe(JSON.parse(readFileSync(join(dir, file), 'utf8')), file);
    recipes.set(recipe.recipe_id, recipe);
  }
  return recipes;
}

/** What the trainer script receives: the hyperparameters, without the dispatcher's own fields. */
export function trainerRecipe(recipe: TrainingRecipe): Record<string, unknown> {
  const { description: _d, entrypoint: _e, ...rest } = recipe;
  return rest;
}
