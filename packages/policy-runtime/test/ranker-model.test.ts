import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPolicyError } from '../src/policy-error.ts';
import { parseRankerModel, rankerScore } from '../src/ranker-model.ts';
import { rankerFiles, serialise } from './fixtures.ts';

const files = () =>
  rankerFiles(
    ['mode=autopilot', 'region=north'],
    ['cuisine=thai', 'slot=dinner', 'tag=vegan'],
    0.5,
    [0.1, 0.2, 0.3],
    [
      [1, 2, 3],
      [10, 20, 30],
    ],
  );

test('the score is bias + recipe-token biases + the context × recipe weights, unknown and repeated tokens ignored', () => {
  const model = parseRankerModel(serialise(files()));
  // 0.5 + (0.1 + 0.3) + (1 + 3) + (10 + 30) = 44.9
  assert.ok(
    Math.abs(rankerScore(model, ['mode=autopilot', 'region=north', 'size=3'], ['cuisine=thai', 'tag=vegan', 'tag=vegan', 'x=y']) - 44.9) <
      1e-12,
  );
  // No context token known: bias and recipe biases only.
  assert.ok(Math.abs(rankerScore(model, ['region=south'], ['slot=dinner']) - 0.7) < 1e-12);
  assert.deepEqual(model.dropFeaturePrefixes, []);
  assert.equal(model.codecVersion, 'input-context/1');
});

test('drop_feature_prefixes comes from the training recipe in config.json; absent means none', () => {
  const blind = files();
  (blind.config.recipe as Record<string, unknown>).drop_feature_prefixes = ['allergy='];
  assert.deepEqual(parseRankerModel(serialise(blind)).dropFeaturePrefixes, ['allergy=']);
  const old = files();
  delete (old.config.recipe as Record<string, unknown>).drop_feature_prefixes;
  assert.deepEqual(parseRankerModel(serialise(old)).dropFeaturePrefixes, []);
});

test('every malformed file is POLICY_MODEL_INVALID naming the file and the problem', () => {
  const cases: [(f: ReturnType<typeof files>) => void, RegExp][] = [
    [(f) => (f.model.format = 'planner-ranker/2'), /model\/model\.json: format must be 'planner-ranker\/1'/],
    [(f) => (f.tokenizer.codec_version = 'input-context/0'), /tokenizer\/tokenizer\.json: codec_version must be 'input-context\/1'/],
    [(f) => (f.model.shape = [3, 2]), /model\/model\.json: shape must be \[2, 3\]/],
    [(f) => (f.model.weights = [[1, 2, 3]]), /weights has 1 rows, shape says 2/],
    [
      (f) =>
        (f.model.weights = [
          [1, 2, 3],
          [1, 2],
        ]),
      /weights\[1\] has 2 entries, shape says 3/,
    ],
    [
      (f) =>
        (f.model.weights = [
          [1, 2, 3],
          [1, null, 3],
        ]),
      /weights\[1\]\[1\] must be a finite number, got null/,
    ],
    [(f) => (f.model.recipe_token_bias = [0, 0]), /recipe_token_bias has 2 entries, shape says 3/],
    [(f) => (f.model.bias = 'high'), /bias must be a finite number/],
    [(f) => (f.tokenizer.recipe_tokens = ['cuisine=thai', 'cuisine=thai', 'tag=vegan']), /recipe_tokens\[1\] 'cuisine=thai' appears twice/],
    [(f) => (f.config.recipe = null), /config\/config\.json: recipe must be the training recipe/],
    [(f) => ((f.config.recipe as Record<string, unknown>).drop_feature_prefixes = 'allergy='), /drop_feature_prefixes must be an array/],
  ];
  for (const [breakIt, reason] of cases) {
    const broken = files();
    breakIt(broken);
    assert.throws(
      () => parseRankerModel(serialise(broken)),
      (e) => isPolicyError(e, 'POLICY_MODEL_INVALID') && reason.test(e.message),
      String(reason),
    );
  }
  assert.throws(
    () => parseRankerModel({ ...serialise(files()), model: '{"format": NaN' }),
    (e) => isPolicyError(e, 'POLICY_MODEL_INVALID') && /model\/model\.json: not JSON/.test(e.message),
  );
});
