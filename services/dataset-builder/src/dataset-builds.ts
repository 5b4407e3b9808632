import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BusTables, EventBus } from '@planner/bus';
import { isTransient } from '@planner/errors';
import type { MlflowClient } from '@planner/mlflow-client';
import type { ObjectStore } from '@planner/object-store';
import { PollingLoop } from '@planner/service-kit';
import { continueTrace } from '@planner/telemetry';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { DatasetError } from './dataset-error.ts';
import { writeDatasetFiles } from './dataset-files.ts';
import { registerDataset } from './dataset-registration.ts';
import type { EventsIngestion } from './events-ingestion.ts';
import type { DatasetBuilderTables } from './tables.ts';

type Db = Kysely<DatasetBuilderTables & BusTables>;

export interface DatasetBuildsOptions {
  db: Db;
  databaseUrl: string;
  bus: EventBus;
  store: ObjectStore;
  mlflow: MlflowClient;
  mlflowExperiment: string;
  logger: Logger;
  maxAttempts: number;
  /** How long a build failing on an unavailable dependency (PostgreSQL, S3, MLflow) keeps being retried. */
  dependencyBudgetSeconds: number;
  ingestion: EventsIngestion;
  /** How long a build waits for the ingestion of exp.events to reach where the topic ended when it began. */
  ingestWaitSeconds: number;
  idleDelayMs?: number;
}

/** The folder of a dataset version in the object store (seed §2.4): `datasets/<model>/<date>/`. */
export function datasetPrefix(datasetVersion: string): string {
  return `datasets/${datasetVersion}/`;
}

/**
 * Builds requested dataset versions outside the Kafka consumer, so a long
 * build never stalls a partition or outlives a consumer session. A build holds
 * its row lock for its whole run: replicas skip it, and if the process dies
 * the lock goes with it and another replica takes the version over. Every
 * external effect is keyed by the version, so a rerun overwrites rather than
 * duplicates; `dataset.ready` leaves through the outbox with the status change.
 */
export class DatasetBuilds {
  readonly #options: DatasetBuildsOptions;
  readonly #loop: PollingLoop;

