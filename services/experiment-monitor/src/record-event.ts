import type { BusTables } from '@planner/bus';
import { LATENCY_HISTOGRAM, latencyBucket } from '@planner/online-statistics';
import type { PlanEvent } from '@planner/schemas';
import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import { checkPlanEvent } from './event-checks.ts';
import { ExperimentNotYetKnown, rejected } from './monitor-error.ts';
import type { MonitorTables } from './tables.ts';

/** What events outside any experiment carry (OUTSIDE_EXPERIMENTS of @planner/assignment). */
const OUTSIDE_EXPERIMENTS = 'none';
/** Latency buckets plus the overflow bucket. */
export const LATENCY_SLOTS = LATENCY_HISTOGRAM.bounds.length + 1;
const BATCH_KEY = 'experiment-monitor';

type Trx = Transaction<MonitorTables & BusTables>;

export interface RecordOptions {
  bucketSeconds: number;
  unknownExperimentWaitMs: number;
  /** When each unknown experiment was first met, in this process: after the wait its events are dead-lettered at once. */
  unknownSince: Map<string, number>;
  /** Variants of the experiments met so far: they never change, so each is read once per process. */
  variants: Map<string, { control: string; treatment: string }>;
  now?: () => number;
}

interface UnitDelta {
  experiment_id: string;
  variant_id: string;
  household_id: string;
  first_seen_at: number;
  exposed_at: number | null;
  /** The household's outcomes earlier in this batch, before its first event in the experiment (the stored history adds to it). */
  pre_outcomes: number;
  pre_accepted: number;
  plans: number;
  outcomes: number;
  accepted: number;
  edits: number;
  interventions: number;
  cost_usd: number;
}

interface BucketDelta {
  experiment_id: string;
  variant_id: string;
  bucket_start: number;
  exposures: number;
  plans: number;
  accepted: number;
  rejected: number;
  edits: number;
  edits_sq: number;
  interventions: number;
  fallbacks: number;
  cost_usd: number;
  cost_usd_sq: number;
  latency_ms_sum: number;
  latency_counts: number[];
}

/** One transaction's effects, gathered event by event and written together (see writeEffects). */
export class BatchEffects {
  readonly units = new Map<string, UnitDelta>();
  readonly buckets = new Map<string, BucketDelta>();
  readonly households = new Map<string, { outcomes: number; accepted: number }>();

  static of(batch: Map<string, unknown>): BatchEffects {
    let effects = batch.get(BATCH_KEY) as BatchEffects | undefined;
    if (!effects) {
      effects = new BatchEffects();
      batch.set(BATCH_KEY, effects);
    }
    return effects;
  }
}

/**
 * Applies one exp.events event to the monitor's statistics, gathered in the
 * consumer's transaction (so a redelivery, deduplicated by the inbox, changes
 * nothing): in an experiment, the unit's counters and the variant's time
 * bucket; outside experiments, for plan outcomes, the household's history,
 * which experiments use as CUPED's pre-period. Per plan, edits come from the outcome's edit list and latency
 * and cost from plan_generated, so no quantity is counted twice.
 */
export async function recordPlanEvent(trx: Trx, event: PlanEvent, effects: BatchEffects, options: RecordOptions): Promise<void> {
  checkPlanEvent(event);
  const outcome = event.event_type === 'plan_accepted' || event.event_type === 'plan_rejected' ? event.event_type : null;
  if (event.experiment_id !== OUTSIDE_EXPERIMENTS) {
    await gatherInExperiment(trx, event, outcome, effects, options);
    return;
  }
  // The history is production traffic outside experiments only: an outcome inside one depends on its variant, and a
  // covariate that depends on the assignment biases CUPED (a household a ramp moves would carry its control plans).
  if (outcome !== null) {
    const history = effects.households.get(event.household_id) ?? { outcomes: 0, accepted: 0 };
    history.outcomes++;
    if (outcome === 'plan_accepted') history.accepted++;
    effects.households.set(event.household_id, history);
  }
}

