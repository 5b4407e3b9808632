/**
 * Issue 11 on real PostgreSQL and Kafka: what exp.events does to the
 * monitor's statistics, hand-computed on a small stream; redelivery changes
 * nothing; bad events are dead-lettered with their reason and move nothing;
 * a check is stored, published and served.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { DLT_HEADER } from '@planner/bus';
import type { PlanEvent } from '@planner/schemas';
import { eventually } from '../../../scripts/local-lifecycle/eventually.ts';
import { clientBus, deadLetterHeaders, readTopic } from '../../../scripts/local-lifecycle/lifecycle-services.ts';
import { serviceUnderTest } from '../../../tests/support/service-under-test.ts';
import { edit, planEvent as experimentEvent, experimentStarted, plan } from './fixtures.ts';

const monitor = serviceUnderTest('experiment-monitor', 'monitor_events', {
  MONITOR_MIN_UNITS_PER_ARM: '3',
  MONITOR_MIN_DURATION_SECONDS: '0',
  MONITOR_CHECK_INTERVAL_SECONDS: '3600',
  MONITOR_CHECK_EVERY_EVENTS: '1000000',
  MONITOR_UNKNOWN_EXPERIMENT_WAIT_SECONDS: '2',
});
let client: ReturnType<typeof clientBus> | undefined;
/** A client in the monitor's environment, made on first use (the environment exists once the suite started). */
const bus = () => (client ??= clientBus(monitor.env(), 'monitor-test'));
after(async () => {
  await client?.transport.close();
});

const EXPERIMENT = 'experiment-00000000000000aa';
const CONTROL = `${EXPERIMENT}-control`;
const TREATMENT = `${EXPERIMENT}-treatment`;
// Two hours ago, on the hour: the experiment has run long enough, and every event falls in one time bucket.
const T0 = Math.floor(Date.now() / 3_600_000 - 2) * 3_600_000;

const planEvent = (fields: Partial<PlanEvent> & Pick<PlanEvent, 'event_type' | 'household_id'>) =>
  experimentEvent(EXPERIMENT, { occurred_at: T0 + 60_000, ...fields });

/** One household's session: exposure, plan_generated (latency, cost), interventions, outcome with `edits` edits. */
function session(
  household: string,
  variant: string,
  o: { accepted: boolean; edits: number; interventions?: number; latency: number; cost: number; fallback?: string },
) {
  const at = (k: number) => T0 + 60_000 + k;
  const common = { household_id: household, variant_id: variant };
  return [
    planEvent({ ...common, event_type: 'exposure', occurred_at: at(0), hash_version: 1 }),
    planEvent({
      ...common,
      event_type: 'plan_generated',
      occurred_at: at(1),
      plan,
      latency_ms: o.latency,
      cost_usd: o.cost,
      fallback_reason: o.fallback ?? null,
    }),
    ...Array.from({ length: o.interventions ?? 0 }, (_, i) =>
      planEvent({ ...common, event_type: 'validator_intervened', occurred_at: at(2 + i), edits: [edit] }),
    ),
    planEvent({
      ...common,
      event_type: o.accepted ? 'plan_accepted' : 'plan_rejected',
      occurred_at: at(10),
      plan: o.accepted ? plan : null,
      edits: Array.from({ length: o.edits }, () => edit),
      latency_ms: o.latency,
      cost_usd: o.cost,
    }),
  ];
}

// Control: 3 households accept (edits 0, 1, 2), 1 rejects (edits 3). Treatment: 2 accept (edits 1, 1), 2 reject (edits 0, 2), one intervention each.
const stream = [
  ...session('hh-c1', CONTROL, { accepted: true, edits: 0, latency: 1, cost: 0.001 }),
  ...session('hh-c2', CONTROL, { accepted: true, edits: 1, latency: 2, cost: 0.001 }),
  ...session('hh-c3', CONTROL, { accepted: true, edits: 2, latency: 3, cost: 0.001 }),
  ...session('hh-c4', CONTROL, { accepted: false, edits: 3, latency: 4, cost: 0.001 }),
  ...session('hh-t1', TREATMENT, { accepted: true, edits: 1, interventions: 1, latency: 10, cost: 0.002 }),
  ...session('hh-t2', TREATMENT, {
    accepted: true,
    edits: 1,
    interventions: 1,
    latency: 20,
    cost: 0.002,
    fallback: 'POLICY_TIMEOUT: no plan within 2000 ms',
  }),
  ...session('hh-t3', TREATMENT, { accepted: false, edits: 0, interventions: 1, latency: 30, cost: 0.002 }),
  ...session('hh-t4', TREATMENT, { accepted: false, edits: 2, interventions: 1, latency: 40, cost: 0.002 }),
];

const started = experimentStarted(EXPERIMENT);

interface Bucket {
  variant_id: string;
  exposures: number;
  plans: number;
  accepted: number;
  rejected: number;
  edits: number;
  edits_sq: number;
  interventions: number;
  fallbacks: number;
  cost_usd: number;
  latency_counts: number[];
}

