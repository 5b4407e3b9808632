import type { ColumnType, Generated, Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';

type Json<T> = ColumnType<T, string, string>;

export type PolicyStatus = 'registered' | 'candidate' | 'rejected' | 'active' | 'retired';

/** The largest share of traffic a first experiment may give a candidate (seed §6.2); the database enforces it too. */
export const MAX_TREATMENT_ALLOCATION = 0.1;

export interface GateTables {
  /** Seed §5.1: the link between a model artefact and the experiment system. */
  'exp.policy_versions': {
    policy_version_id: string;
    policy_id: string;
    version: number;
    config_defaults: Json<Record<string, unknown>>;
    mlflow_model_name: string | null;
    mlflow_model_version: string | null;
    model_uri: string | null;
    dataset_version: string | null;
    status: PolicyStatus;
    created_at: Generated<Date>;
    updated_at: Generated<Date>;
  };
  'exp.experiments': {
    experiment_id: string;
    policy_id: string;
    status: 'running' | 'stopped';
    decision_id: string;
    created_at: Generated<Date>;
  };
  'exp.variants': {
    variant_id: string;
    experiment_id: string;
    policy_version_id: string;
    role: 'control' | 'treatment';
    allocation: number;
  };
  'exp.gate_decisions': {
    decision_id: string;
    replay_id: string;
    policy_version_id: string;
    outcome: 'passed' | 'rejected';
    rules: Json<unknown>;
    config: Json<unknown>;
    config_version: string;
    created_at: Generated<Date>;
  };
}

export const gateMigrations: Record<string, Migration> = {
  '0001-policies-experiments-decisions': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table exp.policy_versions (
          policy_version_id text primary key,
          policy_id text not null,
          version integer not null,
          config_defaults jsonb not null,
          mlflow_model_name text,
          mlflow_model_version text,
          model_uri text,
          dataset_version text,
          status text not null check (status in ('registered', 'candidate', 'rejected', 'active', 'retired')),
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          unique (policy_id, version)
        )`.execute(db);
      await sql`
        create table exp.gate_decisions (
          decision_id text primary key,
          replay_id text not null unique,
          policy_version_id text not null references exp.policy_versions,
          outcome text not null check (outcome in ('passed', 'rejected')),
          rules jsonb not null,
          config jsonb not null,
          config_version text not null,
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`
        create table exp.experiments (
          experiment_id text primary key,
          policy_id text not null,
          status text not null check (status in ('running', 'stopped')),
          decision_id text not null unique references exp.gate_decisions,
          created_at timestamptz not null default now()
        )`.execute(db);
      // Seed §6.2: a first experiment gives the treatment at most 10% of traffic, whatever the code says.
      await sql`
        create table exp.variants (
          variant_id text primary key,
          experiment_id text not null references exp.experiments,
          policy_version_id text not null references exp.policy_versions,
          role text not null check (role in ('control', 'treatment')),
          allocation double precision not null,
          constraint treatment_at_most_ten_percent check (role <> 'treatment' or (allocation > 0 and allocation <= ${sql.lit(MAX_TREATMENT_ALLOCATION)})),
          constraint allocation_is_a_share check (allocation >= 0 and allocation <= 1)
        )`.execute(db);
    },
  },
};
