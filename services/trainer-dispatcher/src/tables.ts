import type { ColumnType, Generated, Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';

export interface TrainerTables {
  /** Dataset versions announced on dataset.ready: what a job can train on. */
  'exp.training_datasets': {
    dataset_version: string;
    model_name: string;
    location: string;
    digest: string;
    row_count: number;
    mlflow_run_id: string;
    announced_at: Generated<Date>;
  };
  'exp.training_jobs': {
    job_id: string;
    /** Deduplicates requests: `auto:<dataset>:<recipe>` for dataset.ready, the caller's idempotency key for HTTP. */
    request_key: string;
    dataset_version: string;
    recipe_id: string;
    recipe: unknown;
    backend: string;
    model_name: string;
    policy_id: string;
    status: JobStatus;
    correlation_id: string;
    mlflow_run_id: string | null;
    timeout_seconds: number;
    cancel_requested: Generated<boolean>;
    exit_code: number | null;
    error_code: string | null;
    error_message: string | null;
    log: Generated<string>;
    created_at: Generated<Date>;
    started_at: Timestamp | null;
    heartbeat_at: Timestamp | null;
    finished_at: Timestamp | null;
    /** 1 for the first run of the job; a job whose dispatcher died is run again, a bounded number of times. */
    attempt: Generated<number>;
    /** After a start that failed on an unavailable dependency, not before this time. */
    retry_at: Timestamp | null;
    /** When the current run of start failures on an unavailable dependency began. */
    failing_since: Timestamp | null;
    /** MLflow runs of earlier attempts still to be ended KILLED (MLflow may have been down when they were abandoned). */
    runs_to_close: Generated<string[]>;
    /** The trace of what queued the job (W3C headers), continued by its runs and its outcome event; null on rows from before 0003. */
    traceparent: string | null;
    tracestate: string | null;
  };
}

export const trainerMigrations: Record<string, Migration> = {
  '0001-training-jobs': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table exp.training_datasets (
          dataset_version text primary key,
          model_name text not null,
          location text not null,
          digest text not null,
          row_count integer not null,
          mlflow_run_id text not null,
          announced_at timestamptz not null default now()
        )`.execute(db);
      await sql`
        create table exp.training_jobs (
          job_id uuid primary key,
          request_key text not null unique,
          dataset_version text not null references exp.training_datasets,
          recipe_id text not null,
          recipe jsonb not null,
          backend text not null,
          model_name text not null,
          policy_id text not null,
          status text not null check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out')),
          correlation_id text not null,
          mlflow_run_id text,
          timeout_seconds integer not null check (timeout_seconds > 0),
          cancel_requested boolean not null default false,
          exit_code integer,
          error_code text,
          error_message text,
          log text not null default '',
          created_at timestamptz not null default now(),
          started_at timestamptz,
          heartbeat_at timestamptz,
          finished_at timestamptz
        )`.execute(db);
      await sql`create index training_jobs_by_status on exp.training_jobs (status, created_at)`.execute(db);
    },
  },
  '0002-job-retries': {
    async up(db: Kysely<unknown>) {
      await sql`
        alter table exp.training_jobs
          add column attempt integer not null default 1 check (attempt >= 1),
          add column retry_at timestamptz,
          add column failing_since timestamptz,
          add column runs_to_close text[] not null default '{}'`.execute(db);
    },
  },
  '0003-job-trace-context': {
    async up(db: Kysely<unknown>) {
      // A job runs in a loop after whatever queued it: it continues that trace from here.
      await sql`alter table exp.training_jobs add column traceparent text, add column tracestate text`.execute(db);
    },
  },
};
