import type { CupedMoments, Moments } from '@planner/online-statistics';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { MonitorTables } from './tables.ts';

export interface VariantInputs {
  variant_id: string;
  role: 'control' | 'treatment';
  /** Households with at least one plan outcome. */
  units: number;
  exposures: number;
  plans: number;
  fallbacks: number;
  /** Per household: Y = its acceptance rate in the experiment, X = its smoothed acceptance rate before it, (accepted + 1) / (outcomes + 2). */
  acceptance: CupedMoments;
  /** Per household, edits per finished plan, interventions per plan and cost per plan. */
  edits: Moments;
  interventions: Moments;
  cost: Moments;
  latencyCounts: number[];
}

export interface EpochInputs {
  effective_at: Date;
  treatment_allocation: number;
  treatment: number;
  control: number;
}

export interface CheckInputs {
  experiment_id: string;
  started_at: Date;
  min_p_value: number;
  treatment_allocation: number;
  control: VariantInputs;
  treatment: VariantInputs;
  epochs: EpochInputs[];
}

const num = (v: unknown) => Number(v ?? 0);

/**
 * Everything a check needs, aggregated in PostgreSQL: per-variant moments over
 * the units (one row per household), the merged latency histogram over the
 * buckets, and each allocation epoch's exposures.
 */
export async function loadCheckInputs(
  db: Kysely<MonitorTables>,
  experimentId: string,
  srmGraceSeconds = 0,
): Promise<CheckInputs | undefined> {
  const experiment = await db.selectFrom('monitor.experiments').selectAll().where('experiment_id', '=', experimentId).executeTakeFirst();
  if (!experiment) return undefined;
  const units = await sql<Record<string, unknown>>`
    select variant_id,
           count(*) filter (where outcomes > 0) as n,
           sum(y) as sum_y, sum(y * y) as sum_y2, sum(x) filter (where outcomes > 0) as sum_x,
           sum(x * x) filter (where outcomes > 0) as sum_x2, sum(x * y) as sum_xy,
           sum(e) as sum_e, sum(e * e) as sum_e2,
           count(*) filter (where plans > 0) as n_plans,
           sum(i) as sum_i, sum(i * i) as sum_i2, sum(c) as sum_c, sum(c * c) as sum_c2
    from (
      select variant_id, outcomes, plans,
             case when outcomes > 0 then accepted::float8 / outcomes end as y,
             (pre_accepted + 1)::float8 / (pre_outcomes + 2) as x,
             case when outcomes > 0 then edits::float8 / outcomes end as e,
             case when plans > 0 then interventions::float8 / plans end as i,
             case when plans > 0 then cost_usd / plans end as c
      from monitor.units where experiment_id = ${experimentId}
    ) per_unit
    group by variant_id`.execute(db);
  const buckets = await sql<Record<string, unknown>>`
    select variant_id, sum(exposures) as exposures, sum(plans) as plans, sum(fallbacks) as fallbacks,
           (select array_agg(total order by slot) from (
              select slot, sum(count) as total from monitor.variant_buckets b2, unnest(b2.latency_counts) with ordinality as t(count, slot)
              where b2.experiment_id = ${experimentId} and b2.variant_id = b.variant_id group by slot) merged) as latency_counts
    from monitor.variant_buckets b where experiment_id = ${experimentId} group by variant_id`.execute(db);
  const epochs = await sql<Record<string, unknown>>`
    with epochs as (
      select effective_at, treatment_allocation,
             lag(effective_at) over (order by effective_at) as previous, lead(effective_at) over (order by effective_at) as until
      from monitor.allocations where experiment_id = ${experimentId})
    select e.effective_at, e.treatment_allocation,
           count(u.*) filter (where u.variant_id = ${experiment.treatment_variant_id}) as treatment,
           count(u.*) filter (where u.variant_id = ${experiment.control_variant_id}) as control
    from epochs e left join monitor.units u on u.experiment_id = ${experimentId} and u.exposed_at is not null
      -- An exposure stamped just before the start (clocks differ) belongs to the first epoch; those just after a ramp
      -- (within the grace, while upstream caches still assign with the old split) belong to none.
      and (e.previous is null or u.exposed_at >= e.effective_at + make_interval(secs => ${srmGraceSeconds}))
      and (e.until is null or u.exposed_at < e.until)
    group by e.effective_at, e.treatment_allocation order by e.effective_at`.execute(db);

  const variant = (variantId: string, role: 'control' | 'treatment'): VariantInputs => {
    const u = units.rows.find((r) => r.variant_id === variantId) ?? {};
    const b = buckets.rows.find((r) => r.variant_id === variantId) ?? {};
    return {
      variant_id: variantId,
      role,
      units: num(u.n),
      exposures: num(b.exposures),
      plans: num(b.plans),
      fallbacks: num(b.fallbacks),
      acceptance: {
        n: num(u.n),
        sumY: num(u.sum_y),
        sumY2: num(u.sum_y2),
        sumX: num(u.sum_x),
        sumX2: num(u.sum_x2),
        sumXY: num(u.sum_xy),
      },
      edits: { n: num(u.n), sum: num(u.sum_e), sumSquares: num(u.sum_e2) },
      interventions: { n: num(u.n_plans), sum: num(u.sum_i), sumSquares: num(u.sum_i2) },
      cost: { n: num(u.n_plans), sum: num(u.sum_c), sumSquares: num(u.sum_c2) },
      latencyCounts: ((b.latency_counts as unknown[] | null) ?? []).map(num),
    };
  };
  const allocation = epochs.rows.at(-1)?.treatment_allocation;
  return {
    experiment_id: experimentId,
    started_at: experiment.started_at,
    min_p_value: experiment.min_p_value,
    treatment_allocation: num(allocation),
    control: variant(experiment.control_variant_id, 'control'),
    treatment: variant(experiment.treatment_variant_id, 'treatment'),
    epochs: epochs.rows.map((r) => ({
      effective_at: r.effective_at as Date,
      treatment_allocation: num(r.treatment_allocation),
      treatment: num(r.treatment),
      control: num(r.control),
    })),
  };
}
