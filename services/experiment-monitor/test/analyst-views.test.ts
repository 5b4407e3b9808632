/**
 * The analyst views of migration 0002 on real PostgreSQL and Kafka: a small
 * hand-made stream over two UTC days, and every row of monitor.variant_daily
 * and monitor.variant_totals computed by hand; monitor.latest_checks against
 * the check the HTTP edge answered; the documentation inside PostgreSQL; and
 * the queries and the read-only role of docs/analytics/experiment-monitor.md,
 * run as they are written.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { createDatabase } from '@planner/db';
import type { PlanEvent, TopicEvents } from '@planner/schemas';
import { sql } from 'kysely';
import { eventually } from '../../../scripts/local-lifecycle/eventually.ts';
import { clientBus } from '../../../scripts/local-lifecycle/lifecycle-services.ts';
import { serviceUnderTest } from '../../../tests/support/service-under-test.ts';
import { edit, planEvent as experimentEvent, experimentStarted, plan } from './fixtures.ts';

const monitor = serviceUnderTest('experiment-monitor', 'monitor_views', {
  MONITOR_MIN_UNITS_PER_ARM: '3',
  MONITOR_MIN_DURATION_SECONDS: '0',
  MONITOR_CHECK_INTERVAL_SECONDS: '3600',
  MONITOR_CHECK_EVERY_EVENTS: '1000000',
});
let client: ReturnType<typeof clientBus> | undefined;
const bus = () => (client ??= clientBus(monitor.env(), 'analyst-views-test'));
after(async () => {
  await client?.transport.close();
});

/** The experiment the documentation's example queries name. */
const EXPERIMENT = 'experiment-0000000000000001';
const CONTROL = `${EXPERIMENT}-control`;
const TREATMENT = `${EXPERIMENT}-treatment`;
/** Started, never an event: its checks say `collecting`, with no primary test and no SRM p-value. */
const QUIET = 'experiment-0000000000000002';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
// Midnight UTC three and two days ago: every event lies well inside its UTC day.
const DAY1 = Math.floor(Date.now() / DAY_MS - 3) * DAY_MS;
const DAY2 = DAY1 + DAY_MS;
const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const planEvent = (fields: Partial<PlanEvent> & Pick<PlanEvent, 'event_type' | 'household_id' | 'occurred_at'>) =>
  experimentEvent(EXPERIMENT, { producer: 'analyst-views-test', ...fields });

/**
 * One plan of one household at `at`: an exposure (unless `exposed` is false),
 * plan_generated with latency and cost, `interventions` validator
 * interventions, and an outcome with `edits` edits (none when `outcome` is null).
 */
function session(
  household: string,
  variant: string,
  at: number,
  o: {
    exposed?: boolean;
    outcome: 'accepted' | 'rejected' | null;
    edits?: number;
    interventions?: number;
    latency: number | null;
    cost: number;
    fallback?: string;
  },
): PlanEvent[] {
  const common = { household_id: household, variant_id: variant, plan_id: `plan-${household}-${at}` };
  return [
    ...(o.exposed === false ? [] : [planEvent({ ...common, event_type: 'exposure', occurred_at: at, hash_version: 1 })]),
    planEvent({
      ...common,
      event_type: 'plan_generated',
      occurred_at: at + 1,
      plan,
      latency_ms: o.latency,
      cost_usd: o.cost,
      fallback_reason: o.fallback ?? null,
    }),
    ...Array.from({ length: o.interventions ?? 0 }, (_, i) =>
      planEvent({ ...common, event_type: 'validator_intervened', occurred_at: at + 2 + i, edits: [edit] }),
    ),
    ...(o.outcome === null
      ? []
      : [
          planEvent({
            ...common,
            event_type: o.outcome === 'accepted' ? 'plan_accepted' : 'plan_rejected',
            occurred_at: at + 10,
            plan: o.outcome === 'accepted' ? plan : null,
            edits: Array.from({ length: o.edits ?? 0 }, () => edit),
            // Outcomes repeat latency and cost; the monitor counts them from plan_generated only.
            latency_ms: o.latency,
            cost_usd: o.cost,
          }),
        ]),
  ];
}

