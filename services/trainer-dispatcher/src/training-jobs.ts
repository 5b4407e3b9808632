import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BusTables, EventBus } from '@planner/bus';
import type { MlflowClient } from '@planner/mlflow-client';
import { PollingLoop } from '@planner/service-kit';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Logger } from 'pino';
import type { JobExit, TrainingBackend } from './backends/training-backend.ts';
import { LogBuffer } from './log-buffer.ts';
import type { JobStatus, TrainerTables } from './tables.ts';
import type { TrainingErrorCode } from './training-error.ts';
import { type TrainingRecipe, trainerRecipe } from './training-recipes.ts';

type Db = Kysely<TrainerTables & BusTables>;
type Job = Selectable<TrainerTables['exp.training_jobs']> & { recipe: TrainingRecipe };

const LOG_LIMIT = 256 * 1024;
const LOG_TAIL_LINES = 40;
const CHECK_EVERY_MS = 1000;
/** A running job whose worker has not written for this long is taken as lost. */
const LOST_AFTER_SECONDS = 60;

export interface TrainingJobsOptions {
  db: Db;
  bus: EventBus;
  mlflow: MlflowClient;
  mlflowExperiment: string;
  backends: ReadonlyMap<string, TrainingBackend>;
  /** Folder the recipes' entrypoints are relative to. */
  trainersRoot: string;
  /** Environment passed to trainers (MLflow and object-store settings). */
  trainerEnv: Record<string, string>;
  maxConcurrent: number;
  logger: Logger;
  idleDelayMs?: number;
}

/** The params seed §3.2 requires, set on the run before the job starts. */
export function requiredParams(job: Pick<Job, 'recipe' | 'dataset_version'>): Record<string, string> {
  return {
    learning_rate: String(job.recipe.learning_rate),
    batch_size: String(job.recipe.batch_size),
    epochs: String(job.recipe.epochs),
    dataset_version: job.dataset_version,
    model_architecture: job.recipe.architecture,
  };
}

/** The tags seed §3.2 requires, plus the job's own for tracing a run back. */
export function requiredTags(
  job: Pick<Job, 'dataset_version' | 'policy_id' | 'job_id' | 'recipe_id' | 'correlation_id'>,
): Record<string, string> {
  return {
    task: 'planner',
    dataset_version: job.dataset_version,
    policy_id: job.policy_id,
    training_job_id: job.job_id,
    training_recipe: job.recipe_id,
    correlation_id: job.correlation_id,
  };
}

/**
 * Runs queued training jobs: creates the MLflow run with the required params
 * and tags first, then hands the job its run id, dataset and recipe on the
 * recipe's backend; streams its log into the table; honours cancellation and
 * the timeout; and records the outcome together with training.completed or
 * training.failed in the outbox.
 */
export class TrainingJobs {
  readonly #options: TrainingJobsOptions;
  readonly #active = new Set<Promise<void>>();
  readonly #loop: PollingLoop;

