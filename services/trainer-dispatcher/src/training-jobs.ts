import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BusTables, EventBus } from '@planner/bus';
import { isTransient } from '@planner/errors';
import type { MlflowClient, RunIdentity } from '@planner/mlflow-client';
import { PollingLoop } from '@planner/service-kit';
import { continueTrace } from '@planner/telemetry';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Logger } from 'pino';
import type { JobExit, TrainingBackend } from './backends/training-backend.ts';
import { LogBuffer } from './log-buffer.ts';
import type { JobStatus, TrainerTables } from './tables.ts';
import { TrainingError, type TrainingErrorCode } from './training-error.ts';
import { type TrainingRecipe, trainerRecipe } from './training-recipes.ts';

type Db = Kysely<TrainerTables & BusTables>;
type Job = Selectable<TrainerTables['exp.training_jobs']> & { recipe: TrainingRecipe };

const LOG_LIMIT = 256 * 1024;
const LOG_TAIL_LINES = 40;
const CHECK_EVERY_MS = 1000;

export interface TrainingJobsOptions {
  db: Db;
  bus: EventBus;
  mlflow: MlflowClient;
  mlflowExperiment: string;
  /** Who creates the training runs, as MLflow's UI shows them (User and Source). */
  identity: RunIdentity;
  backends: ReadonlyMap<string, TrainingBackend>;
  /** Folder the recipes' entrypoints are relative to. */
  trainersRoot: string;
  /** Environment passed to trainers (MLflow and object-store settings). */
  trainerEnv: Record<string, string>;
  maxConcurrent: number;
  logger: Logger;
  /** Runs of a job whose dispatcher died before it is failed for good (the first included). */
  maxAttempts: number;
  /** A running job whose dispatcher has not written its heartbeat for this long is taken as lost. */
  lostAfterSeconds: number;
  /** How long a job that cannot start or finish because MLflow or PostgreSQL is unavailable keeps being retried. */
  dependencyBudgetSeconds: number;
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
 * training.failed in the outbox. What an outage cannot be allowed to do:
 * - MLflow unavailable before the trainer starts: the job goes back to the
 *   queue with backoff, for the dependency budget, then fails;
 * - PostgreSQL or MLflow unavailable while it runs or ends: the trainer runs
 *   on; heartbeats and the outcome are written once they are back;
 * - the dispatcher dies mid-job: its trainer stops (see the lifeline in
 *   training_contract.py), and after `lostAfterSeconds` a dispatcher runs the
 *   job again, up to `maxAttempts` runs, ending the abandoned MLflow run KILLED.
 */
export class TrainingJobs {
  readonly #options: TrainingJobsOptions;
  readonly #active = new Set<Promise<void>>();
  readonly #activeIds = new Set<string>();
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

  /** Retries or fails jobs whose dispatcher died, then starts one queued job if there is room; true when it started one. */
  async #step(): Promise<boolean> {
    await this.recoverLostJobs();
    if (this.#active.size >= this.#options.maxConcurrent) return false;
    const job = await this.#claim();
    if (!job) return false;
    // #execute records every outcome itself; what escapes it (the database gone for longer than the budget) leaves
    // the job running without a heartbeat, for recoverLostJobs to take over: logged, never an unhandled rejection.
    const running = this.#inJobTrace(job, 'run training job', () => this.#execute(job))
      .catch((error) => this.#options.logger.error({ err: error, job_id: job.job_id }, 'training job left for recovery'))
      .finally(() => {
        this.#active.delete(running);
        this.#activeIds.delete(job.job_id);
      });
    this.#active.add(running);
    this.#activeIds.add(job.job_id);
    return true;
  }

  /**
   * Runs `fn` in a span continuing the trace of what queued the job, so its
   * MLflow calls, logs and outcome event (training.completed or
   * training.failed) belong to the lifecycle run.
   */
  #inJobTrace<T>(job: Job, name: string, fn: () => Promise<T>): Promise<T> {
    return continueTrace(
      name,
      { traceparent: job.traceparent, tracestate: job.tracestate },
      { correlationId: job.correlation_id, attributes: { training_job_id: job.job_id, attempt: job.attempt } },
      fn,
    );
  }