async function gatherInExperiment(
  trx: Trx,
  event: PlanEvent,
  outcome: 'plan_accepted' | 'plan_rejected' | null,
  effects: BatchEffects,
  options: RecordOptions,
): Promise<void> {
  const experimentId = event.experiment_id as string;
  const variantId = event.variant_id as string;
  const experiment = options.variants.get(experimentId) ?? (await readVariants(trx, experimentId));
  if (!experiment) {
    const now = (options.now ?? Date.now)();
    const since = options.unknownSince.get(experimentId) ?? now;
    options.unknownSince.set(experimentId, since);
    if (now - since >= options.unknownExperimentWaitMs) {
      throw rejected(
        'EXPERIMENT_UNKNOWN',
        `no experiment.started for ${experimentId} arrived within ${options.unknownExperimentWaitMs / 1000} s`,
      );
    }
    throw new ExperimentNotYetKnown(experimentId);
  }
  options.unknownSince.delete(experimentId);
  options.variants.set(experimentId, experiment);
  if (variantId !== experiment.control && variantId !== experiment.treatment) {
    throw rejected(
      'VARIANT_UNKNOWN',
      `experiment ${experimentId} has variants ${experiment.control} and ${experiment.treatment}, not ${variantId}`,
    );
  }

  const generated = event.event_type === 'plan_generated';
  const edits = outcome === null ? 0 : event.edits.length;
  const cost = generated ? (event.cost_usd ?? 0) : 0;
  const latency = generated && event.latency_ms !== null ? event.latency_ms : null;
  const exposure = event.event_type === 'exposure';

  const unitKey = `${experimentId}|${variantId}|${event.household_id}`;
  let unit = effects.units.get(unitKey);
  if (!unit) {
    const earlier = effects.households.get(event.household_id);
    unit = {
      experiment_id: experimentId,
      variant_id: variantId,
      household_id: event.household_id,
      first_seen_at: event.occurred_at,
      exposed_at: null,
      pre_outcomes: earlier?.outcomes ?? 0,
      pre_accepted: earlier?.accepted ?? 0,
      plans: 0,
      outcomes: 0,
      accepted: 0,
      edits: 0,
      interventions: 0,
      cost_usd: 0,
    };
    effects.units.set(unitKey, unit);
  }
  if (exposure && unit.exposed_at === null) unit.exposed_at = event.occurred_at;
  if (generated) unit.plans++;
  if (outcome !== null) unit.outcomes++;
  if (outcome === 'plan_accepted') unit.accepted++;
  unit.edits += edits;
  if (event.event_type === 'validator_intervened') unit.interventions++;
  unit.cost_usd += cost;

  const bucketStart = Math.floor(event.occurred_at / (options.bucketSeconds * 1000)) * options.bucketSeconds * 1000;
  const bucketKey = `${experimentId}|${variantId}|${bucketStart}`;
  let bucket = effects.buckets.get(bucketKey);
  if (!bucket) {
    bucket = {
      experiment_id: experimentId,
      variant_id: variantId,
      bucket_start: bucketStart,
      exposures: 0,
      plans: 0,
      accepted: 0,
      rejected: 0,
      edits: 0,
      edits_sq: 0,
      interventions: 0,
      fallbacks: 0,
      cost_usd: 0,
      cost_usd_sq: 0,
      latency_ms_sum: 0,
      latency_counts: new Array<number>(LATENCY_SLOTS).fill(0),
    };
    effects.buckets.set(bucketKey, bucket);
  }
  if (exposure) bucket.exposures++;
  if (generated) bucket.plans++;
  if (outcome === 'plan_accepted') bucket.accepted++;
  if (outcome === 'plan_rejected') bucket.rejected++;
  bucket.edits += edits;
  bucket.edits_sq += edits * edits;
  if (event.event_type === 'validator_intervened') bucket.interventions++;
  if (generated && event.fallback_reason !== null) bucket.fallbacks++;
  bucket.cost_usd += cost;
  bucket.cost_usd_sq += cost * cost;
  if (latency !== null) {
    bucket.latency_ms_sum += latency;
    (bucket.latency_counts[latencyBucket(latency)] as number)++;
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Writes a transaction's gathered effects: one statement for the units (a new
 * unit's pre-period is the stored history plus this batch's outcomes before
 * its first event; the statement reads the history as it was before the
 * batch), one per time bucket, one for the households' history. A few
 * statements per batch instead of two per event.
 */
export async function writeEffects(trx: Trx, effects: BatchEffects): Promise<void> {
  // In key order, so batches of different partitions lock shared rows in the same order and never deadlock.
  const byKey = <T>(map: Map<string, T>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  const units = byKey(effects.units);
  if (units.length > 0) {
    const col = <K extends keyof UnitDelta>(k: K) => units.map((u) => u[k]);
    await sql`
      insert into monitor.units (experiment_id, variant_id, household_id, first_seen_at, exposed_at, pre_outcomes, pre_accepted,
                                 plans, outcomes, accepted, edits, interventions, cost_usd)
      select t.experiment_id, t.variant_id, t.household_id, t.first_seen_at, t.exposed_at,
             coalesce(h.outcomes, 0) + t.pre_outcomes, coalesce(h.accepted, 0) + t.pre_accepted,
             t.plans, t.outcomes, t.accepted, t.edits, t.interventions, t.cost_usd
      from unnest(${col('experiment_id')}::text[], ${col('variant_id')}::text[], ${col('household_id')}::text[],
                  ${units.map((u) => iso(u.first_seen_at))}::timestamptz[], ${units.map((u) => iso(u.exposed_at))}::timestamptz[],
                  ${col('pre_outcomes')}::int[], ${col('pre_accepted')}::int[], ${col('plans')}::int[], ${col('outcomes')}::int[],
                  ${col('accepted')}::int[], ${col('edits')}::int[], ${col('interventions')}::int[], ${col('cost_usd')}::float8[])
           as t(experiment_id, variant_id, household_id, first_seen_at, exposed_at, pre_outcomes, pre_accepted,
                plans, outcomes, accepted, edits, interventions, cost_usd)
      left join monitor.households h on h.household_id = t.household_id
      on conflict (experiment_id, variant_id, household_id) do update set
        exposed_at = coalesce(units.exposed_at, excluded.exposed_at),
        plans = units.plans + excluded.plans,
        outcomes = units.outcomes + excluded.outcomes,
        accepted = units.accepted + excluded.accepted,
        edits = units.edits + excluded.edits,
        interventions = units.interventions + excluded.interventions,
        cost_usd = units.cost_usd + excluded.cost_usd`.execute(trx);
  }
  for (const b of byKey(effects.buckets)) {
    await sql`
      insert into monitor.variant_buckets (experiment_id, variant_id, bucket_start, exposures, plans, accepted, rejected, edits, edits_sq,
                                           interventions, fallbacks, cost_usd, cost_usd_sq, latency_ms_sum, latency_counts)
      values (${b.experiment_id}, ${b.variant_id}, ${new Date(b.bucket_start)}, ${b.exposures}, ${b.plans}, ${b.accepted}, ${b.rejected},
              ${b.edits}, ${b.edits_sq}, ${b.interventions}, ${b.fallbacks}, ${b.cost_usd}, ${b.cost_usd_sq}, ${b.latency_ms_sum},
              ${b.latency_counts}::bigint[])
      on conflict (experiment_id, variant_id, bucket_start) do update set
        exposures = variant_buckets.exposures + excluded.exposures,
        plans = variant_buckets.plans + excluded.plans,
        accepted = variant_buckets.accepted + excluded.accepted,
        rejected = variant_buckets.rejected + excluded.rejected,
        edits = variant_buckets.edits + excluded.edits,
        edits_sq = variant_buckets.edits_sq + excluded.edits_sq,
        interventions = variant_buckets.interventions + excluded.interventions,
        fallbacks = variant_buckets.fallbacks + excluded.fallbacks,
        cost_usd = variant_buckets.cost_usd + excluded.cost_usd,
        cost_usd_sq = variant_buckets.cost_usd_sq + excluded.cost_usd_sq,
        latency_ms_sum = variant_buckets.latency_ms_sum + excluded.latency_ms_sum,
        -- Histograms merge by adding their counts.
        latency_counts = (select array_agg(a + b order by slot)
                          from unnest(variant_buckets.latency_counts, excluded.latency_counts) with ordinality as t(a, b, slot))`.execute(
      trx,
    );
  }
  const households = [...effects.households.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (households.length > 0) {
    await sql`
      insert into monitor.households (household_id, outcomes, accepted)
      select * from unnest(${households.map(([id]) => id)}::text[], ${households.map(([, h]) => h.outcomes)}::int[],
                           ${households.map(([, h]) => h.accepted)}::int[])
      on conflict (household_id) do update set outcomes = households.outcomes + excluded.outcomes,
                                               accepted = households.accepted + excluded.accepted`.execute(trx);
  }
}

async function readVariants(trx: Trx, experimentId: string) {
  const found = await trx
    .selectFrom('monitor.experiments')
    .select(['control_variant_id', 'treatment_variant_id'])
    .where('experiment_id', '=', experimentId)
    .executeTakeFirst();
  return found && { control: found.control_variant_id, treatment: found.treatment_variant_id };
}