// Day 1, in two hourly buckets (10:00 and 14:00), and day 2. hh-c1 plans on both days; hh-c4's plan has no latency and
// no outcome yet; hh-t5 is only exposed.
const stream = [
  ...session('hh-c1', CONTROL, DAY1 + 10 * HOUR_MS, { outcome: 'accepted', edits: 2, latency: 100, cost: 0.01 }),
  ...session('hh-c2', CONTROL, DAY1 + 14 * HOUR_MS, { outcome: 'rejected', edits: 1, latency: 300, cost: 0.03 }),
  ...session('hh-t1', TREATMENT, DAY1 + 10 * HOUR_MS, {
    outcome: 'accepted',
    edits: 0,
    interventions: 1,
    latency: 50,
    cost: 0.02,
    fallback: 'POLICY_TIMEOUT: no plan within 2000 ms',
  }),
  ...session('hh-t2', TREATMENT, DAY1 + 14 * HOUR_MS, { outcome: 'accepted', edits: 3, interventions: 2, latency: 150, cost: 0.04 }),
  ...session('hh-c1', CONTROL, DAY2 + 11 * HOUR_MS, { exposed: false, outcome: 'accepted', edits: 0, latency: 200, cost: 0.02 }),
  ...session('hh-c3', CONTROL, DAY2 + 11 * HOUR_MS, { outcome: 'rejected', edits: 4, latency: 400, cost: 0.05 }),
  ...session('hh-c4', CONTROL, DAY2 + 15 * HOUR_MS, { outcome: null, latency: null, cost: 0.01 }),
  ...session('hh-t3', TREATMENT, DAY2 + 11 * HOUR_MS, { outcome: 'rejected', edits: 1, interventions: 1, latency: 250, cost: 0.06 }),
  ...session('hh-t4', TREATMENT, DAY2 + 15 * HOUR_MS, { outcome: 'rejected', edits: 2, latency: 350, cost: 0.08 }),
  planEvent({ household_id: 'hh-t5', variant_id: TREATMENT, event_type: 'exposure', occurred_at: DAY2 + 15 * HOUR_MS, hash_version: 1 }),
];

function started(experimentId: string): TopicEvents['experiment.started'] {
  return { ...bus().bus.event('experiment.started', experimentStarted(experimentId), experimentId), occurred_at: DAY1 + 9 * HOUR_MS };
}

/** A view's rows as JSON (bigint and double as numbers, dates as YYYY-MM-DD), ordered. */
async function viewRows(view: string, orderBy: string): Promise<Record<string, unknown>[]> {
  const rows = await monitor.query<{ row: Record<string, unknown> }>(`select to_jsonb(v) as row from ${view} v order by ${orderBy}`);
  return rows.map((r) => r.row);
}

/** Equal, numbers within 1e-9 relative (sums of dollar amounts are not exact in binary). */
function assertClose(actual: Record<string, unknown>, expected: Record<string, unknown>, what: string): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${what}: columns`);
  for (const [key, want] of Object.entries(expected)) {
    const got = actual[key];
    if (typeof want === 'number' && typeof got === 'number') {
      assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${what}.${key}: ${got}, expected ${want}`);
    } else {
      assert.deepEqual(got, want, `${what}.${key}`);
    }
  }
}

interface Counts {
  exposures: number;
  plans: number;
  accepted: number;
  rejected: number;
  edits: number;
  interventions: number;
  fallbacks: number;
  cost_usd: number;
  timed_plans: number;
  latency_ms_sum: number;
}

/** The hand-computed sums with the ratios the views derive from them, written out. */
function expectedRow(
  variant: string,
  c: Counts,
  ratios: {
    acceptance_rate: number | null;
    edits_per_finished_plan: number | null;
    interventions_per_plan: number | null;
    cost_per_plan_usd: number | null;
    mean_latency_ms: number | null;
  },
) {
  return {
    experiment_id: EXPERIMENT,
    variant_id: variant,
    role: variant === CONTROL ? 'control' : 'treatment',
    ...c,
    finished_plans: c.accepted + c.rejected,
    ...ratios,
  };
}