  constructor(options: TrainingJobsOptions) {
    this.#options = options;
    this.#loop = new PollingLoop({
      step: () => this.#step(),
      idleMs: options.idleDelayMs ?? 500,
      onError: (error) => options.logger.error({ err: error }, 'training job loop failed; retrying'),
    });
  }

  start(): void {
    this.#loop.start();
  }

  /** Stops taking jobs; jobs already running are cancelled and reported as such. */
  async stop(): Promise<void> {
    await this.#loop.stop();
    await Promise.all(this.#active);
  }

  /** Fails jobs whose worker died, then starts one queued job if there is room; true when it started one. */
  async #step(): Promise<boolean> {
    await this.failLostJobs();
    if (this.#active.size >= this.#options.maxConcurrent) return false;
    const job = await this.#claim();
    if (!job) return false;
    const running = this.#execute(job).finally(() => this.#active.delete(running));
    this.#active.add(running);
    return true;
  }

  async #claim(): Promise<Job | undefined> {
    return this.#options.db.transaction().execute(async (trx) => {
      const job = await trx
        .selectFrom('exp.training_jobs')
        .selectAll()
        .where('status', '=', 'queued')
        .orderBy('created_at')
        .limit(1)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!job) return undefined;
      const now = new Date();
      await trx
        .updateTable('exp.training_jobs')
        .set({ status: 'running', started_at: now, heartbeat_at: now })
        .where('job_id', '=', job.job_id)
        .execute();
      return job as unknown as Job;
    });
  }

  /** Jobs left running by a worker that died: failed, with their event, so nothing waits forever. */
  async failLostJobs(): Promise<void> {
    const lost = await this.#options.db
      .selectFrom('exp.training_jobs')
      .selectAll()
      .where('status', '=', 'running')
      .where('heartbeat_at', '<', sql<Date>`now() - make_interval(secs => ${LOST_AFTER_SECONDS})`)
      .execute();
    for (const job of lost) {
      await this.#finish(job as unknown as Job, 'failed', { exitCode: null, signal: null }, job.log, {
        code: 'TRAINING_WORKER_LOST',
        message: `no heartbeat from its worker for ${LOST_AFTER_SECONDS} s`,
      });
    }
  }

  async #execute(job: Job): Promise<void> {
    const { mlflow, logger } = this.#options;
    const log = new LogBuffer(LOG_LIMIT);
    const workDir = await mkdtemp(join(tmpdir(), `pl-training-${job.job_id.slice(0, 8)}-`));
    const started = performance.now();
    let runId: string | undefined;
    try {
      const backend = this.#options.backends.get(job.backend);
      if (!backend) throw Object.assign(new Error(`no backend '${job.backend}' is configured here`), { code: 'TRAINING_LAUNCH_FAILED' });
      const experimentId = await mlflow.getOrCreateExperiment(this.#options.mlflowExperiment);
      runId = (await mlflow.createRun({ experimentId, runName: `${job.recipe_id} on ${job.dataset_version}`, tags: requiredTags(job) }))
        .info.runId;
      await mlflow.logBatch(runId, { params: requiredParams(job) });
      await this.#options.db.updateTable('exp.training_jobs').set({ mlflow_run_id: runId }).where('job_id', '=', job.job_id).execute();
      job.mlflow_run_id = runId;

      const recipeFile = join(workDir, 'recipe.json');
      await writeFile(recipeFile, JSON.stringify(trainerRecipe(job.recipe), null, 2));
      const dataset = await this.#options.db
        .selectFrom('exp.training_datasets')
        .select('location')
        .where('dataset_version', '=', job.dataset_version)
        .executeTakeFirstOrThrow();
      log.append(
        `job ${job.job_id}: ${job.recipe_id} on ${job.dataset_version} (${dataset.location}), MLflow run ${runId}, backend ${backend.name}\n`,
      );
      const launched = backend.launch(
        {
          jobId: job.job_id,
          runId,
          datasetLocation: dataset.location,
          entrypoint: resolve(this.#options.trainersRoot, job.recipe.entrypoint),
          recipeFile,
          workDir,
          env: { ...this.#options.trainerEnv, MLFLOW_RUN_ID: runId },
        },
        (text) => log.append(text),
      );
      const outcome = await this.#watch(job, launched, log);
      await mlflow.updateRun(runId, outcome.status === 'succeeded' ? 'FINISHED' : outcome.status === 'failed' ? 'FAILED' : 'KILLED');
      await this.#finish(job, outcome.status, outcome.exit, log.text, outcome.error, (performance.now() - started) / 1000);
    } catch (error) {
      logger.error({ err: error, job_id: job.job_id }, 'training job could not run');
      log.append(`${(error as Error).message}\n`);
      if (runId) await mlflow.updateRun(runId, 'FAILED').catch(() => undefined);
      await this.#finish(job, 'failed', { exitCode: null, signal: null }, log.text, {
        code: ((error as { code?: string }).code as TrainingErrorCode | undefined) ?? 'TRAINING_LAUNCH_FAILED',
        message: (error as Error).message,
      });
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /** Waits for the job, saving its log and heartbeat every second and stopping it on cancel, timeout or shutdown. */
  async #watch(job: Job, launched: { exit: Promise<JobExit>; cancel(): void }, log: LogBuffer) {
    const deadline = Date.now() + job.timeout_seconds * 1000;
    let stoppedBecause: { status: JobStatus; code: TrainingErrorCode; message: string } | undefined;
    let exit: JobExit | undefined;
    void launched.exit.then((e) => {
      exit = e;
    });
    while (exit === undefined) {
      await Promise.race([launched.exit, sleep(CHECK_EVERY_MS)]);
      const row = await this.#options.db
        .updateTable('exp.training_jobs')
        .set({ heartbeat_at: new Date(), ...(log.takeChanged() ? { log: log.text } : {}) })
        .where('job_id', '=', job.job_id)
        .returning('cancel_requested')
        .executeTakeFirstOrThrow();
      if (exit !== undefined || stoppedBecause) continue;
      if (row.cancel_requested) stoppedBecause = { status: 'cancelled', code: 'TRAINING_CANCELLED', message: 'cancelled on request' };
      else if (Date.now() > deadline) {
        stoppedBecause = {
          status: 'timed_out',
          code: 'TRAINING_TIMED_OUT',
          message: `ran longer than its timeout of ${job.timeout_seconds} s`,
        };
      } else if (this.#loop.stopping) {
        stoppedBecause = { status: 'cancelled', code: 'TRAINING_CANCELLED', message: 'the dispatcher shut down while the job ran' };
      }
      if (stoppedBecause) {
        log.append(`stopping the job: ${stoppedBecause.message}\n`);
        launched.cancel();
      }
    }
    if (stoppedBecause)
      return { status: stoppedBecause.status, exit, error: { code: stoppedBecause.code, message: stoppedBecause.message } };
    if (exit.exitCode === 0) return { status: 'succeeded' as const, exit, error: undefined };
    return {
      status: 'failed' as const,
      exit,
      error: {
        code: 'TRAINING_EXITED_NONZERO' as const,
        message:
          exit.exitCode === null
            ? `the trainer was killed by ${exit.signal ?? 'an unknown signal'}`
            : `the trainer exited with status ${exit.exitCode}`,
      },
    };
  }

  async #finish(
    job: Job,
    status: JobStatus,
    exit: JobExit,
    logText: string,
    error?: { code: TrainingErrorCode; message: string },
    durationSeconds = 0,
  ): Promise<void> {
    const { db, bus, logger } = this.#options;
    const logTail = logText.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
    await db.transaction().execute(async (trx) => {
      // Only the worker that still sees the job running may finish it.
      const updated = await trx
        .updateTable('exp.training_jobs')
        .set({
          status,
          exit_code: exit.exitCode,
          error_code: error?.code ?? null,
          error_message: error?.message ?? null,
          log: logText,
          finished_at: new Date(),
        })
        .where('job_id', '=', job.job_id)
        .where('status', '=', 'running')
        .returning('job_id')
        .executeTakeFirst();
      if (!updated) return;
      const common = { job_id: job.job_id, dataset_version: job.dataset_version, recipe: job.recipe_id, backend: job.backend };
      if (status === 'succeeded') {
        const event = bus.event(
          'training.completed',
          { ...common, run_id: job.mlflow_run_id as string, duration_seconds: durationSeconds },
          job.correlation_id,
        );
        await bus.enqueue(trx, 'training.completed', event, job.job_id);
      } else {
        const event = bus.event(
          'training.failed',
          {
            ...common,
            run_id: job.mlflow_run_id,
            error_code: error?.code ?? 'TRAINING_EXITED_NONZERO',
            error_message: error?.message ?? status,
            exit_code: exit.exitCode,
            log_tail: logTail,
          },
          job.correlation_id,
        );
        await bus.enqueue(trx, 'training.failed', event, job.job_id);
      }
    });
    logger.info({ job_id: job.job_id, status, run_id: job.mlflow_run_id, error }, 'training job finished');
  }
}
