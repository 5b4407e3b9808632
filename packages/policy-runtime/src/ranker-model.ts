import { CODEC_VERSION } from '@planner/domain';
import { PolicyError } from './policy-error.ts';

/** The format id `planner_ranker.py` writes into model.json, tokenizer.json and config.json. */
export const RANKER_FORMAT = 'planner-ranker/1';

/** Where the trainer logs the model's files, relative to its run's artifact root. */
export const RANKER_ARTIFACTS = {
  model: 'model/model.json',
  tokenizer: 'tokenizer/tokenizer.json',
  config: 'config/config.json',
} as const;

export type RankerArtifacts = Record<keyof typeof RANKER_ARTIFACTS, Buffer | string>;

/**
 * A validated planner-ranker:
 * score(context, recipe) = bias + Σ_{r∈R} recipe_token_bias[r] + Σ_{c∈C} Σ_{r∈R} weights[c][r],
 * C and R the distinct context and recipe tokens found in the vocabularies; unknown tokens are ignored.
 */
export interface RankerModel {
  bias: number;
  /** Length R. */
  recipeTokenBias: Float64Array;
  /** C × R, row-major: weights[c][r] is at c × R + r. */
  weights: Float64Array;
  contextTokens: ReadonlyMap<string, number>;
  recipeTokens: ReadonlyMap<string, number>;
  codecVersion: string;
  /** Token prefixes the model was trained without (config.json `recipe.drop_feature_prefixes`): it cannot see them. */
  dropFeaturePrefixes: readonly string[];
}

function invalid(file: string, problem: string): never {
  throw new PolicyError('POLICY_MODEL_INVALID', `${file}: ${problem}`);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function parseObject(file: string, body: Buffer | string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString());
  } catch (error) {
    invalid(file, `not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(file, `must be a JSON object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

function checkFormat(file: string, value: Record<string, unknown>): void {
  if (value.format !== RANKER_FORMAT) invalid(file, `format must be '${RANKER_FORMAT}', got ${describe(value.format)}`);
}

function numbers(file: string, path: string, value: unknown, length: number): Float64Array {
  if (!Array.isArray(value)) invalid(file, `${path} must be an array of numbers, got ${describe(value)}`);
  if (value.length !== length) invalid(file, `${path} has ${value.length} entries, shape says ${length}`);
  const out = new Float64Array(length);
  value.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) invalid(file, `${path}[${i}] must be a finite number, got ${describe(x)}`);
    out[i] = x;
  });
  return out;
}

function vocabulary(file: string, path: string, value: unknown): Map<string, number> {
  if (!Array.isArray(value)) invalid(file, `${path} must be an array of strings, got ${describe(value)}`);
  const index = new Map<string, number>();
  value.forEach((token, i) => {
    if (typeof token !== 'string' || token === '') invalid(file, `${path}[${i}] must be a non-empty string, got ${describe(token)}`);
    // A repeated token would make its index ambiguous: which row holds its weights?
    if (index.has(token)) invalid(file, `${path}[${i}] '${token}' appears twice`);
    index.set(token, i);
  });
  return index;
}

/**
 * Checks the trainer's three files against each other and against this
 * codec, naming the first problem (POLICY_MODEL_INVALID). A model built on
 * another codec version would be scored on tokens it never saw, silently.
 */
