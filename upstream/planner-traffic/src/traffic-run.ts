import type { ActivePolicy } from '@planner/assignment';
import {
  hashUnit,
  type PantrySnapshot,
  type PlanEvent,
  pantrySnapshot,
  SeededRandom,
  sessionShape,
  type WeeklyPlan,
} from '@planner/domain';
import type { PlanServer, PlanSession } from './plan-server.ts';
import type { ProductHousehold, ProductWorld } from './product-world.ts';
import { TrafficStats } from './traffic-stats.ts';

/** Requests served between two writes: one pantry insert and one Kafka send per batch keep the rate high. */
const MAX_BATCH = 250;
/** The pantry is looked at just before the plan is asked for. */
const PANTRY_LEAD_MS = 1_000;

export interface TrafficRunOptions {
  seed: number;
  weeks: number;
  rps: number;
  durationSeconds: number;
  households: readonly ProductHousehold[];
  world: ProductWorld;
  server: PlanServer;
  policy: { current(): ActivePolicy };
  /** Fault injection: this share of the treatment's households (chosen by hash) lose every event. */
  dropTreatmentEvents?: number;
  publish: (events: PlanEvent[]) => Promise<void>;
  /** Called about once a second with the counts so far. */
  onProgress?: (stats: TrafficStats, elapsedSeconds: number) => void;
  /** Told about each failed request (neither the variant nor production planned). */
  onFailure?: (householdId: string, reason: string) => void;
  signal?: AbortSignal;
}

/**
 * Serves the weekly plan requests: week by week, every household once, in an
 * order shuffled per week by the seed, at `rps` requests a second. Each batch's
 * pantry snapshots are stored before its events are published, so everything
 * an event refers to exists when it is read.
 */
export async function runTraffic(options: TrafficRunOptions): Promise<TrafficStats> {
  const stats = new TrafficStats();
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const previous = new Map<string, WeeklyPlan>();
  let lastProgress = 0;

  const sessions = function* () {
    for (let week = 0; week < options.weeks; week++) {
      const order = SeededRandom.derive(options.seed, 'traffic-week', week).sample(
        options.households.map((_, i) => i),
        options.households.length,
      );
      for (const index of order) yield { index, week };
    }
  };
  const pending = sessions();
  let next = pending.next();

  while (!next.done && !options.signal?.aborted) {
    if (options.durationSeconds > 0 && elapsed() >= options.durationSeconds) break;
    // How many requests are due by now at the configured rate.
    let due = options.rps === 0 ? MAX_BATCH : Math.floor(elapsed() * options.rps) + 1 - stats.requests;
    if (due <= 0) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.ceil(((stats.requests + 1) / options.rps - elapsed()) * 1000))));
      continue;
    }
    due = Math.min(due, MAX_BATCH);
    const pantries: PantrySnapshot[] = [];
    const events: PlanEvent[] = [];
    const policy = options.policy.current();
    for (; due > 0 && !next.done; due--, next = pending.next()) {
      const { index, week } = next.value;
      const { household, constraints } = options.households[index] as ProductHousehold;
      const at = Date.now();
      const rng = SeededRandom.derive(options.seed, 'traffic-session', index, week);
      const shape = sessionShape(options.seed, index, rng);
      const pantry = pantrySnapshot(
        household,
        at - PANTRY_LEAD_MS,
        SeededRandom.derive(options.seed, 'traffic-pantry', index, week),
        constraints,
      );
      const session: PlanSession = {
        household,
        constraints,
        pantry,
        workflow: shape.workflow,
        mode: shape.mode,
        previousPlan: previous.get(household.household_id) ?? null,
        at,
        rng,
        faults: SeededRandom.derive(options.seed, 'traffic-faults', index, week),
      };
      const served = await options.server.serve(session, policy);
      stats.add(served, household.household_id);
      if (served.failed) options.onFailure?.(household.household_id, served.fallbackReason ?? 'no plan');
      if (served.acceptedPlan) previous.set(household.household_id, served.acceptedPlan);
      const treatment = policy.experiment?.variants.find((v) => v.role === 'treatment')?.variant_id;
      if (served.variantId === treatment && hashUnit(`drop:${household.household_id}`) < (options.dropTreatmentEvents ?? 0)) {
        stats.dropped += served.events.length;
        continue;
      }
      if (served.events.length > 0) pantries.push(pantry);
      events.push(...served.events);
    }
    await options.world.savePantries(pantries);
    await options.publish(events);
    if (elapsed() - lastProgress >= 1) {
      lastProgress = elapsed();
      options.onProgress?.(stats, lastProgress);
    }
  }
  options.onProgress?.(stats, elapsed());
  return stats;
}
