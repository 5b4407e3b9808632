import { setTimeout as sleep } from 'node:timers/promises';
import { artifactProxyPath, checkArtifactPath } from './artifact-paths.ts';
import { DATASET_DIGEST_TAG, type DatasetVersionRef, datasetVersionInput } from './dataset-version-input.ts';
import { chunkLogBatch } from './log-batch-chunks.ts';
import type { MlflowConfig } from './mlflow-config.ts';
import {
  type DatasetInput,
  datasetInputToWire,
  type MlflowRun,
  type ModelVersion,
  modelVersionFromWire,
  type RunStatus,
  runFromWire,
  toWireKeyValues,
  type WireMetric,
  type WireModelVersion,
  type WireRun,
} from './mlflow-entities.ts';
import { isAlreadyExists, MlflowError } from './mlflow-error.ts';
import { MlflowHttp, type MlflowHttpOptions } from './mlflow-http.ts';
import { type RunIdentity, runIdentityTags } from './run-identity.ts';

const API = '/api/2.0/mlflow';
const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['FINISHED', 'FAILED', 'KILLED']);

export interface CreateRunRequest {
  experimentId: string;
  runName?: string;
  tags?: Record<string, string>;
  /** Who creates the run: written as MLflow's user and source tags (see `runIdentityTags`), over any in `tags`. */
  identity?: RunIdentity;
}

export interface MetricInput {
  key: string;
  value: number;
  /** Milliseconds since the epoch (default: when `logBatch` is called). */
  timestamp?: number;
  /** Default 0. */
  step?: number;
}

export interface LogBatchInput {
  params?: Record<string, string>;
  metrics?: readonly MetricInput[];
  tags?: Record<string, string>;
}

export interface MetricPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface ArtifactEntry {
  /** Relative to the run's artifact root, e.g. `reports/summary.json`. */
  path: string;
  isDir: boolean;
  fileSize?: number;
}

export interface CreateModelVersionRequest {
  /** The registered model's name. */
  name: string;
  /** Where the model's files are, inside the run's artifacts, e.g. `<run artifact_uri>/model`. */
  source: string;
  runId: string;
  tags?: Record<string, string>;
}

/** Pages MLflow's search endpoints are asked for. */
const PAGE_SIZE = 1000;
const READY_POLL_MS = 500;

/** The slice of the MLflow REST API the lifecycle services use. */
export class MlflowClient {
  readonly #http: MlflowHttp;

  constructor(config: MlflowConfig, options: MlflowHttpOptions = {}) {
    this.#http = new MlflowHttp(config, options);
  }

  /** Resolves when the server answers a tracking request (so its backend store and our credentials work); for readiness checks. */
  async ping(): Promise<void> {
    await this.#http.send({ method: 'GET', path: `${API}/experiments/search`, query: { max_results: 1 }, once: true });
  }

  // --- experiments

