import type { PartitionOffset } from '@planner/bus';
import type { ColumnType, Generated, Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/**
 * The product's domain tables (schema `product`, written by the product or the
 * synthetic generator) and the dataset-builder's own: ingested events and
 * dataset versions.
 */
export interface DatasetBuilderTables {
  'product.recipes': {
    recipe_id: string;
    title: string;
    cuisine: string;
    ingredients: string[];
    allergens: string[];
    diet_tags: string[];
    prep_minutes: number;
    cost_per_serving: number;
    meal_slots: string[];
  };
  'product.households': { household_id: string; region: string; size: number; segment: string; created_at: Timestamp };
  'product.household_constraints': {
    household_id: string;
    valid_from: Timestamp;
    allergies: string[];
    diet: string | null;
    weekly_budget_usd: number | null;
    max_prep_minutes: number | null;
    excluded_ingredients: string[];
  };
  'product.pantry_snapshots': { household_id: string; taken_at: Timestamp; items: unknown };
  'exp.events': {
    event_id: string;
    event_type: string;
    occurred_at: Timestamp;
    household_id: string;
    plan_id: string;
    workflow_type: string;
    mode: string | null;
    experiment_id: string | null;
    variant_id: string | null;
    policy_version_id: string;
    plan: unknown;
    edits: unknown;
    latency_ms: number | null;
    cost_usd: number | null;
    correlation_id: string;
    producer: string;
    /** exp.events v2; null on events written with v1. */
    hash_version: number | null;
    fallback_reason: string | null;
    ingested_at: Generated<Date>;
  };
  'exp.datasets': {
    dataset_version: string;
    model_name: string;
    dataset_date: string;
    window_start: Timestamp;
    window_end: Timestamp;
    split_seed: number;
    status: 'pending' | 'building' | 'ready' | 'failed';
    correlation_id: string;
    requested_by: string;
    requested_at: Generated<Date>;
    attempts: Generated<number>;
    /** After a failed attempt, not before this time (exponential backoff). */
    retry_at: Date | null;
    /** When the current run of failures on an unavailable dependency began; null when the last attempt did not fail so. */
    failing_since: Date | null;
    location: string | null;
    digest: string | null;
    row_count: number | null;
    field_count: number | null;
    split_counts: { train: number; validation: number; evaluation: number } | null;
    mlflow_run_id: string | null;
    error: string | null;
    built_at: Date | null;
    /** Where exp.events ended when the build was first claimed: it waits until ingestion has committed past it. */
    events_target: ColumnType<PartitionOffset[] | null, string | null, string | null>;
    events_target_at: Date | null;
    /** The trace of the request (W3C headers), continued by the build and its dataset.ready; null on rows from before 0004. */
    traceparent: string | null;
    tracestate: string | null;
  };
}

export const datasetBuilderMigrations: Record<string, Migration> = {
  '0001-domain-events-datasets': {
    async up(db: Kysely<unknown>) {
      await sql`create schema if not exists product`.execute(db);
      await sql`
        create table if not exists product.recipes (
          recipe_id text primary key,
          title text not null,
          cuisine text not null,
          ingredients text[] not null,
          allergens text[] not null,
          diet_tags text[] not null,
          prep_minutes integer not null check (prep_minutes > 0),
          cost_per_serving double precision not null check (cost_per_serving >= 0),
          meal_slots text[] not null
        )`.execute(db);
      await sql`
        create table if not exists product.households (
          household_id text primary key,
          region text not null,
          size integer not null check (size between 1 and 12),
          segment text not null,
          created_at timestamptz not null
        )`.execute(db);
      await sql`
        create table if not exists product.household_constraints (
          household_id text not null references product.households,
          valid_from timestamptz not null,
          allergies text[] not null,
          diet text,
          weekly_budget_usd double precision,
          max_prep_minutes integer,
          excluded_ingredients text[] not null,
          primary key (household_id, valid_from)
        )`.execute(db);
      await sql`
        create table if not exists product.pantry_snapshots (
          household_id text not null references product.households,
          taken_at timestamptz not null,
          items jsonb not null,
          primary key (household_id, taken_at)
        )`.execute(db);
      // The policy version is required of every event; the database refuses what ingestion must dead-letter.
      await sql`
        create table exp.events (
          event_id uuid primary key,
          event_type text not null,
          occurred_at timestamptz not null,
          household_id text not null,
          plan_id text not null,
          workflow_type text not null,
          mode text,
          experiment_id text,
          variant_id text,
          policy_version_id text not null,
          plan jsonb,
          edits jsonb not null,
          latency_ms double precision,
          cost_usd double precision,
          correlation_id text not null,
          producer text not null,
          ingested_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index events_by_type_and_time on exp.events (event_type, occurred_at)`.execute(db);
      await sql`create index events_by_plan on exp.events (plan_id, event_type)`.execute(db);
      await sql`create index events_by_household on exp.events (household_id, occurred_at)`.execute(db);
      await sql`
        create table exp.datasets (
          dataset_version text primary key,
          model_name text not null,
          dataset_date text not null,
          window_start timestamptz not null,
          window_end timestamptz not null,
          split_seed integer not null,
          status text not null check (status in ('pending', 'building', 'ready', 'failed')),
          correlation_id text not null,
          requested_by text not null,
          requested_at timestamptz not null default now(),
          attempts integer not null default 0,
          retry_at timestamptz,
          location text,
          digest text,
          row_count integer,
          field_count integer,
          split_counts jsonb,
          mlflow_run_id text,
          error text,
          built_at timestamptz
        )`.execute(db);
    },
  },
  '0002-failing-since': {
    async up(db: Kysely<unknown>) {
      // Retries on an unavailable dependency are bounded by time (the budget), not by a count of attempts.
      await sql`alter table exp.datasets add column failing_since timestamptz`.execute(db);
    },
  },
  '0003-events-v2-fields': {
    async up(db: Kysely<unknown>) {
      // exp.events v2: nullable, as events written with v1 carry neither.
      await sql`alter table exp.events add column hash_version integer, add column fallback_reason text`.execute(db);
    },
  },
  '0004-dataset-trace-context': {
    async up(db: Kysely<unknown>) {
      // The build runs in a loop after the request's handler: it continues the request's trace from here.
      await sql`alter table exp.datasets add column traceparent text, add column tracestate text`.execute(db);
    },
  },
  '0005-events-target': {
    async up(db: Kysely<unknown>) {
      // A build holds every exp.events message published before it began (events-ingestion.ts).
      await sql`alter table exp.datasets add column events_target jsonb, add column events_target_at timestamptz`.execute(db);
    },
  },
};