export function parseRankerModel(artifacts: RankerArtifacts): RankerModel {
  const tokenizerFile = RANKER_ARTIFACTS.tokenizer;
  const tokenizer = parseObject(tokenizerFile, artifacts.tokenizer);
  checkFormat(tokenizerFile, tokenizer);
  if (tokenizer.codec_version !== CODEC_VERSION) {
    invalid(tokenizerFile, `codec_version must be '${CODEC_VERSION}' (this runtime's codec), got ${describe(tokenizer.codec_version)}`);
  }
  const contextTokens = vocabulary(tokenizerFile, 'context_tokens', tokenizer.context_tokens);
  const recipeTokens = vocabulary(tokenizerFile, 'recipe_tokens', tokenizer.recipe_tokens);
  const C = contextTokens.size;
  const R = recipeTokens.size;

  const modelFile = RANKER_ARTIFACTS.model;
  const model = parseObject(modelFile, artifacts.model);
  checkFormat(modelFile, model);
  const shape = model.shape;
  if (!Array.isArray(shape) || shape.length !== 2 || shape[0] !== C || shape[1] !== R) {
    invalid(modelFile, `shape must be [${C}, ${R}] (context × recipe tokens in ${tokenizerFile}), got ${describe(shape)}`);
  }
  if (typeof model.bias !== 'number' || !Number.isFinite(model.bias))
    invalid(modelFile, `bias must be a finite number, got ${describe(model.bias)}`);
  const recipeTokenBias = numbers(modelFile, 'recipe_token_bias', model.recipe_token_bias, R);
  if (!Array.isArray(model.weights)) invalid(modelFile, `weights must be an array of ${C} rows, got ${describe(model.weights)}`);
  if (model.weights.length !== C) invalid(modelFile, `weights has ${model.weights.length} rows, shape says ${C}`);
  const weights = new Float64Array(C * R);
  model.weights.forEach((row, c) => {
    weights.set(numbers(modelFile, `weights[${c}]`, row, R), c * R);
  });

  const configFile = RANKER_ARTIFACTS.config;
  const config = parseObject(configFile, artifacts.config);
  checkFormat(configFile, config);
  const recipe = config.recipe;
  if (typeof recipe !== 'object' || recipe === null || Array.isArray(recipe)) {
    invalid(configFile, `recipe must be the training recipe (an object), got ${describe(recipe)}`);
  }
  // The trainer's default when the recipe does not name any.
  const prefixes = (recipe as Record<string, unknown>).drop_feature_prefixes ?? [];
  if (!Array.isArray(prefixes) || !prefixes.every((p) => typeof p === 'string' && p !== '')) {
    invalid(configFile, `recipe.drop_feature_prefixes must be an array of non-empty strings, got ${describe(prefixes)}`);
  }

  return {
    bias: model.bias,
    recipeTokenBias,
    weights,
    contextTokens,
    recipeTokens,
    codecVersion: CODEC_VERSION,
    dropFeaturePrefixes: prefixes as string[],
  };
}

/** The vocabulary indices of `tokens`, distinct, unknown ones left out. */
export function tokenIndices(vocabulary: ReadonlyMap<string, number>, tokens: readonly string[]): Int32Array {
  const found = new Set<number>();
  for (const token of tokens) {
    const i = vocabulary.get(token);
    if (i !== undefined) found.add(i);
  }
  return Int32Array.from([...found].sort((a, b) => a - b));
}

/**
 * Per recipe token r: recipe_token_bias[r] + Σ_{c∈C} weights[c][r]. A recipe's
 * score is then bias + the sum of this over its tokens — C × R work once per
 * context instead of C × |R(recipe)| per recipe.
 */
export function contextRow(model: RankerModel, contextIndices: Int32Array): Float64Array {
  const R = model.recipeTokenBias.length;
  const row = Float64Array.from(model.recipeTokenBias);
  for (const c of contextIndices) {
    const offset = c * R;
    for (let r = 0; r < R; r++) row[r] = (row[r] as number) + (model.weights[offset + r] as number);
  }
  return row;
}

export function scoreWithRow(model: RankerModel, row: Float64Array, recipeIndices: Int32Array): number {
  let score = model.bias;
  for (const r of recipeIndices) score += row[r] as number;
  return score;
}

/** The score of one context × recipe pair, from raw tokens (the formula as written; for checks and tests). */
export function rankerScore(model: RankerModel, contextTokens: readonly string[], recipeTokens: readonly string[]): number {
  const row = contextRow(model, tokenIndices(model.contextTokens, contextTokens));
  return scoreWithRow(model, row, tokenIndices(model.recipeTokens, recipeTokens));
}
