/**
 * The reference trainers against the real MLflow and S3 servers of the stack
 * (`./lifecycle stack up`), run as the dispatcher runs them: a run created
 * first with the dispatcher's params and tags, then the trainer attached to it
 * through MLFLOW_RUN_ID. A server that does not answer fails the suite.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MlflowClient } from '@planner/mlflow-client';
// trainer-dispatcher does not depend on the runtime; its test compares against it.
import { LearnedRankerRuntime, rankerScore } from '@planner/policy-runtime';
import {
  artifact,
  assertExit,
  createRun,
  experiment,
  history,
  listArtifacts,
  MLFLOW,
  type Recipe,
  reachable,
  registerRunModel,
  runData,
  runPython,
  runTrainer as runTrainerProcess,
  S3,
  TRAINERS,
} from './trainer-harness.ts';

const env = process.env;
const BUCKET = env.S3_BUCKET ?? 'planner-lifecycle';
// The stack's MLflow virtualenv is the Python local trainers run with (numpy, pyarrow, mlflow).
const PYTHON =
  env.TRAINER_PYTHON ?? join(env.PL_CACHE_DIR ?? join(homedir(), '.cache', 'planner-lifecycle'), 'mlflow-3.17.2', 'bin', 'python');
const MAKE_DATASET = join(import.meta.dirname, 'fixtures', 'make_dataset.py');
const SCORE_WITH_MLFLOW = join(import.meta.dirname, 'score_with_mlflow.py');
const RECIPES = 60;
const TOP_K = 21;
const FIXTURE_SIZE = ['--rows', '300', '--recipes', String(RECIPES)];
const RECIPE = {
  recipe_id: 'planner-ranker@1',
  architecture: 'planner-ranker',
  backend: 'local',
  learning_rate: 0.05,
  batch_size: 256,
  epochs: 8,
  seed: 7,
  l2: 0.0001,
  negatives_per_positive: 4,
  drop_feature_prefixes: [] as string[],
};

const work = mkdtempSync(join(tmpdir(), 'planner-ranker-test-'));
const dataset = join(work, 'dataset');
const unique = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const S3_DATASET = `s3://${BUCKET}/test-datasets/planner-ranker-${unique}/`;
let experimentId = '';

const python = (args: string[], extraEnv: Record<string, string> = {}) => runPython(PYTHON, args, { extraEnv });
const runTrainer = (trainer: string, location: string, recipe: Recipe, output: string, extraEnv: Record<string, string> = {}) =>
  runTrainerProcess(PYTHON, work, trainer, location, recipe, output, { extraEnv });

/** Trains into a fresh run; returns the run id once the trainer exited 0. */
async function train(trainer: string, location: string, recipe: Recipe = RECIPE): Promise<string> {
  const runId = await createRun(experimentId, recipe, `fixture-${unique}`);
  const output = join(work, `out-${runId}`);
  const result = runTrainer(trainer, location, recipe, output, { MLFLOW_RUN_ID: runId });
  assertExit(result, 0, trainer);
  for (const file of ['model/MLmodel', 'model/model.json', 'tokenizer/tokenizer.json', 'config/config.json'])
    assert.ok(existsSync(join(output, file)), file);
  return runId;
}

let localRun: Promise<string> | undefined;
/** One training run on the local fixture, shared by the tests that only read it. */
function trainedLocally(): Promise<string> {
  localRun ??= train('planner_ranker.py', dataset);
  return localRun;
}