// Control, day 1: hh-c1 accepted (2 edits, 100 ms, $0.01), hh-c2 rejected (1 edit, 300 ms, $0.03).
const controlDay1 = expectedRow(
  CONTROL,
  {
    exposures: 2,
    plans: 2,
    accepted: 1,
    rejected: 1,
    edits: 3,
    interventions: 0,
    fallbacks: 0,
    cost_usd: 0.04,
    timed_plans: 2,
    latency_ms_sum: 400,
  },
  { acceptance_rate: 0.5, edits_per_finished_plan: 1.5, interventions_per_plan: 0, cost_per_plan_usd: 0.02, mean_latency_ms: 200 },
);
// Treatment, day 1: hh-t1 accepted (0 edits, 1 intervention, fallback, 50 ms, $0.02), hh-t2 accepted (3 edits, 2 interventions, 150 ms, $0.04).
const treatmentDay1 = expectedRow(
  TREATMENT,
  {
    exposures: 2,
    plans: 2,
    accepted: 2,
    rejected: 0,
    edits: 3,
    interventions: 3,
    fallbacks: 1,
    cost_usd: 0.06,
    timed_plans: 2,
    latency_ms_sum: 200,
  },
  { acceptance_rate: 1, edits_per_finished_plan: 1.5, interventions_per_plan: 1.5, cost_per_plan_usd: 0.03, mean_latency_ms: 100 },
);
// Control, day 2: hh-c1 again (no exposure; accepted, 0 edits, 200 ms, $0.02), hh-c3 rejected (4 edits, 400 ms, $0.05),
// hh-c4 a plan without latency or outcome ($0.01): 3 plans, 2 finished, 2 timed.
const controlDay2 = expectedRow(
  CONTROL,
  {
    exposures: 2,
    plans: 3,
    accepted: 1,
    rejected: 1,
    edits: 4,
    interventions: 0,
    fallbacks: 0,
    cost_usd: 0.08,
    timed_plans: 2,
    latency_ms_sum: 600,
  },
  { acceptance_rate: 0.5, edits_per_finished_plan: 2, interventions_per_plan: 0, cost_per_plan_usd: 0.08 / 3, mean_latency_ms: 300 },
);
// Treatment, day 2: hh-t3 rejected (1 edit, 1 intervention, 250 ms, $0.06), hh-t4 rejected (2 edits, 350 ms, $0.08), hh-t5 exposed only.
const treatmentDay2 = expectedRow(
  TREATMENT,
  {
    exposures: 3,
    plans: 2,
    accepted: 0,
    rejected: 2,
    edits: 3,
    interventions: 1,
    fallbacks: 0,
    cost_usd: 0.14,
    timed_plans: 2,
    latency_ms_sum: 600,
  },
  { acceptance_rate: 0, edits_per_finished_plan: 1.5, interventions_per_plan: 0.5, cost_per_plan_usd: 0.07, mean_latency_ms: 300 },
);

test('variant_totals: the whole experiment per variant, by hand, once every event counted', async () => {
  await bus().bus.publish('experiment.started', started(EXPERIMENT), EXPERIMENT);
  await bus().bus.publishMany('exp.events', stream, (e) => e.household_id);
  // Every event moves exactly one of these: 13 control events and 17 treatment events.
  const totals = await eventually(
    'every event counted',
    async () => {
      const rows = await monitor.query<{ n: string }>(
        'select coalesce(sum(exposures + plans + finished_plans + interventions), 0) as n from monitor.variant_totals',
      );
      return Number(rows[0]?.n) === 30 ? await viewRows('monitor.variant_totals', 'experiment_id, role') : undefined;
    },
    60_000,
  );
  assert.equal(totals.length, 2);
  const days = { first_day: date(DAY1), last_day: date(DAY2) };
  // Control: 4 exposures (hh-c1..c4), 5 plans, 2 of 4 finished accepted, 7 edits, $0.12, 1000 ms over 4 timed plans.
  // Households with a finished plan: hh-c1, hh-c2, hh-c3 (hh-c4 has none yet).
  assertClose(
    totals[0] as Record<string, unknown>,
    {
      ...expectedRow(
        CONTROL,
        {
          exposures: 4,
          plans: 5,
          accepted: 2,
          rejected: 2,
          edits: 7,
          interventions: 0,
          fallbacks: 0,
          cost_usd: 0.12,
          timed_plans: 4,
          latency_ms_sum: 1000,
        },
        { acceptance_rate: 0.5, edits_per_finished_plan: 1.75, interventions_per_plan: 0, cost_per_plan_usd: 0.024, mean_latency_ms: 250 },
      ),
      ...days,
      households: 3,
      exposed_households: 4,
    },
    'control totals',
  );
  // Treatment: 5 exposures, 4 plans, 2 of 4 accepted, 6 edits, 4 interventions, 1 fallback, $0.20, 800 ms over 4 plans.
  assertClose(
    totals[1] as Record<string, unknown>,
    {
      ...expectedRow(
        TREATMENT,
        {
          exposures: 5,
          plans: 4,
          accepted: 2,
          rejected: 2,
          edits: 6,
          interventions: 4,
          fallbacks: 1,
          cost_usd: 0.2,
          timed_plans: 4,
          latency_ms_sum: 800,
        },
        { acceptance_rate: 0.5, edits_per_finished_plan: 1.5, interventions_per_plan: 1, cost_per_plan_usd: 0.05, mean_latency_ms: 200 },
      ),
      ...days,
      households: 4,
      exposed_households: 5,
    },
    'treatment totals',
  );
});

