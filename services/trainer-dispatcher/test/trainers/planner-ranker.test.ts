/**
 * The reference trainers against the real MLflow and S3 servers of the stack
 * (`./lifecycle stack up`), run as the dispatcher runs them: a run created
 * first with the dispatcher's params and tags, then the trainer attached to it
 * through MLFLOW_RUN_ID. A server that does not answer fails the suite.
 */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MlflowClient, MlflowHttp } from '@planner/mlflow-client';
// trainer-dispatcher does not depend on the runtime; its test compares against it.
import { LearnedRankerRuntime, rankerScore } from '@planner/policy-runtime';

const env = process.env;
const MLFLOW = env.MLFLOW_TRACKING_URI ?? 'http://127.0.0.1:15000';
const S3 = {
  S3_ENDPOINT: env.S3_ENDPOINT ?? 'http://127.0.0.1:19000',
  AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID ?? 'planner-local',
  AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? 'planner-local-secret',
  AWS_REGION: env.AWS_REGION ?? 'us-east-1',
};
const BUCKET = env.S3_BUCKET ?? 'planner-lifecycle';
// The stack's MLflow virtualenv is the Python local trainers run with (numpy, pyarrow, mlflow).
const PYTHON =
  env.TRAINER_PYTHON ?? join(env.PL_CACHE_DIR ?? join(homedir(), '.cache', 'planner-lifecycle'), 'mlflow-3.17.2', 'bin', 'python');
const TRAINERS = join(import.meta.dirname, '..', '..', 'trainers');
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
type Recipe = Record<string, unknown>;

const work = mkdtempSync(join(tmpdir(), 'planner-ranker-test-'));
const dataset = join(work, 'dataset');
const unique = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const S3_DATASET = `s3://${BUCKET}/test-datasets/planner-ranker-${unique}/`;
let experimentId = '';

// MLflow's own retrying client: a bare fetch fails on a keep-alive socket the server already closed.
const mlflowHttp = new MlflowHttp({ trackingUri: MLFLOW });

function mlflow<T = Record<string, unknown>>(path: string, body?: unknown): Promise<T> {
  return mlflowHttp.json<T>(body === undefined ? { method: 'GET', path } : { method: 'POST', path, json: body });
}

async function reachable(name: string, url: string, hint: string): Promise<void> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    throw new Error(`${name} at ${url} does not answer (${(error as Error).message}); ${hint}`);
  }
}

async function experiment(name: string): Promise<string> {
  const found = await mlflowHttp
    .json<{ experiment: { experiment_id: string } }>({
      method: 'GET',
      path: '/api/2.0/mlflow/experiments/get-by-name',
      query: { experiment_name: name },
    })
    .catch(() => undefined);
  if (found) return found.experiment.experiment_id;
  try {
    return (await mlflow<{ experiment_id: string }>('/api/2.0/mlflow/experiments/create', { name })).experiment_id;
  } catch {
    return experiment(name); // another suite created it meanwhile
  }
}

/** What the dispatcher does before launching a trainer: the run, its required params and tags. */
async function createRun(recipe: Recipe, datasetVersion: string): Promise<string> {
  const { run } = await mlflow<{ run: { info: { run_id: string } } }>('/api/2.0/mlflow/runs/create', {
    experiment_id: experimentId,
    run_name: `${String(recipe.recipe_id)} on ${datasetVersion}`,
    start_time: Date.now(),
    tags: [
      { key: 'task', value: 'planner' },
      { key: 'dataset_version', value: datasetVersion },
      { key: 'policy_id', value: 'planner_policy' },
    ],
  });
  const params = {
    learning_rate: recipe.learning_rate,
    batch_size: recipe.batch_size,
    epochs: recipe.epochs,
    dataset_version: datasetVersion,
  };
  await mlflow('/api/2.0/mlflow/runs/log-batch', {
    run_id: run.info.run_id,
    params: [...Object.entries(params), ['model_architecture', recipe.architecture]].map(([key, value]) => ({ key, value: String(value) })),
  });
  return run.info.run_id;
}

function python(args: string[], extraEnv: Record<string, string> = {}): SpawnSyncReturns<string> {
  const result = spawnSync(PYTHON, args, {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...env, MLFLOW_TRACKING_URI: MLFLOW, ...S3, ...extraEnv },
  });
  if (result.error) throw result.error;
  return result;
}

