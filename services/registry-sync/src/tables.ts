import type { Generated, Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';

export interface RegistryTables {
  /** Every registry version this service has seen and announced, from the pipeline or from outside it. */
  'exp.registry_versions': {
    model_name: string;
    model_version: string;
    run_id: string | null;
    dataset_version: string | null;
    origin: 'pipeline' | 'outside';
    outcome: 'registered' | 'rejected';
    missing: string[];
    seen_at: Generated<Date>;
  };
  /**
   * The latest model.promoted applied per registered model: a promotion (or a
   * rollback of the promoted version) older than it arrives late and is not
   * applied, so the production alias never moves back.
   */
  'exp.registry_promotions': {
    model_name: string;
    model_version: string;
    policy_version_id: string;
    experiment_id: string;
    event_id: string;
    /** The event's occurred_at. */
    promoted_at: Date;
    applied_at: Generated<Date>;
  };
}

export const registryMigrations: Record<string, Migration> = {
  '0001-registry-versions': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table exp.registry_versions (
          model_name text not null,
          model_version text not null,
          run_id text,
          dataset_version text,
          origin text not null check (origin in ('pipeline', 'outside')),
          outcome text not null check (outcome in ('registered', 'rejected')),
          missing text[] not null default '{}',
          seen_at timestamptz not null default now(),
          primary key (model_name, model_version)
        )`.execute(db);
    },
  },
  '0002-registry-promotions': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table exp.registry_promotions (
          model_name text primary key,
          model_version text not null,
          policy_version_id text not null,
          experiment_id text not null,
          event_id text not null,
          promoted_at timestamptz not null,
          applied_at timestamptz not null default now()
        )`.execute(db);
    },
  },
};