async function buckets(): Promise<Bucket[]> {
  const answer = await monitor.call<{ buckets: Bucket[] }>(`/v1/experiments/${EXPERIMENT}/metrics`);
  return answer.status === 200 ? answer.body.buckets : [];
}

test('events that arrive before their experiment.started wait for it, then count: the sufficient statistics, by hand', async () => {
  await bus().bus.publishMany('exp.events', stream, (e) => e.household_id);
  // The start comes later, on its own topic.
  await bus().bus.publish('experiment.started', { ...bus().bus.event('experiment.started', started, EXPERIMENT), occurred_at: T0 });
  const all = await eventually(
    'every event counted',
    async () => {
      const found = await buckets();
      const plans = found.reduce((n, b) => n + b.plans + b.accepted + b.rejected, 0);
      return plans === 16 ? found : undefined;
    },
    60_000,
  );
  const control = all.find((b) => b.variant_id === CONTROL) as Bucket;
  const treatment = all.find((b) => b.variant_id === TREATMENT) as Bucket;
  assert.deepEqual(
    { ...control, latency_counts: undefined, bucket_start: undefined },
    {
      ...control,
      latency_counts: undefined,
      bucket_start: undefined,
      exposures: 4,
      plans: 4,
      accepted: 3,
      rejected: 1,
      edits: 6,
      edits_sq: 14,
      interventions: 0,
      fallbacks: 0,
    },
  );
  // Treatment edits 1 + 1 + 0 + 2 = 4, squares 1 + 1 + 0 + 4 = 6.
  assert.deepEqual(
    [
      treatment.exposures,
      treatment.plans,
      treatment.accepted,
      treatment.rejected,
      treatment.edits,
      treatment.edits_sq,
      treatment.interventions,
      treatment.fallbacks,
    ],
    [4, 4, 2, 2, 4, 6, 4, 1],
  );
  assert.ok(Math.abs(control.cost_usd - 0.004) < 1e-12 && Math.abs(treatment.cost_usd - 0.008) < 1e-12, 'cost from plan_generated only');
  assert.equal(
    control.latency_counts.reduce((a, b) => a + b, 0),
    4,
  );
  assert.equal(
    treatment.latency_counts.reduce((a, b) => a + b, 0),
    4,
  );
  // The start is on /metrics once committed, at the event's time, for the experiments dashboard's annotations.
  const exposition = await (await fetch(`${monitor.address()}/metrics`)).text();
  assert.ok(
    exposition.includes(`planner_experiment_last_change_timestamp_seconds{experiment_id="${EXPERIMENT}",change="started"} ${T0 / 1000}`),
  );
  assert.ok(exposition.includes(`planner_experiment_treatment_allocation{experiment_id="${EXPERIMENT}"} 0.5`));
});

test('a redelivered or replayed stream changes nothing', async () => {
  const before = await buckets();
  await bus().bus.publishMany('exp.events', stream, (e) => e.household_id);
  // A marker event after the replayed ones: once it counts, the replay has been read.
  await bus().bus.publish('exp.events', planEvent({ household_id: 'hh-c9', event_type: 'exposure' }), 'hh-c9');
  await eventually(
    'the marker counted',
    async () => ((await buckets()).find((b) => b.variant_id === CONTROL)?.exposures === 5 ? true : undefined),
    60_000,
  );
  const afterReplay = await buckets();
  const control = afterReplay.find((b) => b.variant_id === CONTROL) as Bucket;
  assert.deepEqual(
    { ...control, exposures: 4 },
    before.find((b) => b.variant_id === CONTROL),
  );
  assert.deepEqual(
    afterReplay.find((b) => b.variant_id === TREATMENT),
    before.find((b) => b.variant_id === TREATMENT),
  );
});

