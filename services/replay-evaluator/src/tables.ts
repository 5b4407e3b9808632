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
  /**
   * Seed §4.2's table: one row per (policy pins, dataset row). A policy's rows are shared by every replay with the
   * same pins (the key), so a row carries no replay id: exp.replay_rows gives them per replay. Other services read
   * them only through GET /v1/replays/{replay_id}/rows.
   */
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
  /** A view: the rows of each replay, its candidate's and its baseline's, each named by its role. */
  'exp.replay_rows': {
    replay_id: string;
    role: ReplayRole;
    row_id: string;
    result_key: string;
    dataset_version: string;
    seed: number;
    policy_version_id: string;
    model_name: string | null;
    model_version: string | null;
    plan: unknown;
    error: string | null;
    metrics: unknown;
    offline_score: number;
    latency_ms: number;
    cost_usd: number;
    created_at: Date;
  };
}

export type ReplayRole = 'candidate' | 'baseline';

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
  '0002-replay-rows-view': {
    async up(db: Kysely<unknown>) {
      // A view, not a replay_id column: a row is shared by every replay with the same pins, and is computed once.
      await sql`
        create view exp.replay_rows as
        select r.replay_id, role.role, o.row_id, o.result_key, o.dataset_version, o.seed, o.policy_version_id,
               o.model_name, o.model_version, o.plan, o.error, o.metrics, o.offline_score, o.latency_ms, o.cost_usd,
               o.created_at
        from exp.replays r
        cross join lateral (values ('candidate', r.candidate_key), ('baseline', r.baseline_key)) as role (role, result_key)
        join exp.offline_replay_results o on o.result_key = role.result_key`.execute(db);
      await sql`
        comment on view exp.replay_rows is
          'The rows of each replay: select * from exp.replay_rows where replay_id = $1. role is candidate or baseline; '
          'a row of a policy is shared by every replay with the same pins (result_key), so it appears once per replay.'`.execute(db);
    },
  },
};