  async #claim(): Promise<Job | undefined> {
    return this.#options.db.transaction().execute(async (trx) => {
      const job = await trx
        .selectFrom('exp.training_jobs')
        .selectAll()
        .where('status', '=', 'queued')
        .where((eb) => eb.or([eb('retry_at', 'is', null), eb('retry_at', '<=', new Date())]))
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

  /**
   * Jobs left running by a dispatcher that died (no heartbeat for
   * `lostAfterSeconds`; never one this process runs): queued again with their
   * MLflow run marked for closing, or failed with their event once they used
   * every attempt, so nothing waits forever.
   */
  async recoverLostJobs(): Promise<void> {
    const { db, logger, lostAfterSeconds } = this.#options;
    const lost = await db
      .selectFrom('exp.training_jobs')
      .selectAll()
      .where('status', '=', 'running')
      .where('heartbeat_at', '<', sql<Date>`now() - make_interval(secs => ${lostAfterSeconds})`)
      .execute();
    for (const job of lost) {
      if (this.#activeIds.has(job.job_id)) continue;
      try {
        await this.#inJobTrace(job as unknown as Job, 'recover training job', () => this.#recover(job as unknown as Job));
      } catch (error) {
        // One job that cannot be recovered now must not keep the others (or new ones) waiting.
        logger.error({ err: error, job_id: job.job_id }, 'could not recover a lost training job; trying again later');
      }
    }
  }

  async #recover(job: Job): Promise<void> {
    const { db, logger, lostAfterSeconds, maxAttempts } = this.#options;
    if (job.attempt < maxAttempts) {
      const requeued = await db
        .updateTable('exp.training_jobs')
        .set((eb) => ({
          status: 'queued',
          attempt: eb('attempt', '+', 1),
          runs_to_close: job.mlflow_run_id ? sql<string[]>`array_append(runs_to_close, ${job.mlflow_run_id})` : eb.ref('runs_to_close'),
          mlflow_run_id: null,
          heartbeat_at: null,
          log: sql<string>`log || ${`\nattempt ${job.attempt}: its dispatcher stopped answering; running the job again\n`}`,
        }))
        .where('job_id', '=', job.job_id)
        .where('status', '=', 'running')
        .where('attempt', '=', job.attempt)
        .returning('job_id')
        .executeTakeFirst();
      if (requeued) logger.warn({ job_id: job.job_id, attempt: job.attempt }, 'training job lost with its dispatcher; queued again');
      return;
    }
    await this.#closeRuns([job.mlflow_run_id, ...job.runs_to_close], 'FAILED');
    await this.#finish(job, 'failed', { exitCode: null, signal: null }, job.log, {
      code: 'TRAINING_WORKER_LOST',
      message: `its dispatcher stopped answering in each of ${job.attempt} attempts (no heartbeat for ${lostAfterSeconds} s)`,
    });
  }

  /** Ends MLflow runs that are still open; a run MLflow cannot reach now stays listed for a later try. */
  async #closeRuns(runIds: (string | null)[], status: 'KILLED' | 'FAILED'): Promise<string[]> {
    const open: string[] = [];
    for (const runId of runIds) {
      if (!runId) continue;
      try {
        await this.#options.mlflow.updateRun(runId, status);
      } catch (error) {
        if (isTransient(error)) open.push(runId);
        // A run MLflow will never update (deleted in its UI, say) has nothing left to close.
        else this.#options.logger.warn({ err: error, run_id: runId }, 'could not end an MLflow run; leaving it');
      }
    }
    return open;
  }

  /**
   * Retries `operation` while it fails because a dependency is unavailable,
   * with backoff up to 10 s, for the dependency budget; its last error
   * otherwise. A trainer that finished is not run again because MLflow or
   * PostgreSQL was away when it did.
   */
  async #persistently<T>(what: string, operation: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#options.dependencyBudgetSeconds * 1000;
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (!isTransient(error) || Date.now() > deadline) throw error;
        this.#options.logger.warn({ err: error, attempt }, `${what}: a dependency is unavailable; retrying`);
        await sleep(Math.min(10_000, 250 * 2 ** attempt));
      }
    }
  }

  async #execute(job: Job): Promise<void> {
    const { logger } = this.#options;
    const log = new LogBuffer(LOG_LIMIT);
    const workDir = await mkdtemp(join(tmpdir(), `pl-training-${job.job_id.slice(0, 8)}-`));
    const started = performance.now();
    try {
      let launched: { exit: Promise<JobExit>; cancel(): void };
      try {
        launched = await this.#launch(job, log, workDir);
      } catch (error) {
        if (isTransient(error) && (await this.#requeue(job, error))) return;
        throw error;
      }
      const outcome = await this.#watch(job, launched, log);
      const recorded = await this.#persistently('recording the outcome', () =>
        this.#finish(job, outcome.status, outcome.exit, log.text, outcome.error, (performance.now() - started) / 1000),
      );
      // Only the attempt that recorded the outcome may call its run FINISHED; one that lost the job ends KILLED.
      const runStatus = !recorded
        ? 'KILLED'
        : outcome.status === 'succeeded'
          ? 'FINISHED'
          : outcome.status === 'failed'
            ? 'FAILED'
            : 'KILLED';
      await this.#persistently('ending the MLflow run', () => this.#options.mlflow.updateRun(job.mlflow_run_id as string, runStatus));
    } catch (error) {
      logger.error({ err: error, job_id: job.job_id }, 'training job could not run');
      log.append(`${(error as Error).message}\n`);
      await this.#closeRuns([job.mlflow_run_id, ...job.runs_to_close], 'FAILED');
      await this.#persistently('recording the failure', () =>
        this.#finish(job, 'failed', { exitCode: null, signal: null }, log.text, {
          code: ((error as { code?: string }).code as TrainingErrorCode | undefined) ?? 'TRAINING_LAUNCH_FAILED',
          message: (error as Error).message,
        }),
      );
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /**
   * Closes earlier attempts' runs, creates this attempt's MLflow run with the
   * required params and tags and its dataset version as input, and starts the trainer.
   */
  async #launch(job: Job, log: LogBuffer, workDir: string): Promise<{ exit: Promise<JobExit>; cancel(): void }> {
    const { mlflow, db } = this.#options;
    const backend = this.#options.backends.get(job.backend);
    if (!backend) throw Object.assign(new Error(`no backend '${job.backend}' is configured here`), { code: 'TRAINING_LAUNCH_FAILED' });
    if (job.runs_to_close.length > 0) {
      const open = await this.#closeRuns(job.runs_to_close, 'KILLED');
      if (open.length > 0)
        throw new TrainingError('TRAINING_MLFLOW_UNAVAILABLE', `could not end the earlier runs ${open.join(', ')}`, { retryable: true });
      await db.updateTable('exp.training_jobs').set({ runs_to_close: [] }).where('job_id', '=', job.job_id).execute();
    }
    const dataset = await db
      .selectFrom('exp.training_datasets')
      .select(['location', 'digest'])
      .where('dataset_version', '=', job.dataset_version)
      .executeTakeFirstOrThrow();
    const experimentId = await mlflow.getOrCreateExperiment(this.#options.mlflowExperiment);
    const runId = (
      await mlflow.createRun({
        experimentId,
        runName: `${job.recipe_id} on ${job.dataset_version}`,
        tags: requiredTags(job),
        identity: this.#options.identity,
      })
    ).info.runId;
    job.mlflow_run_id = runId;
    await mlflow.logBatch(runId, { params: requiredParams(job) });
    // The same input the dataset's own run logs (name, digest, file), so MLflow links the training run to it.
    await mlflow.logDatasetVersion(runId, {
      version: job.dataset_version,
      digest: dataset.digest,
      uri: `${dataset.location}training.parquet`,
      context: 'training',
    });
    await db.updateTable('exp.training_jobs').set({ mlflow_run_id: runId, failing_since: null }).where('job_id', '=', job.job_id).execute();

    const recipeFile = join(workDir, 'recipe.json');
    await writeFile(recipeFile, JSON.stringify(trainerRecipe(job.recipe), null, 2));
    log.append(
      `job ${job.job_id} attempt ${job.attempt}: ${job.recipe_id} on ${job.dataset_version} (${dataset.location}), MLflow run ${runId}, backend ${backend.name}\n`,
    );
    return backend.launch(
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
  }

  /**
   * Puts a job that could not start because a dependency is unavailable back
   * in the queue, with backoff (up to 10 s apart); false once it has been
   * failing for longer than the budget (or the database is away too).
   */
  async #requeue(job: Job, error: unknown): Promise<boolean> {
    const { db, logger, dependencyBudgetSeconds } = this.#options;
    const row = await db
      .updateTable('exp.training_jobs')
      .set((eb) => ({
        status: 'queued',
        // 1 s apart at first, growing to 10 s over the first minute of failures.
        retry_at: sql<Date>`now() + make_interval(secs => least(10, 1 + extract(epoch from now() - coalesce(failing_since, now())) / 6))`,
        failing_since: sql<Date>`coalesce(failing_since, now())`,
        runs_to_close: job.mlflow_run_id ? sql<string[]>`array_append(runs_to_close, ${job.mlflow_run_id})` : eb.ref('runs_to_close'),
        mlflow_run_id: null,
        heartbeat_at: null,
      }))
      .where('job_id', '=', job.job_id)
      .where('status', '=', 'running')
      .where(sql<boolean>`coalesce(failing_since, now()) > now() - make_interval(secs => ${dependencyBudgetSeconds})`)
      .returning('job_id')
      .executeTakeFirst()
      .catch(() => undefined);
    if (row) logger.warn({ job_id: job.job_id, err: error }, 'training job could not start: a dependency is unavailable; queued again');
    return row !== undefined;
  }

  /** Waits for the job, saving its log and heartbeat every second and stopping it on cancel, timeout or shutdown. */
  async #watch(job: Job, launched: { exit: Promise<JobExit>; cancel(): void }, log: LogBuffer) {
    const deadline = Date.now() + job.timeout_seconds * 1000;
    let stoppedBecause: { status: JobStatus; code: TrainingErrorCode; message: string } | undefined;
    let exit: JobExit | undefined;
    void launched.exit.then((e) => {
      exit = e;
    });
    try {
      while (exit === undefined) {
        await Promise.race([launched.exit, sleep(CHECK_EVERY_MS)]);
        const row = await this.#heartbeat(job, log);
        if (exit !== undefined || stoppedBecause || row === 'unavailable') continue;
        if (row === 'taken-over') {
          stoppedBecause = { status: 'cancelled', code: 'TRAINING_WORKER_LOST', message: 'another dispatcher took the job over' };
        } else if (row.cancel_requested)
          stoppedBecause = { status: 'cancelled', code: 'TRAINING_CANCELLED', message: 'cancelled on request' };
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
    } catch (error) {
      // Whatever stops the watch stops the trainer: a job nobody watches must not run on and finish its run.
      launched.cancel();
      throw error;
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

  /**
   * Writes the heartbeat (the database's clock, the one recovery compares with)
   * and the log so far, for this attempt only. 'unavailable' while PostgreSQL is
   * away (the trainer runs on meanwhile); 'taken-over' when the job is no longer
   * this attempt's (another dispatcher took it over after a long silence).
   */
  async #heartbeat(job: Job, log: LogBuffer): Promise<{ cancel_requested: boolean } | 'unavailable' | 'taken-over'> {
    const changed = log.takeChanged();
    try {
      const row = await this.#options.db
        .updateTable('exp.training_jobs')
        .set({ heartbeat_at: sql<Date>`now()`, ...(changed ? { log: log.text } : {}) })
        .where('job_id', '=', job.job_id)
        .where('attempt', '=', job.attempt)
        .where('status', '=', 'running')
        .returning('cancel_requested')
        .executeTakeFirst();
      return row ?? 'taken-over';
    } catch (error) {
      if (!isTransient(error)) throw error;
      if (changed) log.markChanged();
      return 'unavailable';
    }
  }

  async #finish(
    job: Job,
    status: JobStatus,
    exit: JobExit,
    logText: string,
    error?: { code: TrainingErrorCode; message: string },
    durationSeconds = 0,
  ): Promise<boolean> {
    const { db, bus, logger } = this.#options;
    const logTail = logText.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
    const recorded = await db.transaction().execute(async (trx) => {
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
        .where('attempt', '=', job.attempt)
        .returning('job_id')
        .executeTakeFirst();
      if (!updated) return false;
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
      return true;
    });
    if (recorded) logger.info({ job_id: job.job_id, status, run_id: job.mlflow_run_id, error }, 'training job finished');
    return recorded;
  }
}
