/**
 * What the reference-trainer tests share: the stack's MLflow and S3 settings,
 * the MLflow calls the dispatcher makes before launching a trainer, and the
 * job command line of trainer-dispatcher's local backend.
 */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MlflowClient, MlflowHttp } from '@planner/mlflow-client';

const env = process.env;
export const MLFLOW = env.MLFLOW_TRACKING_URI ?? 'http://127.0.0.1:15000';
export const S3 = {
  S3_ENDPOINT: env.S3_ENDPOINT ?? 'http://127.0.0.1:19000',
  AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID ?? 'planner-local',
  AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? 'planner-local-secret',
  AWS_REGION: env.AWS_REGION ?? 'us-east-1',
};
export const TRAINERS = join(import.meta.dirname, '..', '..', 'trainers');
export type Recipe = Record<string, unknown>;

// MLflow's own retrying client: a bare fetch fails on a keep-alive socket the server already closed.
export const mlflowHttp = new MlflowHttp({ trackingUri: MLFLOW });

export function mlflow<T = Record<string, unknown>>(path: string, body?: unknown): Promise<T> {
  return mlflowHttp.json<T>(body === undefined ? { method: 'GET', path } : { method: 'POST', path, json: body });
}

export async function reachable(name: string, url: string, hint: string): Promise<void> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    throw new Error(`${name} at ${url} does not answer (${(error as Error).message}); ${hint}`);
  }
}

export async function experiment(name: string): Promise<string> {
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
export async function createRun(experimentId: string, recipe: Recipe, datasetVersion: string): Promise<string> {
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

export interface PythonOptions {
  extraEnv?: Record<string, string>;
  timeoutMs?: number;
}

/** A Python process with the stack's MLflow and S3 settings; fails the test if it cannot start. */
export function runPython(python: string, args: string[], options: PythonOptions = {}): SpawnSyncReturns<string> {
  const result = spawnSync(python, args, {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 180_000,
    env: { ...env, MLFLOW_TRACKING_URI: MLFLOW, ...S3, ...options.extraEnv },
  });
  if (result.error) throw result.error;
  return result;
}

let recipeFiles = 0;
/** The job command line of trainer-dispatcher's local backend, the recipe written to a file under `work`. */
export function runTrainer(
  python: string,
  work: string,
  trainer: string,
  location: string,
  recipe: Recipe,
  output: string,
  options: PythonOptions = {},
): SpawnSyncReturns<string> {
  const file = join(work, `recipe-${++recipeFiles}.json`);
  writeFileSync(file, JSON.stringify(recipe));
  return runPython(python, [join(TRAINERS, trainer), '--dataset', location, '--recipe', file, '--output', output], options);
}

/** Registers the run's model/ folder (the source registry-sync registers) as a new model; its models:/ URI once ready. */
export async function registerRunModel(runId: string, name: string): Promise<string> {
  const client = new MlflowClient({ trackingUri: MLFLOW });
  await client.createRegisteredModel(name);
  const source = `${(await client.getRun(runId)).info.artifactUri}/model`;
  const { version } = await client.waitForModelVersionReady(
    name,
    (await client.createModelVersion({ name, source, runId })).version,
    60_000,
  );
  return `models:/${name}/${version}`;
}

export async function artifact(runId: string, path: string): Promise<Buffer> {
  return mlflowHttp.send({ method: 'GET', path: '/get-artifact', query: { path, run_uuid: runId } });
}

export async function listArtifacts(runId: string, folder: string): Promise<string[]> {
  const { files = [] } = await mlflow<{ files?: { path: string }[] }>(`/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=${folder}`);
  return files.map((f) => f.path);
}

export async function history(runId: string, key: string): Promise<{ step: number; value: number }[]> {
  const { metrics = [] } = await mlflow<{ metrics?: { step: string | number; value: number }[] }>(
    `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=${key}`,
  );
  return metrics.map((m) => ({ step: Number(m.step), value: m.value })).sort((a, b) => a.step - b.step);
}

export interface RunData {
  params: Record<string, string>;
  metrics: Record<string, number>;
}
export async function runData(runId: string): Promise<RunData> {
  const { run } = await mlflow<{
    run: { data: { params?: { key: string; value: string }[]; metrics?: { key: string; value: number }[] } };
  }>(`/api/2.0/mlflow/runs/get?run_id=${runId}`);
  return {
    params: Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value])),
    metrics: Object.fromEntries((run.data.metrics ?? []).map((m) => [m.key, m.value])),
  };
}

/** A trainer's exit status, with its output when it is not the expected one. */
export function assertExit(result: SpawnSyncReturns<string>, status: number, what: string): void {
  assert.equal(result.status, status, `${what} exited ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
}