let recipeFiles = 0;
function recipeFile(recipe: Recipe): string {
  const file = join(work, `recipe-${++recipeFiles}.json`);
  writeFileSync(file, JSON.stringify(recipe));
  return file;
}

/** The job command line of trainer-dispatcher's local backend. */
function runTrainer(trainer: string, location: string, recipe: Recipe, output: string, extraEnv: Record<string, string> = {}) {
  return python([join(TRAINERS, trainer), '--dataset', location, '--recipe', recipeFile(recipe), '--output', output], extraEnv);
}

/** Trains into a fresh run; returns the run id once the trainer exited 0. */
async function train(trainer: string, location: string, recipe: Recipe = RECIPE): Promise<string> {
  const runId = await createRun(recipe, `fixture-${unique}`);
  const output = join(work, `out-${runId}`);
  const result = runTrainer(trainer, location, recipe, output, { MLFLOW_RUN_ID: runId });
  assert.equal(result.status, 0, `${trainer} failed:\n${result.stdout}\n${result.stderr}`);
  for (const file of ['model/MLmodel', 'model/model.json', 'tokenizer/tokenizer.json', 'config/config.json'])
    assert.ok(existsSync(join(output, file)), file);
  return runId;
}

async function artifact(runId: string, path: string): Promise<Buffer> {
  return mlflowHttp.send({ method: 'GET', path: '/get-artifact', query: { path, run_uuid: runId } });
}

async function history(runId: string, key: string): Promise<{ step: number; value: number }[]> {
  const { metrics = [] } = await mlflow<{ metrics?: { step: string | number; value: number }[] }>(
    `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=${key}`,
  );
  return metrics.map((m) => ({ step: Number(m.step), value: m.value })).sort((a, b) => a.step - b.step);
}

interface RunData {
  params: Record<string, string>;
  metrics: Record<string, number>;
}
async function runData(runId: string): Promise<RunData> {
  const { run } = await mlflow<{
    run: { data: { params?: { key: string; value: string }[]; metrics?: { key: string; value: number }[] } };
  }>(`/api/2.0/mlflow/runs/get?run_id=${runId}`);
  return {
    params: Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value])),
    metrics: Object.fromEntries((run.data.metrics ?? []).map((m) => [m.key, m.value])),
  };
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

    const listed = async (folder: string) =>
      ((await mlflow<{ files?: { path: string }[] }>(`/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=${folder}`)).files ?? []).map(
        (f) => f.path,
      );
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
    const client = new MlflowClient({ trackingUri: MLFLOW });
    const name = `planner-ranker-test-${unique}`;
    await client.createRegisteredModel(name);
    // The source registry-sync registers: the run's model/ folder.
    const source = `${(await client.getRun(runId)).info.artifactUri}/model`;
    const { version } = await client.waitForModelVersionReady(
      name,
      (await client.createModelVersion({ name, source, runId })).version,
      60_000,
    );
    const uri = `models:/${name}/${version}`;

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

    const runtime = await LearnedRankerRuntime.load(client, uri, []);
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
      MLFLOW_RUN_ID: await createRun(RECIPE, `fixture-${unique}`),
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /training\.parquet .* lacks the column\(s\) accepted_meals_json/);
  });

  test('lora_sft answers --help and checks its recipe without torch installed', () => {
    const help = python([join(TRAINERS, 'lora_sft.py'), '--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /--dataset/);
    const recipe = {
      recipe_id: 'planner-lora-llama3-8b@1',
      architecture: 'llama-3.1-8b-instruct+lora',
      backend: 'gpu',
      base_model: 'meta-llama/Llama-3.1-8B-Instruct',
      quantization: '4bit',
      lora_r: 16,
      lora_alpha: 32,
      lora_dropout: 0.05,
      target_modules: ['q_proj', 'v_proj'],
      learning_rate: 0.0002,
      batch_size: 8,
      epochs: 2,
      seed: 7,
      max_length: 2048,
    };
    const invalid = runTrainer('lora_sft.py', dataset, { ...recipe, lora_r: 0 }, join(work, 'x'));
    assert.equal(invalid.status, 2, invalid.stderr);
    assert.match(invalid.stderr, /'lora_r'/);
    // A valid recipe gets as far as the GPU stack, which this Python lacks.
    const valid = runTrainer('lora_sft.py', dataset, recipe, join(work, 'x'));
    assert.equal(valid.status, 1, valid.stderr);
    assert.match(valid.stderr, /requirements-gpu\.txt/);
  });
});