test('variant_daily: one row per variant and UTC day, the hourly buckets of a day summed, by hand', async () => {
  const rows = await viewRows('monitor.variant_daily', 'day, role');
  assert.deepEqual(
    rows.map((r) => `${r.day} ${r.role}`),
    [`${date(DAY1)} control`, `${date(DAY1)} treatment`, `${date(DAY2)} control`, `${date(DAY2)} treatment`],
  );
  const expected = [
    { ...controlDay1, day: date(DAY1) },
    { ...treatmentDay1, day: date(DAY1) },
    { ...controlDay2, day: date(DAY2) },
    { ...treatmentDay2, day: date(DAY2) },
  ];
  rows.forEach((row, i) => {
    assertClose(row, expected[i] as Record<string, unknown>, `variant_daily ${row.day} ${row.role}`);
  });
  // Day 1 came in two hourly buckets per variant.
  const buckets = await monitor.query<{ n: string }>(`select count(*) as n from monitor.variant_buckets where bucket_start < $1`, [
    new Date(DAY2),
  ]);
  assert.equal(Number(buckets[0]?.n), 4);
});

test('latest_checks: the newest check per experiment, its evidence in typed columns', async () => {
  const answer = await monitor.call<{
    check_id: string;
    checked_at: string;
    status: string;
    evidence: {
      status: string;
      reasons: string[];
      treatment_allocation: number;
      srm_p_value: number | null;
      primary: { estimate: number; lower: number; upper: number; p_value: number } | null;
      guardrails: { metric: string; verdict: string }[];
      cuped_variance_reduction: number | null;
      variants: { role: string; acceptance_rate: number; edits_per_plan: number }[];
    };
  }>(`/v1/experiments/${EXPERIMENT}/checks`, { method: 'POST' });
  assert.equal(answer.status, 201);
  const check = answer.body;
  const evidence = check.evidence;
  assert.ok(evidence.primary, `a check past collecting has a primary test (status ${evidence.status})`);
  assert.equal(typeof evidence.srm_p_value, 'number');

  // The quiet experiment, checked twice: the view shows the second check, with nulls where the evidence has none.
  await bus().bus.publish('experiment.started', started(QUIET), QUIET);
  await eventually('the quiet experiment started', async () =>
    (await monitor.query('select 1 from monitor.experiments where experiment_id = $1', [QUIET])).length === 1 ? true : undefined,
  );
  const first = await monitor.call<{ check_id: string }>(`/v1/experiments/${QUIET}/checks`, { method: 'POST' });
  const second = await monitor.call<{ check_id: string; checked_at: string; evidence: { reasons: string[] } }>(
    `/v1/experiments/${QUIET}/checks`,
    { method: 'POST' },
  );
  assert.equal(first.status, 201);
  assert.equal(second.status, 201);
  assert.notEqual(first.body.check_id, second.body.check_id);

  const rows = await monitor.query<Record<string, unknown>>('select * from monitor.latest_checks order by experiment_id');
  assert.deepEqual(rows[0], {
    experiment_id: EXPERIMENT,
    experiment_status: 'running',
    check_id: check.check_id,
    checked_at: new Date(check.checked_at),
    status: check.status,
    treatment_allocation: 0.5,
    srm_p_value: evidence.srm_p_value,
    primary_estimate: evidence.primary.estimate,
    primary_lower: evidence.primary.lower,
    primary_upper: evidence.primary.upper,
    primary_p_value: evidence.primary.p_value,
    cuped_variance_reduction: evidence.cuped_variance_reduction,
    breached_guardrails:
      evidence.guardrails
        .filter((g) => g.verdict === 'breached')
        .map((g) => g.metric)
        .join(', ') || null,
    reasons: evidence.reasons.join('; '),
  });
  assert.deepEqual(rows[1], {
    experiment_id: QUIET,
    experiment_status: 'running',
    check_id: second.body.check_id,
    checked_at: new Date(second.body.checked_at),
    status: 'collecting',
    treatment_allocation: 0.5,
    srm_p_value: null,
    primary_estimate: null,
    primary_lower: null,
    primary_upper: null,
    primary_p_value: null,
    cuped_variance_reduction: null,
    breached_guardrails: null,
    reasons: second.body.evidence.reasons.join('; '),
  });
  assert.match(rows[1]?.reasons as string, /^0 of 3 households in the smaller arm/);

  // What the documentation explains: the views' acceptance is per plan (2 of 4 finished control plans accepted), the
  // check's is the mean over households (hh-c1 1, hh-c2 0, hh-c3 0 → 1/3); edits likewise (7/4 per plan; 1, 1, 4 → 2).
  const control = evidence.variants.find((v) => v.role === 'control');
  assert.ok(Math.abs((control?.acceptance_rate as number) - 1 / 3) < 1e-12);
  assert.ok(Math.abs((control?.edits_per_plan as number) - 2) < 1e-12);
});