test('a check: per-variant metrics computed by hand, stored, served and published as experiment.checked', async () => {
  const answer = await monitor.call<{
    status: string;
    evidence: { status: string; variants: Record<string, number | string>[]; srm_p_value: number; guardrails: { metric: string }[] };
  }>(`/v1/experiments/${EXPERIMENT}/checks`, { method: 'POST' });
  assert.equal(answer.status, 201);
  const evidence = answer.body.evidence;
  const [control, treatment] = evidence.variants;
  // Control: 3 of 4 households accepted (mean of rates 1,1,1,0 = 0.75); edits per plan (0+1+2+3)/4 = 1.5; cost 0.001.
  assert.equal(control?.acceptance_rate, 0.75);
  assert.equal(control?.edits_per_plan, 1.5);
  assert.equal(control?.interventions_per_plan, 0);
  assert.equal(control?.units, 4);
  assert.equal(control?.exposures, 5);
  // Treatment: 2 of 4; edits (1+1+0+2)/4 = 1; one intervention per plan; one fallback.
  assert.equal(treatment?.acceptance_rate, 0.5);
  assert.equal(treatment?.edits_per_plan, 1);
  assert.equal(treatment?.interventions_per_plan, 1);
  assert.equal(treatment?.fallbacks, 1);
  assert.ok(Math.abs((treatment?.cost_per_plan_usd as number) - 0.002) < 1e-12);
  // Treatment interventions are 1 per plan against 0, constant in both arms: beyond the 0.05 margin for certain.
  assert.equal(evidence.status, 'guardrail_breached');
  assert.ok(evidence.guardrails.some((g) => g.metric === 'latency_p95_ms'));
  // 4 treatment and 5 control exposures at 50/50: χ² = (0.5² + 0.5²)/4.5 = 0.111, p = 0.739.
  assert.ok(Math.abs(evidence.srm_p_value - 0.7389) < 1e-3, String(evidence.srm_p_value));

  const listed = await monitor.call<{ check_id: string; status: string }[]>(`/v1/experiments/${EXPERIMENT}/checks`);
  assert.equal(listed.body[0]?.status, 'guardrail_breached');
  const published = await eventually('experiment.checked on Kafka', async () => {
    const found = (await readTopic(bus().transport, 'experiment.checked')).find((m) => m.event.check_id === listed.body[0]?.check_id);
    return found?.event;
  });
  assert.equal(published.experiment_id, EXPERIMENT);
  assert.equal(published.status, 'guardrail_breached');
  assert.equal(published.variants.length, 2);
  const metrics = await (await fetch(`${monitor.address()}/metrics`)).text();
  assert.match(metrics, new RegExp(`planner_experiment_status\\{experiment_id="${EXPERIMENT}",status="guardrail_breached"\\} 1`));
  assert.match(
    metrics,
    new RegExp(
      `planner_experiment_variant_metric\\{experiment_id="${EXPERIMENT}",variant_id="${TREATMENT}",role="treatment",metric="acceptance_rate"\\} 0.5`,
    ),
  );
});

test('bad events are dead-lettered with their reason, counted per reason, and move no metric', async () => {
  const before = await buckets();
  const bad = [
    planEvent({ household_id: 'hh-x1', event_type: 'plan_generated', experiment_id: null, plan }),
    planEvent({ household_id: 'hh-x2', event_type: 'plan_generated', latency_ms: -5, plan }),
    planEvent({ household_id: 'hh-x3', event_type: 'plan_generated', cost_usd: Number.NaN, plan }),
    planEvent({ household_id: 'hh-x4', event_type: 'exposure', variant_id: `${EXPERIMENT}-holdout` }),
    planEvent({ household_id: 'hh-x5', event_type: 'exposure', experiment_id: 'experiment-never-started' }),
  ];
  await bus().bus.publishMany('exp.events', bad, (e) => e.household_id);
  const letters = await eventually(
    'five dead letters',
    async () => {
      const found = (await deadLetterHeaders(bus().transport, 'exp.events')).filter((h) =>
        bad.some((b) => b.event_id === h[DLT_HEADER.eventId]),
      );
      return found.length === 5 ? found : undefined;
    },
    60_000,
  );
  const reasons = Object.fromEntries(
    letters.map((h) => [h[DLT_HEADER.eventId], `${h[DLT_HEADER.errorCode]}: ${h[DLT_HEADER.errorMessage]}`]),
  );
  assert.match(reasons[bad[0]?.event_id as string] as string, /^EVENT_METADATA_MISSING: experiment_id is required for plan_generated/);
  assert.match(reasons[bad[1]?.event_id as string] as string, /^EVENT_VALUE_INVALID: latency_ms must be a finite number ≥ 0, got -5/);
  assert.match(reasons[bad[2]?.event_id as string] as string, /^EVENT_VALUE_INVALID: cost_usd must be a finite number ≥ 0, got NaN/);
  assert.match(
    reasons[bad[3]?.event_id as string] as string,
    /^VARIANT_UNKNOWN: experiment experiment-00000000000000aa has variants .* not experiment-00000000000000aa-holdout/,
  );
  assert.match(
    reasons[bad[4]?.event_id as string] as string,
    /^EXPERIMENT_UNKNOWN: no experiment.started for experiment-never-started arrived within 2 s/,
  );
  assert.deepEqual(await buckets(), before);
  const metrics = await (await fetch(`${monitor.address()}/metrics`)).text();
  for (const code of ['EVENT_METADATA_MISSING', 'EVENT_VALUE_INVALID', 'VARIANT_UNKNOWN', 'EXPERIMENT_UNKNOWN']) {
    assert.match(metrics, new RegExp(`planner_bus_dead_lettered_total\\{[^}]*code="${code}"[^}]*\\} [12]`), code);
  }
});

test('the HTTP edge: an unknown experiment is a 404, a malformed limit a 400', async () => {
  const missing = await monitor.call<{ error: { code: string; message: string } }>('/v1/experiments/experiment-nope/checks');
  assert.equal(missing.status, 404);
  assert.match(missing.body.error.message, /no experiment experiment-nope/);
  const badLimit = await monitor.call<{ error: { code: string } }>(`/v1/experiments/${EXPERIMENT}/checks?limit=0`);
  assert.equal(badLimit.status, 400);
  const unauthenticated = await fetch(`${monitor.address()}/v1/experiments/${EXPERIMENT}/checks`, { method: 'POST' });
  assert.equal(unauthenticated.status, 401);
});