  /** The experiment's id, creating it when missing; safe when several processes race to create it. */
  async getOrCreateExperiment(name: string): Promise<string> {
    const existing = await this.#experimentByName(name);
    if (existing) return existing;
    try {
      const created = await this.#http.json<{ experiment_id: string }>({
        method: 'POST',
        path: `${API}/experiments/create`,
        json: { name },
      });
      return created.experiment_id;
    } catch (error) {
      // Another process created it between our lookup and our create.
      if (!isAlreadyExists(error)) throw error;
      const raced = await this.#experimentByName(name);
      if (raced === undefined) throw error;
      return raced;
    }
  }

  async #experimentByName(name: string): Promise<string | undefined> {
    try {
      const { experiment } = await this.#http.json<{ experiment: { experiment_id: string; lifecycle_stage: string } }>({
        method: 'GET',
        path: `${API}/experiments/get-by-name`,
        query: { experiment_name: name },
      });
      // A deleted experiment still holds its name; runs logged to it would be invisible.
      if (experiment.lifecycle_stage === 'deleted') {
        throw new MlflowError(
          'MLFLOW_EXPERIMENT_DELETED',
          `MLflow experiment '${name}' (${experiment.experiment_id}) is deleted; restore it or delete it permanently`,
        );
      }
      return experiment.experiment_id;
    } catch (error) {
      if (error instanceof MlflowError && error.code === 'MLFLOW_NOT_FOUND') return undefined;
      throw error;
    }
  }

  // --- runs

  async createRun(request: CreateRunRequest): Promise<MlflowRun> {
    const { run } = await this.#http.json<{ run: WireRun }>({
      method: 'POST',
      path: `${API}/runs/create`,
      json: {
        experiment_id: request.experimentId,
        run_name: request.runName,
        start_time: Date.now(),
        tags: toWireKeyValues({ ...request.tags, ...(request.identity ? runIdentityTags(request.identity) : {}) }),
      },
    });
    return runFromWire(run);
  }

  async getRun(runId: string): Promise<MlflowRun> {
    const { run } = await this.#http.json<{ run: WireRun }>({ method: 'GET', path: `${API}/runs/get`, query: { run_id: runId } });
    return runFromWire(run);
  }

  /** Ending statuses (FINISHED, FAILED, KILLED) record `endTime`, now by default, so the run gets a duration. */
  async updateRun(runId: string, status: RunStatus, endTime?: number): Promise<void> {
    const end = endTime ?? (TERMINAL_STATUSES.has(status) ? Date.now() : undefined);
    await this.#http.json({ method: 'POST', path: `${API}/runs/update`, json: { run_id: runId, status, end_time: end } });
  }

  /** Runs matching `filter` (MLflow's search syntax, e.g. `tags.correlation_id = 'abc'`), newest first, up to `maxResults`. */
  async searchRuns(experimentIds: readonly string[], filter: string, maxResults = PAGE_SIZE): Promise<MlflowRun[]> {
    const runs: MlflowRun[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.#http.json<{ runs?: WireRun[]; next_page_token?: string }>({
        method: 'POST',
        path: `${API}/runs/search`,
        json: { experiment_ids: experimentIds, filter, max_results: Math.min(PAGE_SIZE, maxResults - runs.length), page_token: pageToken },
      });
      runs.push(...(page.runs ?? []).map(runFromWire));
      pageToken = page.next_page_token;
    } while (pageToken && runs.length < maxResults);
    return runs;
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.#http.json({ method: 'POST', path: `${API}/runs/set-tag`, json: { run_id: runId, key, value } });
  }

  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    // Without max_results the server answers the whole history in one page.
    const { metrics } = await this.#http.json<{ metrics?: WireMetric[] }>({
      method: 'GET',
      path: `${API}/metrics/get-history`,
      query: { run_id: runId, metric_key: key },
    });
    return metrics ?? [];
  }

  /** Logs everything, in as many requests as MLflow's per-request limits need (see `chunkLogBatch`). */
  async logBatch(runId: string, input: LogBatchInput): Promise<void> {
    const now = Date.now();
    const requests = chunkLogBatch(runId, {
      params: toWireKeyValues(input.params),
      tags: toWireKeyValues(input.tags),
      metrics: (input.metrics ?? []).map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp ?? now, step: m.step ?? 0 })),
    });
    for (const json of requests) await this.#http.json({ method: 'POST', path: `${API}/runs/log-batch`, json });
  }

  async logInputs(runId: string, datasets: readonly DatasetInput[]): Promise<void> {
    await this.#http.json({
      method: 'POST',
      path: `${API}/runs/log-inputs`,
      json: { run_id: runId, datasets: datasets.map(datasetInputToWire) },
    });
  }

  /**
   * Logs a dataset version as the run's input (named after the version, its
   * digest cut to MLflow's 36 characters) and tags the run `dataset_digest`
   * with the whole digest, so the lineage MLflow shows is exact.
   */
  async logDatasetVersion(runId: string, dataset: DatasetVersionRef): Promise<void> {
    await this.logInputs(runId, [datasetVersionInput(dataset)]);
    await this.setTag(runId, DATASET_DIGEST_TAG, dataset.digest);
  }

  // --- artifacts, through the server's artifact proxy

  async uploadArtifact(
    runId: string,
    relativePath: string,
    body: Buffer | string,
    contentType = 'application/octet-stream',
  ): Promise<void> {
    const path = artifactProxyPath((await this.getRun(runId)).info.artifactUri, relativePath);
    await this.#http.send({ method: 'PUT', path, body, contentType });
  }

  /** The entries directly under `path` (default: the run's artifact root). */
  async listArtifacts(runId: string, path?: string): Promise<ArtifactEntry[]> {
    const { files } = await this.#http.json<{ files?: { path: string; is_dir: boolean; file_size?: number }[] }>({
      method: 'GET',
      path: `${API}/artifacts/list`,
      query: { run_id: runId, path: path === undefined ? undefined : checkArtifactPath(path) },
    });
    return (files ?? []).map((f) => ({ path: f.path, isDir: f.is_dir, ...(f.file_size === undefined ? {} : { fileSize: f.file_size }) }));
  }

  async downloadArtifact(runId: string, relativePath: string): Promise<Buffer> {
    const path = artifactProxyPath((await this.getRun(runId)).info.artifactUri, relativePath);
    return this.#http.send({ method: 'GET', path });
  }

  // --- model registry (aliases and tags; MLflow's stages are deprecated and not offered)

  /** Creates the registered model unless it exists. */
  async createRegisteredModel(name: string): Promise<void> {
    try {
      await this.#http.json({ method: 'POST', path: `${API}/registered-models/create`, json: { name } });
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  }

  async createModelVersion(request: CreateModelVersionRequest): Promise<ModelVersion> {
    const { model_version } = await this.#http.json<{ model_version: WireModelVersion }>({
      method: 'POST',
      path: `${API}/model-versions/create`,
      json: { name: request.name, source: request.source, run_id: request.runId, tags: toWireKeyValues(request.tags) },
    });
    return modelVersionFromWire(model_version);
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const { model_version } = await this.#http.json<{ model_version: WireModelVersion }>({
      method: 'GET',
      path: `${API}/model-versions/get`,
      query: { name, version },
    });
    return modelVersionFromWire(model_version);
  }

  /** Every version matching `filter`, e.g. `name='planner_model' and run_id='<id>'`, across all pages. */
  async searchModelVersions(filter: string): Promise<ModelVersion[]> {
    const versions: ModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.#http.json<{ model_versions?: WireModelVersion[]; next_page_token?: string }>({
        method: 'GET',
        path: `${API}/model-versions/search`,
        query: { filter, max_results: PAGE_SIZE, page_token: pageToken },
      });
      versions.push(...(page.model_versions ?? []).map(modelVersionFromWire));
      pageToken = page.next_page_token;
    } while (pageToken);
    return versions;
  }

  /** Polls until the version is READY; FAILED_REGISTRATION or `timeoutMs` passing is an error. */
  async waitForModelVersionReady(name: string, version: string, timeoutMs: number): Promise<ModelVersion> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await this.getModelVersion(name, version);
      if (current.status === 'READY') return current;
      if (current.status === 'FAILED_REGISTRATION') {
        throw new MlflowError(
          'MLFLOW_MODEL_VERSION_FAILED',
          `model ${name} version ${version} failed registration: ${current.statusMessage ?? 'no reason given'}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new MlflowError(
          'MLFLOW_MODEL_VERSION_NOT_READY',
          `model ${name} version ${version} is still ${current.status} after ${timeoutMs} ms`,
        );
      }
      await sleep(Math.min(READY_POLL_MS, left));
    }
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.#http.json({ method: 'POST', path: `${API}/model-versions/set-tag`, json: { name, version, key, value } });
  }

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    await this.#http.json({ method: 'DELETE', path: `${API}/model-versions/delete-tag`, json: { name, version, key } });
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    await this.#http.json({ method: 'POST', path: `${API}/registered-models/alias`, json: { name, alias, version } });
  }

  /** The version `alias` points at; MLFLOW_NOT_FOUND when the alias is not set. */
  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    try {
      const { model_version } = await this.#http.json<{ model_version: WireModelVersion }>({
        method: 'GET',
        path: `${API}/registered-models/alias`,
        query: { name, alias },
      });
      return modelVersionFromWire(model_version);
    } catch (error) {
      // MLflow answers an unset alias with 400 INVALID_PARAMETER_VALUE "Registered model alias <alias> not found."
      if (error instanceof MlflowError && error.mlflowErrorCode === 'INVALID_PARAMETER_VALUE' && /alias .* not found/.test(error.message)) {
        throw new MlflowError('MLFLOW_NOT_FOUND', error.message, { status: 400, mlflowErrorCode: error.mlflowErrorCode, cause: error });
      }
      throw error;
    }
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.#http.json({ method: 'DELETE', path: `${API}/registered-models/alias`, json: { name, alias } });
  }
}