const VIEWS = ['variant_daily', 'variant_totals', 'latest_checks'];

test('the views are plain views, documented inside PostgreSQL: the view and every column', async () => {
  const views = await monitor.query<{ view: string; comment: string | null; kind: string }>(
    `select c.relname as view, c.relkind as kind, obj_description(c.oid, 'pg_class') as comment
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'monitor' and c.relname = any($1) order by c.relname`,
    [VIEWS],
  );
  assert.deepEqual(
    views.map((v) => [v.view, v.kind]),
    [...VIEWS].sort().map((v) => [v, 'v']),
  );
  for (const v of views) assert.ok((v.comment ?? '').length > 40, `${v.view} has a comment`);
  assert.match(views.find((v) => v.view === 'variant_daily')?.comment as string, /household-level means/);
  const undocumented = await monitor.query<{ view: string; column: string }>(
    `select c.relname as view, a.attname as column
     from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_attribute a on a.attrelid = c.oid
     where n.nspname = 'monitor' and c.relname = any($1) and a.attnum > 0 and not a.attisdropped
       and col_description(c.oid, a.attnum) is null`,
    [VIEWS],
  );
  assert.deepEqual(undocumented, []);
});

// The analysts' page: its SQL blocks, by section.
const doc = readFileSync(new URL('../../../docs/analytics/experiment-monitor.md', import.meta.url), 'utf8');
function sqlBlocks(section: string): string[] {
  const start = doc.indexOf(`\n## ${section}`);
  assert.ok(start >= 0, `docs/analytics/experiment-monitor.md has a section ${section}`);
  const end = doc.indexOf('\n## ', start + 1);
  const text = doc.slice(start, end < 0 ? undefined : end);
  return [...text.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

test('every example query of docs/analytics/experiment-monitor.md runs as written and finds rows', async () => {
  const queries = sqlBlocks('Example queries');
  assert.ok(queries.length >= 4 && queries.length <= 6, `${queries.length} example queries`);
  for (const query of queries) {
    const rows = await monitor.query(query);
    assert.ok(rows.length > 0, `no rows from:\n${query}`);
  }
});

test("the documentation's read-only role reads the views and tables of schema monitor and changes nothing", async () => {
  const setup = sqlBlocks('Connecting Metabase')[0] ?? '';
  assert.ok(setup.includes('grant'), 'the section has the GRANT statements');
  // The same statements, for a role of this run's own and this run's database (roles are shared by every database).
  const role = `monitor_reader_${randomBytes(4).toString('hex')}`;
  const url = new URL(monitor.env().DATABASE_URL as string);
  const database = url.pathname.slice(1);
  const statements = setup
    .replaceAll(/\bmonitor_reader\b/g, role)
    .replaceAll(/\bon database planner\b/g, `on database ${database}`)
    .replaceAll(/\bfor role postgres\b/g, `for role ${decodeURIComponent(url.username)}`);
  try {
    await monitor.query(statements);
    const password = /password '([^']+)'/.exec(setup)?.[1] as string;
    // One connection, so the session setting below holds for the statements after it.
    const reader = createDatabase(`postgres://${role}:${password}@${url.host}/${database}`, { maxConnections: 1 });
    const run = (text: string) => sql.raw(text).execute(reader);
    try {
      for (const view of VIEWS) {
        const { rows } = await run(`select * from monitor.${view}`);
        assert.ok(rows.length > 0, view);
      }
      await run('select count(*) from monitor.checks');
      await assert.rejects(run(`delete from monitor.checks where experiment_id = '${QUIET}'`), /read-only transaction/);
      // Even with read-only turned off for the session, it has no right to write.
      await run('set default_transaction_read_only = off');
      await assert.rejects(run(`delete from monitor.checks where experiment_id = '${QUIET}'`), /permission denied/);
      // The services' other schemas stay closed.
      await assert.rejects(run('select count(*) from exp.outbox'), /permission denied/);
    } finally {
      await reader.destroy();
    }
    assert.equal((await monitor.query('select 1 from monitor.checks where experiment_id = $1', [QUIET])).length, 2);
  } finally {
    await monitor.query(`drop owned by ${role}`).catch(() => undefined);
    await monitor.query(`drop role if exists ${role}`);
  }
});
