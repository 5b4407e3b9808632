export { AS_OF, constraints, context, recipe } from '../../../tests/support/domain-builders.ts';

/** The trainer's three files as JSON values; `files()` serialises them as the trainer does. */
export interface RankerFiles {
  model: Record<string, unknown>;
  tokenizer: Record<string, unknown>;
  config: Record<string, unknown>;
}

export function rankerFiles(
  contextTokens: string[],
  recipeTokens: string[],
  bias: number,
  recipeTokenBias: number[],
  weights: number[][],
  dropFeaturePrefixes: string[] = [],
): RankerFiles {
  return {
    model: {
      format: 'planner-ranker/1',
      bias,
      recipe_token_bias: recipeTokenBias,
      weights,
      shape: [contextTokens.length, recipeTokens.length],
    },
    tokenizer: { format: 'planner-ranker/1', codec_version: 'input-context/1', context_tokens: contextTokens, recipe_tokens: recipeTokens },
    config: { format: 'planner-ranker/1', recipe: { recipe_id: 'hand-made', drop_feature_prefixes: dropFeaturePrefixes } },
  };
}

export function serialise(files: RankerFiles): { model: string; tokenizer: string; config: string } {
  return { model: JSON.stringify(files.model), tokenizer: JSON.stringify(files.tokenizer), config: JSON.stringify(files.config) };
}
