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
    status: 'running' | 'rolled_back' | 'concluded';
    /** The primary test's always-valid p-value: the running minimum over every check so far. */
    min_p_value: Generated<number>;
  };
  /** The treatment's share from `effective_at` on: one row per start, ramp and rollback (the SRM check's epochs). */
  'monitor.allocations': { experiment_id: string; effective_at: Date; treatment_allocation: number };
  /** Every household's plan outcomes on production traffic outside experiments: the pre-period covariate for CUPED. */
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
  /**
   * Plain SQL views for analysts (Metabase or any SQL client): per variant and
   * UTC day, per variant over the whole experiment, and the latest check of
   * each experiment in typed columns. Documented inside PostgreSQL (comment on
   * view / column) and in docs/analytics/experiment-monitor.md.
   */
  '0002-analyst-views': {
    async up(db: Kysely<unknown>) {
      await sql`
        create view monitor.variant_daily as
        select e.experiment_id,
               b.variant_id,
               case b.variant_id when e.control_variant_id then 'control' when e.treatment_variant_id then 'treatment' end as role,
               (b.bucket_start at time zone 'UTC')::date as day,
               sum(b.exposures)::bigint as exposures,
               sum(b.plans)::bigint as plans,
               sum(b.accepted + b.rejected)::bigint as finished_plans,
               sum(b.accepted)::bigint as accepted,
               sum(b.rejected)::bigint as rejected,
               sum(b.accepted)::float8 / nullif(sum(b.accepted + b.rejected), 0)::float8 as acceptance_rate,
               sum(b.edits)::bigint as edits,
               sum(b.edits)::float8 / nullif(sum(b.accepted + b.rejected), 0)::float8 as edits_per_finished_plan,
               sum(b.interventions)::bigint as interventions,
               sum(b.interventions)::float8 / nullif(sum(b.plans), 0)::float8 as interventions_per_plan,
               sum(b.fallbacks)::bigint as fallbacks,
               sum(b.cost_usd) as cost_usd,
               sum(b.cost_usd) / nullif(sum(b.plans), 0)::float8 as cost_per_plan_usd,
               sum(t.timed_plans)::bigint as timed_plans,
               sum(b.latency_ms_sum) as latency_ms_sum,
               sum(b.latency_ms_sum) / nullif(sum(t.timed_plans), 0)::float8 as mean_latency_ms
        from monitor.variant_buckets b
        join monitor.experiments e on e.experiment_id = b.experiment_id
        cross join lateral (select coalesce(sum(n), 0) as timed_plans from unnest(b.latency_counts) as n) t
        group by e.experiment_id, b.variant_id, (b.bucket_start at time zone 'UTC')::date`.execute(db);
      await sql`
        create view monitor.variant_totals as
        select d.experiment_id,
               d.variant_id,
               d.role,
               min(d.day) as first_day,
               max(d.day) as last_day,
               coalesce(u.households, 0) as households,
               coalesce(u.exposed_households, 0) as exposed_households,
               sum(d.exposures)::bigint as exposures,
               sum(d.plans)::bigint as plans,
               sum(d.finished_plans)::bigint as finished_plans,
               sum(d.accepted)::bigint as accepted,
               sum(d.rejected)::bigint as rejected,
               sum(d.accepted)::float8 / nullif(sum(d.finished_plans), 0)::float8 as acceptance_rate,
               sum(d.edits)::bigint as edits,
               sum(d.edits)::float8 / nullif(sum(d.finished_plans), 0)::float8 as edits_per_finished_plan,
               sum(d.interventions)::bigint as interventions,
               sum(d.interventions)::float8 / nullif(sum(d.plans), 0)::float8 as interventions_per_plan,
               sum(d.fallbacks)::bigint as fallbacks,
               sum(d.cost_usd) as cost_usd,
               sum(d.cost_usd) / nullif(sum(d.plans), 0)::float8 as cost_per_plan_usd,
               sum(d.timed_plans)::bigint as timed_plans,
               sum(d.latency_ms_sum) as latency_ms_sum,
               sum(d.latency_ms_sum) / nullif(sum(d.timed_plans), 0)::float8 as mean_latency_ms
        from monitor.variant_daily d
        left join (
          select experiment_id, variant_id,
                 count(*) filter (where outcomes > 0) as households,
                 count(*) filter (where exposed_at is not null) as exposed_households
          from monitor.units group by experiment_id, variant_id
        ) u on u.experiment_id = d.experiment_id and u.variant_id = d.variant_id
        group by d.experiment_id, d.variant_id, d.role, u.households, u.exposed_households`.execute(db);
      await sql`
        create view monitor.latest_checks as
        select distinct on (c.experiment_id)
               c.experiment_id,
               e.status as experiment_status,
               c.check_id,
               c.checked_at,
               c.status,
               (c.evidence ->> 'treatment_allocation')::float8 as treatment_allocation,
               (c.evidence ->> 'srm_p_value')::float8 as srm_p_value,
               (c.evidence -> 'primary' ->> 'estimate')::float8 as primary_estimate,
               (c.evidence -> 'primary' ->> 'lower')::float8 as primary_lower,
               (c.evidence -> 'primary' ->> 'upper')::float8 as primary_upper,
               (c.evidence -> 'primary' ->> 'p_value')::float8 as primary_p_value,
               (c.evidence ->> 'cuped_variance_reduction')::float8 as cuped_variance_reduction,
               (select string_agg(g.value ->> 'metric', ', ' order by g.ordinality)
                  from jsonb_array_elements(coalesce(c.evidence -> 'guardrails', '[]')) with ordinality as g
                  where g.value ->> 'verdict' = 'breached') as breached_guardrails,
               (select string_agg(r.value, '; ' order by r.ordinality)
                  from jsonb_array_elements_text(coalesce(c.evidence -> 'reasons', '[]')) with ordinality as r) as reasons
        from monitor.checks c
        join monitor.experiments e on e.experiment_id = c.experiment_id
        order by c.experiment_id, c.checked_at desc, c.check_id`.execute(db);

      const comments: Record<string, { view: string; columns: Record<string, string> }> = {
        variant_daily: {
          view:
            'Per experiment, variant and UTC day: counts and plain per-plan ratios over the day (Σ numerator / Σ denominator over all plans). ' +
            'The checks (monitor.checks, monitor.latest_checks) use household-level means instead, so their figures differ. ' +
            'To combine days, sum the count and sum columns and divide; do not average the ratios.',
          columns: {
            experiment_id: 'The experiment (monitor.experiments).',
            variant_id: 'The variant.',
            role: 'control or treatment, from monitor.experiments.',
            day: 'The UTC day of the time buckets (MONITOR_BUCKET_SECONDS wide, hourly by default) summed here; events fall in the bucket of their occurred_at.',
            exposures: 'Exposure events.',
            plans: 'Plans generated (plan_generated events).',
            finished_plans: 'Plans with an outcome: accepted + rejected.',
            accepted: 'plan_accepted events.',
            rejected: 'plan_rejected events.',
            acceptance_rate: 'accepted / finished_plans, a per-plan ratio (0 to 1); null when no plan finished.',
            edits: 'Σ edits over finished plans (the length of each outcome’s edit list).',
            edits_per_finished_plan: 'edits / finished_plans; null when no plan finished.',
            interventions: 'validator_intervened events.',
            interventions_per_plan: 'interventions / plans; null when no plan was generated.',
            fallbacks: 'Plans generated by a fallback (plan_generated with a fallback_reason).',
            cost_usd: 'Σ cost in USD of the plans generated (from plan_generated only).',
            cost_per_plan_usd: 'cost_usd / plans, in USD; null when no plan was generated.',
            timed_plans: 'Plans generated with a latency (plan_generated with latency_ms).',
            latency_ms_sum: 'Σ latency in ms of the timed plans.',
            mean_latency_ms:
              'latency_ms_sum / timed_plans, in ms; null when no plan was timed. Percentiles are in the checks (latency_p95_ms).',
          },
        },
        variant_totals: {
          view:
            'Per experiment and variant over the whole experiment so far: the columns of monitor.variant_daily summed over every day, ' +
            'with the same plain per-plan ratios, plus households. The checks use household-level means instead, so their figures differ.',
          columns: {
            experiment_id: 'The experiment (monitor.experiments).',
            variant_id: 'The variant.',
            role: 'control or treatment, from monitor.experiments.',
            first_day: 'The first UTC day with any event of the variant.',
            last_day: 'The last UTC day with any event of the variant.',
            households: 'Households with at least one finished plan in the variant: the units of the checks.',
            exposed_households: 'Households with an exposure event in the variant (what the sample-ratio check counts).',
            exposures: 'Exposure events.',
            plans: 'Plans generated (plan_generated events).',
            finished_plans: 'Plans with an outcome: accepted + rejected.',
            accepted: 'plan_accepted events.',
            rejected: 'plan_rejected events.',
            acceptance_rate: 'accepted / finished_plans, a per-plan ratio (0 to 1); null when no plan finished.',
            edits: 'Σ edits over finished plans.',
            edits_per_finished_plan: 'edits / finished_plans; null when no plan finished.',
            interventions: 'validator_intervened events.',
            interventions_per_plan: 'interventions / plans; null when no plan was generated.',
            fallbacks: 'Plans generated by a fallback.',
            cost_usd: 'Σ cost in USD of the plans generated.',
            cost_per_plan_usd: 'cost_usd / plans, in USD; null when no plan was generated.',
            timed_plans: 'Plans generated with a latency.',
            latency_ms_sum: 'Σ latency in ms of the timed plans.',
            mean_latency_ms: 'latency_ms_sum / timed_plans, in ms; null when no plan was timed.',
          },
        },
        latest_checks: {
          view:
            'The latest check of each experiment (newest checked_at), its evidence jsonb in typed columns. ' +
            'Check figures are household-level: each household counts once, with its own acceptance rate; monitor.checks has every check.',
          columns: {
            experiment_id: 'The experiment (monitor.experiments).',
            experiment_status: 'running or rolled_back.',
            check_id: 'The check (monitor.checks.check_id, experiment.checked’s check_id).',
            checked_at: 'When the check ran.',
            status: 'collecting, healthy, srm, guardrail_breached, treatment_better, treatment_worse or inconclusive.',
            treatment_allocation: 'The treatment’s share of traffic at the check (0 to 1).',
            srm_p_value:
              'p-value of the sample-ratio-mismatch χ² test over the allocation epochs; below 0.001 the status is srm. Null before any exposure.',
            primary_estimate: 'Treatment − control in household-level acceptance rate, CUPED-adjusted. Null while collecting.',
            primary_lower: 'Lower end of the always-valid confidence sequence of primary_estimate.',
            primary_upper: 'Upper end of the always-valid confidence sequence of primary_estimate.',
            primary_p_value: 'Always-valid p-value of the primary test: the running minimum over the experiment’s checks.',
            cuped_variance_reduction:
              'Share of the primary metric’s variance CUPED removed using each household’s acceptance before the experiment (0 to 1).',
            breached_guardrails: 'Guardrail metrics with verdict breached, comma-separated; null when none.',
            reasons: 'The check’s reasons, joined with "; ".',
          },
        },
      };
      for (const [view, { view: text, columns }] of Object.entries(comments)) {
        await sql`comment on view ${sql.table(`monitor.${view}`)} is ${sql.lit(text)}`.execute(db);
        for (const [column, comment] of Object.entries(columns)) {
          await sql`comment on column ${sql.ref(`monitor.${view}.${column}`)} is ${sql.lit(comment)}`.execute(db);
        }
      }
    },
  },
  // Issue 12: a promoted experiment is concluded; checks stop as they do after a rollback.
  '0003-concluded-experiments': {
    async up(db: Kysely<unknown>) {
      await sql`alter table monitor.experiments drop constraint experiments_status_check`.execute(db);
      await sql`
        alter table monitor.experiments add constraint experiment_status_known check (status in ('running', 'rolled_back', 'concluded'))`.execute(
        db,
      );
    },
  },
};
