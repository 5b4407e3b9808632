import type { ColumnType, Generated, Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';

type Json<T> = ColumnType<T, string, string>;

export type CheckStatus = 'collecting' | 'healthy' | 'srm' | 'guardrail_breached' | 'treatment_better' | 'treatment_worse' | 'inconclusive';

/** The monitor's own tables (schema `monitor`); nothing else reads or writes them but the analyst views below. */
export interface MonitorTables {
  /** Experiments as experiment.started described them. */
  'monitor.experiments': {
    experiment_id: string;
    control_variant_id: string;
    treatment_variant_id: string;
    policy_version_id: string;
    baseline_policy_version_id: string;
    started_at: Date;
    status: 'running' | 'rolled_back';
    /** The primary test's always-valid p-value: the running minimum over every check so far. */
    min_p_value: Generated<number>;
  };
  /** The treatment's share from `effective_at` on: one row per start, ramp and rollback (the SRM check's epochs). */
  'monitor.allocations': { experiment_id: string; effective_at: Date; treatment_allocation: number };
  /** Every household's plan outcomes so far, in or out of experiments: the pre-period covariate for CUPED. */
  'monitor.households': { household_id: string; outcomes: number; accepted: number };
  /** One household in one variant of one experiment: the unit of analysis. */
  'monitor.units': {
    experiment_id: string;
    variant_id: string;
    household_id: string;
    first_seen_at: Date;
    exposed_at: Date | null;
    /** The household's outcomes before its first event in the experiment. */
    pre_outcomes: number;
    pre_accepted: number;
    plans: Generated<number>;
    outcomes: Generated<number>;
    accepted: Generated<number>;
    edits: Generated<number>;
    interventions: Generated<number>;
    cost_usd: Generated<number>;
  };
  /** Sufficient statistics per variant and time bucket: what Grafana and the analyst views show. */
  'monitor.variant_buckets': {
    experiment_id: string;
    variant_id: string;
    bucket_start: Date;
    exposures: Generated<number>;
    plans: Generated<number>;
    accepted: Generated<number>;
    rejected: Generated<number>;
    /** Σ edits and Σ edits² per finished plan (from the outcome's edit list). */
    edits: Generated<number>;
    edits_sq: Generated<number>;
    interventions: Generated<number>;
    fallbacks: Generated<number>;
    cost_usd: Generated<number>;
    cost_usd_sq: Generated<number>;
    latency_ms_sum: Generated<number>;
    /** Plans per latency bucket of LATENCY_HISTOGRAM (the last one: above its bounds); merged by summing. */
    latency_counts: number[];
  };
  'monitor.checks': {
    check_id: string;
    experiment_id: string;
    checked_at: Generated<Date>;
    status: CheckStatus;
    evidence: Json<unknown>;
  };
}

export const monitorMigrations: Record<string, Migration> = {
  '0001-experiments-units-buckets-checks': {
    async up(db: Kysely<unknown>) {
      await sql`create schema if not exists monitor`.execute(db);
      await sql`
        create table monitor.experiments (
          experiment_id text primary key,
          control_variant_id text not null,
          treatment_variant_id text not null,
          policy_version_id text not null,
          baseline_policy_version_id text not null,
          started_at timestamptz not null,
          status text not null check (status in ('running', 'rolled_back')),
          min_p_value double precision not null default 1 check (min_p_value between 0 and 1)
        )`.execute(db);
      await sql`
        create table monitor.allocations (
          experiment_id text not null references monitor.experiments,
          effective_at timestamptz not null,
          treatment_allocation double precision not null check (treatment_allocation between 0 and 1),
          primary key (experiment_id, effective_at)
        )`.execute(db);
      await sql`
        create table monitor.households (
          household_id text primary key,
          outcomes integer not null check (outcomes >= 0),
          accepted integer not null check (accepted between 0 and outcomes)
        )`.execute(db);
      await sql`
        create table monitor.units (
          experiment_id text not null references monitor.experiments,
          variant_id text not null,
          household_id text not null,
          first_seen_at timestamptz not null,
          exposed_at timestamptz,
          pre_outcomes integer not null,
          pre_accepted integer not null,
          plans integer not null default 0,
          outcomes integer not null default 0,
          accepted integer not null default 0,
          edits integer not null default 0,
          interventions integer not null default 0,
          cost_usd double precision not null default 0,
          primary key (experiment_id, variant_id, household_id)
        )`.execute(db);
      await sql`
        create table monitor.variant_buckets (
          experiment_id text not null references monitor.experiments,
          variant_id text not null,
          bucket_start timestamptz not null,
          exposures bigint not null default 0,
          plans bigint not null default 0,
          accepted bigint not null default 0,
          rejected bigint not null default 0,
          edits bigint not null default 0,
          edits_sq bigint not null default 0,
          interventions bigint not null default 0,
          fallbacks bigint not null default 0,
          cost_usd double precision not null default 0,
          cost_usd_sq double precision not null default 0,
          latency_ms_sum double precision not null default 0,
          latency_counts bigint[] not null,
          primary key (experiment_id, variant_id, bucket_start)
        )`.execute(db);
      await sql`
        create table monitor.checks (
          check_id text primary key,
          experiment_id text not null references monitor.experiments,
          checked_at timestamptz not null default now(),
          status text not null,
          evidence jsonb not null
        )`.execute(db);
      await sql`create index checks_by_experiment on monitor.checks (experiment_id, checked_at desc)`.execute(db);
    },
  },
};