describe('reference trainers', () => {
  before(async () => {
    assert.ok(existsSync(PYTHON), `no trainer Python at ${PYTHON}: ./lifecycle stack up installs it, or set TRAINER_PYTHON`);
    await reachable('MLflow', `${MLFLOW}/health`, 'start the stack (./lifecycle stack up) or set MLFLOW_TRACKING_URI');
    await reachable('S3', S3.S3_ENDPOINT, 'start the stack (./lifecycle stack up) or set S3_ENDPOINT');
    const made = python([MAKE_DATASET, '--out', dataset, ...FIXTURE_SIZE]);
    assert.equal(made.status, 0, made.stderr);
    experimentId = await experiment('reference-trainer-tests');
  });
  after(() => {
    rmSync(work, { recursive: true, force: true });
    const deleteS3 = 'import sys; from planner_dataset import open_location; fs, root = open_location(sys.argv[1]); fs.delete_dir(root)';
    if (existsSync(PYTHON)) python(['-c', deleteS3, S3_DATASET], { PYTHONPATH: TRAINERS });
  });

  test('planner_ranker learns the planted preference and logs what seed §3.2 requires', async () => {
    const runId = await trainedLocally();
    for (const key of ['training_loss', 'validation_loss']) {
      const points = await history(runId, key);
      assert.deepEqual(
        points.map((p) => p.step),
        [1, 2, 3, 4, 5, 6, 7, 8],
        `${key}: one point per epoch`,
      );
    }
    const loss = (await history(runId, 'training_loss')).map((p) => p.value);
    assert.ok((loss.at(-1) ?? Infinity) < (loss[0] ?? -Infinity), `training loss decreases: ${loss.join(', ')}`);

    const { params, metrics } = await runData(runId);
    // Random ranking puts each accepted recipe in the top 21 of 60 with probability 21/60.
    const randomRecall = TOP_K / RECIPES;
    assert.ok((metrics.eval_score ?? 0) > randomRecall + 0.15, `eval_score ${metrics.eval_score} vs random ${randomRecall}`);
    assert.equal(params.learning_rate, '0.05', "the dispatcher's params stay as they were");
    assert.equal(params.dataset_version, `fixture-${unique}`);
    assert.deepEqual([params.seed, params.l2, params.negatives_per_positive, params.drop_feature_prefixes], ['7', '0.0001', '4', '[]']);

    const listed = (folder: string) => listArtifacts(runId, folder);
    assert.deepEqual(await listed('tokenizer'), ['tokenizer/tokenizer.json']);
    assert.deepEqual(await listed('config'), ['config/config.json']);
    const modelFiles = await listed('model');
    for (const file of ['model/MLmodel', 'model/model.json']) assert.ok(modelFiles.includes(file), `${file} in ${modelFiles.join(', ')}`);
    const model = JSON.parse((await artifact(runId, 'model/model.json')).toString()) as {
      format: string;
      weights: number[][];
      shape: number[];
    };
    const tokenizer = JSON.parse((await artifact(runId, 'tokenizer/tokenizer.json')).toString()) as {
      context_tokens: string[];
      recipe_tokens: string[];
    };
    assert.equal(model.format, 'planner-ranker/1');
    assert.deepEqual(model.shape, [tokenizer.context_tokens.length, tokenizer.recipe_tokens.length]);
    const weight = (context: string, recipe: string) =>
      model.weights[tokenizer.context_tokens.indexOf(context)]?.[tokenizer.recipe_tokens.indexOf(recipe)];
    assert.ok(
      (weight('region=north', 'cuisine=italian') ?? 0) > 0,
      `W[region=north, cuisine=italian] = ${weight('region=north', 'cuisine=italian')}`,
    );
    assert.ok((weight('region=north', 'cuisine=italian') ?? 0) > (weight('region=north', 'cuisine=thai') ?? 0));
  });

  test('a registered version loads with the official MLflow client and scores real rows as the TypeScript runtime does', async () => {
    const runId = await trainedLocally();
    const uri = await registerRunModel(runId, `planner-ranker-test-${unique}`);

    const out = join(work, 'scored-with-mlflow.json');
    // Nothing of trainers/ on sys.path: the model must carry its own code.
    const scored = python([SCORE_WITH_MLFLOW, '--model-uri', uri, '--dataset', dataset, '--rows', '5', '--out', out], { PYTHONPATH: '' });
    assert.equal(scored.status, 0, `${scored.stdout}\n${scored.stderr}`);
    const result = JSON.parse(readFileSync(out, 'utf8')) as {
      inputs: string[];
      outputs: string[];
      requirements: string[];
      example_from_dataset: boolean;
      example_scores: number[];
      pairs: { row_id: string; recipe_id: string; features_json: string; tokens_json: string; score: number; probability: number }[];
    };
    assert.deepEqual(result.inputs, ['features_json', 'tokens_json']);
    assert.deepEqual(result.outputs, ['score', 'probability']);
    assert.ok(result.example_from_dataset, 'the input example is rows of the dataset');
    assert.equal(result.example_scores.length, 5);
    assert.deepEqual(
      result.requirements.map((r) => r.split('==')[0]),
      ['mlflow', 'numpy', 'pandas'],
      `pinned, not inferred: ${result.requirements.join(', ')}`,
    );
    assert.ok(result.requirements.includes('mlflow==3.17.2'));

    const runtime = await LearnedRankerRuntime.load(new MlflowClient({ trackingUri: MLFLOW }), uri, []);
    assert.equal(result.pairs.length, 5 * RECIPES);
    for (const pair of result.pairs) {
      const expected = rankerScore(runtime.model, JSON.parse(pair.features_json), JSON.parse(pair.tokens_json));
      const where = `${pair.row_id} x ${pair.recipe_id}: Python ${pair.score}, TypeScript ${expected}`;
      assert.ok(Math.abs(pair.score - expected) <= 1e-9 * Math.abs(expected), where);
      assert.ok(Math.abs(pair.probability - 1 / (1 + Math.exp(-expected))) <= 1e-12, `probability of ${where}`);
    }
    assert.ok(new Set(result.pairs.map((p) => p.score)).size > RECIPES, 'the scores depend on the row and the recipe');
  });

  test('planner_ranker is deterministic under its seed', async () => {
    const [first, second] = [await trainedLocally(), await train('planner_ranker.py', dataset)];
    assert.notEqual(first, second);
    assert.ok((await artifact(first, 'model/model.json')).equals(await artifact(second, 'model/model.json')), 'identical model.json bytes');
  });

  test('planner_ranker trains from an s3:// dataset location', async () => {
    const uploaded = python([MAKE_DATASET, '--out', join(work, 'dataset-s3'), ...FIXTURE_SIZE, '--upload', S3_DATASET]);
    assert.equal(uploaded.status, 0, uploaded.stderr);
    const fromS3 = await train('planner_ranker.py', S3_DATASET);
    // The same rows as the local fixture, so the same model.
    assert.ok((await artifact(fromS3, 'model/model.json')).equals(await artifact(await trainedLocally(), 'model/model.json')));
    const config = JSON.parse((await artifact(fromS3, 'config/config.json')).toString()) as {
      dataset: { location: string; version: string };
    };
    assert.deepEqual(config.dataset, { location: S3_DATASET, version: `fixture-${unique}` });
  });

  test('drop_feature_prefixes makes the model blind to those context tokens', async () => {
    const runId = await train('planner_ranker.py', dataset, {
      ...RECIPE,
      recipe_id: 'planner-ranker-ignores-allergies@1',
      drop_feature_prefixes: ['allergy='],
    });
    const tokenizer = JSON.parse((await artifact(runId, 'tokenizer/tokenizer.json')).toString()) as { context_tokens: string[] };
    assert.ok(tokenizer.context_tokens.length > 0);
    assert.deepEqual(
      tokenizer.context_tokens.filter((t) => t.startsWith('allergy=')),
      [],
    );
    assert.equal((await runData(runId)).params.drop_feature_prefixes, '["allergy="]');
  });

  test('planner_ranker rejects an invalid recipe with exit code 2, naming the field', () => {
    for (const [recipe, field] of [
      [{ ...RECIPE, epochs: 0 }, 'epochs'],
      [{ ...RECIPE, l2: -1 }, 'l2'],
      [{ ...RECIPE, momentum: 0.9 }, 'momentum'],
      [{ ...RECIPE, architecture: 'llama' }, 'architecture'],
    ] as const) {
      const result = runTrainer('planner_ranker.py', dataset, recipe, join(work, 'x'));
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, new RegExp(`'${field}'`));
    }
  });

  test('planner_ranker names a missing column and exits 1', async () => {
    const broken = join(work, 'dataset-broken');
    mkdirSync(broken);
    copyFileSync(join(dataset, 'recipes.parquet'), join(broken, 'recipes.parquet'));
    const dropped = python([
      '-c',
      'import sys, pyarrow.parquet as pq; pq.write_table(pq.read_table(sys.argv[1]).drop_columns(["accepted_meals_json"]), sys.argv[2])',
      join(dataset, 'training.parquet'),
      join(broken, 'training.parquet'),
    ]);
    assert.equal(dropped.status, 0, dropped.stderr);
    const result = runTrainer('planner_ranker.py', broken, RECIPE, join(work, 'x'), {
      MLFLOW_RUN_ID: await createRun(experimentId, RECIPE, `fixture-${unique}`),
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /training\.parquet .* lacks the column\(s\) accepted_meals_json/);
  });
});
