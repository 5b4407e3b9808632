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

export interface RecordOptions {
  bucketSeconds: number;
  unknownExperimentWaitMs: number;
  /** When each unknown experiment was first met, in this process: after the wait its events are dead-lettered at once. */
  unknownSince: Map<string, number>;
  /** Variants of the experiments met so far: they never change, so each is read once per process. */
  variants: Map<string, { control: string; treatment: string }>;
  now?: () => number;
}

/**
 * Applies one exp.events event to the monitor's statistics, inside the
 * consumer's transaction (so a redelivery, deduplicated by the inbox, changes
 * nothing): the unit's counters, the variant's time bucket, and — for plan
 * outcomes — the household's history, which later experiments use as CUPED's
 * pre-period. Per plan, edits come from the outcome's edit list and latency
 * and cost from plan_generated, so no quantity is counted twice.
 */
export async function recordPlanEvent(trx: Transaction<MonitorTables>, event: PlanEvent, options: RecordOptions): Promise<void> {
  checkPlanEvent(event);
  const outcome = event.event_type === 'plan_accepted' || event.event_type === 'plan_rejected' ? event.event_type : null;
  if (event.experiment_id !== OUTSIDE_EXPERIMENTS) await recordInExperiment(trx, event, outcome, options);
  if (outcome !== null) {
    const accepted = outcome === 'plan_accepted' ? 1 : 0;
    await sql`
      insert into monitor.households (household_id, outcomes, accepted) values (${event.household_id}, 1, ${accepted})
      on conflict (household_id) do update set outcomes = households.outcomes + 1, accepted = households.accepted + excluded.accepted`.execute(
      trx,
    );
  }
}

async function recordInExperiment(
  trx: Transaction<MonitorTables>,
  event: PlanEvent,
  outcome: 'plan_accepted' | 'plan_rejected' | null,
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

  const at = new Date(event.occurred_at);
  const generated = event.event_type === 'plan_generated';
  const edits = outcome === null ? 0 : event.edits.length;
  const cost = generated ? (event.cost_usd ?? 0) : 0;
  const latency = generated && event.latency_ms !== null ? event.latency_ms : null;
  const d = {
    exposures: event.event_type === 'exposure' ? 1 : 0,
    plans: generated ? 1 : 0,
    outcomes: outcome === null ? 0 : 1,
    accepted: outcome === 'plan_accepted' ? 1 : 0,
    rejected: outcome === 'plan_rejected' ? 1 : 0,
    interventions: event.event_type === 'validator_intervened' ? 1 : 0,
    fallbacks: generated && event.fallback_reason !== null ? 1 : 0,
  };
  const exposedAt = d.exposures === 1 ? at : null;

  const bucketStart = new Date(Math.floor(event.occurred_at / (options.bucketSeconds * 1000)) * options.bucketSeconds * 1000);
  // The latency histogram grows by one at the plan's bucket (1-based in SQL).
  const slot = latency === null ? 1 : latencyBucket(latency) + 1;
  const counted = latency === null ? 0 : 1;
  const zeros = new Array<number>(LATENCY_SLOTS).fill(0);
  if (counted) zeros[slot - 1] = 1;
  // One round trip: the unit (created at the household's first event in the experiment, with its history so far as the
  // pre-period: the CTEs all read the snapshot from before this statement) and the variant's time bucket, and then
  // the household's history when the event is an outcome.
  await sql`
    with unit as (
      insert into monitor.units (experiment_id, variant_id, household_id, first_seen_at, exposed_at, pre_outcomes, pre_accepted,
                                 plans, outcomes, accepted, edits, interventions, cost_usd)
      select ${experimentId}, ${variantId}, ${event.household_id}, ${at}, ${exposedAt},
             coalesce(h.outcomes, 0), coalesce(h.accepted, 0), ${d.plans}, ${d.outcomes}, ${d.accepted}, ${edits}, ${d.interventions}, ${cost}
      from (select 1) as one left join monitor.households h on h.household_id = ${event.household_id}
      on conflict (experiment_id, variant_id, household_id) do update set
        exposed_at = coalesce(units.exposed_at, excluded.exposed_at),
        plans = units.plans + excluded.plans,
        outcomes = units.outcomes + excluded.outcomes,
        accepted = units.accepted + excluded.accepted,
        edits = units.edits + excluded.edits,
        interventions = units.interventions + excluded.interventions,
        cost_usd = units.cost_usd + excluded.cost_usd
      returning 1
    )
    insert into monitor.variant_buckets (experiment_id, variant_id, bucket_start, exposures, plans, accepted, rejected, edits, edits_sq,
                                         interventions, fallbacks, cost_usd, cost_usd_sq, latency_ms_sum, latency_counts)
    select ${experimentId}, ${variantId}, ${bucketStart}, ${d.exposures}, ${d.plans}, ${d.accepted}, ${d.rejected}, ${edits}, ${edits * edits},
           ${d.interventions}, ${d.fallbacks}, ${cost}, ${cost * cost}, ${latency ?? 0}, ${zeros}::bigint[]
    from unit
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
      latency_counts[${slot}::int] = variant_buckets.latency_counts[${slot}::int] + ${counted}::int`.execute(trx);
}

async function readVariants(trx: Transaction<MonitorTables>, experimentId: string) {
  const found = await trx
    .selectFrom('monitor.experiments')
    .select(['control_variant_id', 'treatment_variant_id'])
    .where('experiment_id', '=', experimentId)
    .executeTakeFirst();
  return found && { control: found.control_variant_id, treatment: found.treatment_variant_id };
}