  constructor(options: DatasetBuildsOptions) {
    this.#options = options;
    this.#loop = new PollingLoop({
      step: () => this.buildNext(),
      idleMs: options.idleDelayMs ?? 500,
      onError: (error) => options.logger.error({ err: error }, 'dataset build loop failed; retrying'),
    });
  }

  start(): void {
    this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Builds one pending version if there is one; true when it did. */
  async buildNext(): Promise<boolean> {
    const { db } = this.#options;
    let failure: { version: string; error: Error } | undefined;
    const claimed = await db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('exp.datasets')
        .selectAll()
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('retry_at', 'is', null), eb('retry_at', '<=', new Date())]))
        .orderBy('requested_at')
        .limit(1)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!row) return false;
      let scratch: string | undefined;
      try {
        if (!(await this.#eventsIngested(trx, row))) return false;
        const folder = await mkdtemp(join(tmpdir(), 'pl-dataset-'));
        scratch = folder;
        // The build continues the request's trace: dataset.ready and the build's logs belong to the lifecycle run.
        await continueTrace(
          'build dataset',
          { traceparent: row.traceparent, tracestate: row.tracestate },
          { correlationId: row.correlation_id, attributes: { dataset_version: row.dataset_version } },
          () => this.#build(trx, row, folder),
        );
      } catch (error) {
        failure = { version: row.dataset_version, error: error as Error };
      } finally {
        if (scratch) await rm(scratch, { recursive: true, force: true });
      }
      return true;
    });
    if (failure) await this.#recordFailure(failure.version, failure.error);
    return claimed && !failure;
  }

  /**
   * Whether the ingestion of exp.events has committed past where the topic
   * ended when this build was first claimed. If not, the build is put back for
   * a second; past the wait it fails with DATASET_EVENTS_BEHIND, rather than
   * build a version that silently lacks events.
   */
  async #eventsIngested(trx: Transaction<DatasetBuilderTables & BusTables>, row: Selectable<DatasetBuilderTables['exp.datasets']>) {
    const { ingestion, ingestWaitSeconds } = this.#options;
    const target = row.events_target ?? (await ingestion.end());
    const since = row.events_target_at ? new Date(row.events_target_at) : new Date();
    const behind = await ingestion.behind(target);
    if (behind === 0) return true;
    const waited = (Date.now() - since.getTime()) / 1000;
    if (waited > ingestWaitSeconds) {
      throw new DatasetError(
        'DATASET_EVENTS_BEHIND',
        `the ingestion of exp.events is ${behind} messages short of where the topic ended when the build began, after ${Math.round(waited)} s (DATASET_INGEST_WAIT_SECONDS=${ingestWaitSeconds}); is the dataset-builder's exp-events consumer running?`,
      );
    }
    await trx
      .updateTable('exp.datasets')
      .set({ events_target: JSON.stringify(target), events_target_at: since, retry_at: sql<Date>`now() + interval '1 second'` })
      .where('dataset_version', '=', row.dataset_version)
      .execute();
    return false;
  }

  /** Writes, uploads and registers one version, and stages dataset.ready with its status in `trx`. */
  async #build(trx: Transaction<DatasetBuilderTables & BusTables>, row: Selectable<DatasetBuilderTables['exp.datasets']>, scratch: string) {
    const { db, logger } = this.#options;
    const started = performance.now();
    const location = this.#options.store.uri(datasetPrefix(row.dataset_version));
    const pins = {
      datasetVersion: row.dataset_version,
      windowStart: new Date(row.window_start),
      windowEnd: new Date(row.window_end),
      splitSeed: row.split_seed,
    };
    const built = await writeDatasetFiles(this.#options.databaseUrl, db, pins, scratch);
    const prefix = datasetPrefix(row.dataset_version);
    for (const file of built.files) await this.#options.store.putFile(prefix + file.name, file.path, file.contentType);
    const runId = await registerDataset(
      this.#options.mlflow,
      this.#options.mlflowExperiment,
      { datasetVersion: row.dataset_version, modelName: row.model_name, location },
      built,
    );
    const split = built.profile.splits;
    await trx
      .updateTable('exp.datasets')
      .set({
        status: 'ready',
        location,
        digest: built.digest,
        row_count: built.profile.rows,
        field_count: built.fieldCount,
        split_counts: JSON.stringify(split) as never,
        mlflow_run_id: runId,
        error: null,
        failing_since: null,
        built_at: new Date(),
      })
      .where('dataset_version', '=', row.dataset_version)
      .execute();
    const ready = this.#options.bus.event(
      'dataset.ready',
      {
        dataset_version: row.dataset_version,
        model_name: row.model_name,
        location,
        digest: built.digest,
        row_count: built.profile.rows,
        field_count: built.fieldCount,
        split,
        mlflow_run_id: runId,
      },
      row.correlation_id,
    );
    await this.#options.bus.enqueue(trx, 'dataset.ready', ready, row.dataset_version);
    logger.info(
      {
        dataset_version: row.dataset_version,
        rows: built.profile.rows,
        digest: built.digest,
        seconds: (performance.now() - started) / 1000,
      },
      'dataset built',
    );
  }

  /**
   * Data problems do not fix themselves: failed at once. An unavailable
   * dependency is retried with backoff (up to 10 s apart) for the budget;
   * anything else (a bug, say) gets a few attempts.
   */
  async #recordFailure(version: string, error: Error): Promise<void> {
    const { db, logger, maxAttempts, dependencyBudgetSeconds } = this.#options;
    const code = (error as { code?: string }).code ?? 'DATASET_BUILD_FAILED';
    const transient = isTransient(error);
    const row = await db
      .updateTable('exp.datasets')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        error: `${code}: ${error.message}`,
        retry_at: sql<Date>`now() + make_interval(secs => least(10, power(2, attempts + 1)))`,
        failing_since: transient ? sql<Date>`coalesce(failing_since, now())` : null,
      }))
      .where('dataset_version', '=', version)
      .returning(['attempts', sql<number>`extract(epoch from now() - coalesce(failing_since, now()))`.as('failing_for')])
      .executeTakeFirstOrThrow();
    const final = transient
      ? Number(row.failing_for) >= dependencyBudgetSeconds
      : code.startsWith('DATASET_') || row.attempts >= maxAttempts;
    if (final) await db.updateTable('exp.datasets').set({ status: 'failed' }).where('dataset_version', '=', version).execute();
    const fields = { dataset_version: version, code, err: error, attempts: row.attempts, transient, final };
    if (final) logger.error(fields, 'dataset build failed');
    else logger.warn(fields, 'dataset build failed; retrying');
  }
}
