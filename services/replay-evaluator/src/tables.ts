import type { ColumnType, Generated, Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface PolicyRefRow {
  policy_version_id: string;
  model_name: string | null;
  model_version: string | null;
}

export type ReplayStatus = 'running' | 'completed' | 'failed';

export interface ReplayTables {
  /** Dataset versions announced on dataset.ready: where a replay reads its rows. */
  'exp.replay_datasets': { dataset_version: string; location: string; announced_at: Generated<Date> };
  'exp.replays': {
    replay_id: string;
    candidate_key: string;
    baseline_key: string;
    candidate: Json<PolicyRefRow>;
    baseline: Json<PolicyRefRow>;
    dataset_version: string;
    seed: number;
    shard_count: number;
    row_count: number;
    status: ReplayStatus;
    results_digest: string | null;
    mlflow_run_id: string | null;
    summary: Json<unknown> | null;
    correlation_id: string;
    created_at: Generated<Date>;
    completed_at: Timestamp | null;
  };
  'exp.replay_shards': { replay_id: string; shard_index: number; row_offset: number; row_limit: number; done_at: Timestamp | null };
  /** Seed §4.2's table: one row per (policy pins, dataset row); shared with the promotion-gate, which reads it. */
  'exp.offline_replay_results': {
    result_key: string;
    row_id: string;
    dataset_version: string;
    seed: number;
    policy_version_id: string;
    model_name: string | null;
    model_version: string | null;
    plan: Json<unknown> | null;
    error: string | null;
    metrics: Json<unknown>;
    offline_score: number;
    latency_ms: number;
    cost_usd: number;
    created_at: Generated<Date>;
  };
}

export const replayMigrations: Record<string, Migration> = {
  '0001-replays': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table exp.replay_datasets (
          dataset_version text primary key,
          location text not null,
          announced_at timestamptz not null default now()
        )`.execute(db);
      await sql`
        create table exp.replays (
          replay_id text primary key,
          candidate_key text not null,
          baseline_key text not null,
          candidate jsonb not null,
          baseline jsonb not null,
          dataset_version text not null,
          seed integer not null,
          shard_count integer not null,
          row_count integer not null,
          status text not null check (status in ('running', 'completed', 'failed')),
          results_digest text,
          mlflow_run_id text,
          summary jsonb,
          correlation_id text not null,
          created_at timestamptz not null default now(),
          completed_at timestamptz
        )`.execute(db);
      await sql`
        create table exp.replay_shards (
          replay_id text not null references exp.replays,
          shard_index integer not null,
          row_offset integer not null,
          row_limit integer not null,
          done_at timestamptz,
          primary key (replay_id, shard_index)
        )`.execute(db);
      await sql`
        create table if not exists exp.offline_replay_results (
          result_key text not null,
          row_id text not null,
          dataset_version text not null,
          seed integer not null,
          policy_version_id text not null,
          model_name text,
          model_version text,
          plan jsonb,
          error text,
          metrics jsonb not null,
          offline_score double precision not null,
          latency_ms double precision not null,
          cost_usd double precision not null,
          created_at timestamptz not null default now(),
          primary key (result_key, row_id)
        )`.execute(db);
    },
  },
};
