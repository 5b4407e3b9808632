import type { ColumnType, Generated, Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import { createLineageFacts, type LineageTables } from './lineage/lineage-tables.ts';

type Json<T> = ColumnType<T, string, string>;

export type PolicyStatus = 'registered' | 'candidate' | 'rejected' | 'active' | 'retired' | 'rolled_back';

/**
 * Queued: its gate passed while another experiment of the policy was live; it starts when that one ends (decision 0010).
 * Paused: an operator stopped its traffic for a while; everyone gets production, and it still holds the policy's slot.
 */
export type ExperimentStatus = 'queued' | 'running' | 'paused' | 'stopped';

/** What an online decision did to an experiment (decision 0015). */
export type OnlineDecisionKind = 'ramp' | 'rollback' | 'promote' | 'pause' | 'resume' | 'abort' | 'approve' | 'start';

/** The largest share of traffic a first experiment may give a candidate (seed §6.2); the database enforces it too. */
export const MAX_TREATMENT_ALLOCATION = 0.1;

export interface GateTables extends LineageTables {
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
    status: ExperimentStatus;
    decision_id: string;
    /** Always 'passed': with decision_id, a foreign key to the decision's outcome, so only a passed decision opens an experiment. */
    decision_outcome: Generated<'passed'>;
    created_at: Generated<Date>;
  };
  'exp.variants': {
    variant_id: string;
    experiment_id: string;
    policy_version_id: string;
    role: 'control' | 'treatment';
    allocation: number;
  };
  /** Every change to a live experiment, with what it relied on: a check's evidence, or an operator and a reason. */
  'exp.online_decisions': {
    decision_id: string;
    experiment_id: string;
    kind: OnlineDecisionKind;
    from_allocation: number;
    to_allocation: number;
    /** The experiment.checked that triggered it; null for an operator's action. */
    check_id: string | null;
    check_status: string | null;
    evidence: Json<unknown>;
    config_version: string;
    /** Who: 'promotion-gate' for automatic decisions, the operator otherwise. */
    actor: string;
    reason: string;
    /** The transaction that wrote it: the allocation guard accepts a growth only from a ramp of the same transaction. */
    txid: Generated<string>;
    created_at: Generated<Date>;
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
  // Issue 17, decision 0010: the allocation invariants hold per policy and per experiment, whatever SQL writes the rows.
  '0002-allocation-invariants': {
    async up(db: Kysely<unknown>) {
      await sql`alter table exp.experiments drop constraint experiments_status_check`.execute(db);
      await sql`alter table exp.experiments add constraint experiment_status_known check (status in ('queued', 'running', 'stopped'))`.execute(
        db,
      );
      // Databases from before this migration ran an experiment per gate pass: the newest of each policy keeps running.
      await sql`
        update exp.experiments e set status = 'stopped'
        where e.status = 'running'
          and exists (
            select 1 from exp.experiments newer
            where newer.policy_id = e.policy_id
              and newer.status = 'running'
              and (newer.created_at, newer.experiment_id) > (e.created_at, e.experiment_id))`.execute(db);
      await sql`create unique index one_running_experiment_per_policy on exp.experiments (policy_id) where status = 'running'`.execute(db);
      // "The" active version, which every control must be.
      await sql`create unique index one_active_version_per_policy on exp.policy_versions (policy_id) where status = 'active'`.execute(db);
      // Only a passed decision opens an experiment: (decision_id, 'passed') must name a decision and its outcome.
      await sql`alter table exp.gate_decisions add constraint decision_and_outcome unique (decision_id, outcome)`.execute(db);
      await sql`
        alter table exp.experiments
          add column decision_outcome text not null default 'passed'
            constraint experiment_decision_outcome_is_passed check (decision_outcome = 'passed'),
          add constraint experiment_on_a_passed_decision
            foreign key (decision_id, decision_outcome) references exp.gate_decisions (decision_id, outcome)`.execute(db);
      await sql`alter table exp.variants add constraint one_variant_per_role unique (experiment_id, role)`.execute(db);
      // Checked at commit, once all of an experiment's rows are written. A stopped experiment is held to its shape
      // only: promotions later change the statuses of its versions.
      await sql`
        create function exp.check_experiment_variants(target text) returns void language plpgsql as $$
        declare
          e record;
          v record;
        begin
          select x.policy_id, x.status, d.policy_version_id as decided_version into e
          from exp.experiments x join exp.gate_decisions d on d.decision_id = x.decision_id
          where x.experiment_id = target;
          if not found then
            return; -- deleted in this transaction, its variants first (the foreign key sees to that)
          end if;
          select count(*) filter (where role = 'control') as controls,
                 count(*) filter (where role = 'treatment') as treatments,
                 coalesce(sum(allocation), 0) as total,
                 min(policy_version_id) filter (where role = 'control') as control_version,
                 min(policy_version_id) filter (where role = 'treatment') as treatment_version
          into v
          from exp.variants where experiment_id = target;
          if v.controls <> 1 or v.treatments <> 1 then
            raise exception 'experiment % has % control and % treatment variants, not one of each', target, v.controls, v.treatments
              using errcode = 'check_violation', schema = 'exp', table = 'variants',
                    constraint = 'experiment_has_one_control_and_one_treatment';
          end if;
          if abs(v.total - 1) > 1e-9 then
            raise exception 'the allocations of experiment % sum to %, not 1', target, v.total
              using errcode = 'check_violation', schema = 'exp', table = 'variants', constraint = 'experiment_allocations_sum_to_one';
          end if;
          if v.treatment_version <> e.decided_version or not exists (
            select 1 from exp.policy_versions p
            where p.policy_version_id = v.treatment_version and p.policy_id = e.policy_id and (e.status = 'stopped' or p.status = 'candidate')
          ) then
            raise exception 'the treatment of experiment % is %, not the candidate of policy % that its decision passed (%)',
              target, v.treatment_version, e.policy_id, e.decided_version
              using errcode = 'check_violation', schema = 'exp', table = 'variants', constraint = 'experiment_treats_the_passed_candidate';
          end if;
          if not exists (
            select 1 from exp.policy_versions p
            where p.policy_version_id = v.control_version and p.policy_id = e.policy_id and (e.status = 'stopped' or p.status = 'active')
          ) then
            raise exception 'the control of experiment % is %, not the active version of policy %', target, v.control_version, e.policy_id
              using errcode = 'check_violation', schema = 'exp', table = 'variants', constraint = 'experiment_control_is_the_active_version';
          end if;
        end $$`.execute(db);
      await sql`
        create function exp.experiment_allocation_holds() returns trigger language plpgsql as $$
        begin
          if tg_op = 'DELETE' then
            perform exp.check_experiment_variants(old.experiment_id);
            return null;
          end if;
          perform exp.check_experiment_variants(new.experiment_id);
          if tg_op = 'UPDATE' and old.experiment_id <> new.experiment_id then
            perform exp.check_experiment_variants(old.experiment_id); -- a variant moved away leaves its old experiment short
          end if;
          return null;
        end $$`.execute(db);
      // Inserting an experiment fires it too, so an experiment without variants cannot commit.
      await sql`
        create constraint trigger experiment_allocation_holds after insert or update on exp.experiments
        deferrable initially deferred for each row execute function exp.experiment_allocation_holds()`.execute(db);
      await sql`
        create constraint trigger variant_allocation_holds after insert or update or delete on exp.variants
        deferrable initially deferred for each row execute function exp.experiment_allocation_holds()`.execute(db);
    },
  },
  // Issue 12, decision 0015: online decisions, and the allocation guard that replaces the fixed 10% cap.
  '0003-online-decisions': {
    async up(db: Kysely<unknown>) {
      await sql`alter table exp.policy_versions drop constraint policy_versions_status_check`.execute(db);
      await sql`
        alter table exp.policy_versions add constraint policy_version_status_known
          check (status in ('registered', 'candidate', 'rejected', 'active', 'retired', 'rolled_back'))`.execute(db);
      await sql`alter table exp.experiments drop constraint experiment_status_known`.execute(db);
      await sql`
        alter table exp.experiments add constraint experiment_status_known check (status in ('queued', 'running', 'paused', 'stopped'))`.execute(
        db,
      );
      // A paused experiment still holds its policy's slot: one live (running or paused) experiment per policy.
      await sql`drop index exp.one_running_experiment_per_policy`.execute(db);
      await sql`create unique index one_live_experiment_per_policy on exp.experiments (policy_id) where status in ('running', 'paused')`.execute(
        db,
      );
      await sql`
        create table exp.online_decisions (
          decision_id text primary key,
          experiment_id text not null references exp.experiments,
          kind text not null check (kind in ('ramp', 'rollback', 'promote', 'pause', 'resume', 'abort', 'approve', 'start')),
          from_allocation double precision not null,
          to_allocation double precision not null,
          check_id text,
          check_status text,
          evidence jsonb not null,
          config_version text not null,
          actor text not null,
          reason text not null,
          txid bigint not null default txid_current(),
          created_at timestamptz not null default now(),
          -- One decision per check: a check redelivered, or read again after a crash, decides nothing new.
          unique (experiment_id, check_id)
        )`.execute(db);
      await sql`create index online_decisions_by_experiment on exp.online_decisions (experiment_id, created_at)`.execute(db);
      // Seed §6.2 as the database sees it: a treatment starts at (0, 10%] and grows only through a ramp decision
      // recorded in the same transaction; it may always shrink (a rollback).
      await sql`alter table exp.variants drop constraint treatment_at_most_ten_percent`.execute(db);
      await sql`
        create function exp.treatment_allocation_guard() returns trigger language plpgsql as $$
        begin
          if new.role <> 'treatment' then
            return new;
          end if;
          if tg_op = 'INSERT' and not (new.allocation > 0 and new.allocation <= ${sql.lit(MAX_TREATMENT_ALLOCATION)}) then
            raise exception 'a treatment starts at more than 0 and at most % of traffic, not %', ${sql.lit(MAX_TREATMENT_ALLOCATION)}, new.allocation
              using errcode = 'check_violation', schema = 'exp', table = 'variants', constraint = 'treatment_at_most_ten_percent';
          end if;
          if tg_op = 'UPDATE' and new.allocation > old.allocation and not exists (
            select 1 from exp.online_decisions d
            where d.experiment_id = new.experiment_id and d.kind = 'ramp' and d.to_allocation = new.allocation and d.txid = txid_current()
          ) then
            raise exception 'the treatment of experiment % grows from % to % without a ramp decision', new.experiment_id, old.allocation, new.allocation
              using errcode = 'check_violation', schema = 'exp', table = 'variants', constraint = 'allocation_grows_only_by_a_ramp_decision';
          end if;
          return new;
        end $$`.execute(db);
      await sql`
        create trigger treatment_allocation_guard before insert or update on exp.variants
        for each row execute function exp.treatment_allocation_guard()`.execute(db);
    },
  },
  // Lineage: the upstream facts the gate learns from events (dataset, training, registration, replay).
  '0004-lineage': { up: createLineageFacts },
};
