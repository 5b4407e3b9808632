/**
 * Automatic rollback latency (issue 12): from a guardrail breach to the
 * treatment's allocation reaching 0, against the monitor's check interval.
 *
 *   ./lifecycle bench rollback [--breaches 20] [--every-events 20]
 *
 * One environment on the local stack, promotion-gate and experiment-monitor
 * running in this process (MONITOR_CHECK_INTERVAL_SECONDS=1, its minimum: the
 * floor). For each breach, one after the other on the policy 'planner':
 * - experiment i goes into the gate's tables by SQL (a candidate version, its
 *   passed gate decision, the experiment running at 10% against the active
 *   heuristic-baseline-v1) and experiment.started is published as the gate
 *   would;
 * - healthy traffic: 180 control households, then (once the monitor counted
 *   them, so no check sees the arms out of ratio) 20 treatment households, each
 *   exposure, plan_generated, plan_accepted with 1–2 edits (every 10th
 *   rejected, in both arms); the bench waits for a `healthy` check that counts
 *   all of them;
 * - then, at a stratified offset into the check interval (breach i at
 *   (i + ½)/n of it after that check was seen, so the breaches sample the
 *   loop's phase evenly), the breach: each treatment household plans again and
 *   accepts after 8 edits (40 events, no new exposures, so the sample ratio
 *   holds). t0 is taken just before they are published;
 * - t1 is when the gate's exp.variants row of the treatment reads allocation 0,
 *   polled every 20 ms on its own connection.
 * Reported: t1 − t0 per breach (p50, p90 by nearest rank, max, mean), each as a
 * multiple of the check interval, split at the failing check (monitor.checks
 * checked_at) into breach → check and check → allocation 0; the status that
 * rolled back is read from exp.online_decisions.
 *
 * Row 1 checks on the interval only (MONITOR_CHECK_EVERY_EVENTS huge). Row 2
 * (--every-events N, 0 leaves it out) restarts the monitor with a check after
 * every N events too, on the same environment.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { assertStackReachable, loadStackConfig } from '@planner/local-stack';
import type { PlanEvent } from '@planner/schemas';
import pg from 'pg';
import { isolatedLifecycle } from '../scripts/local-lifecycle/isolated-lifecycle.ts';
import { clientBus, type RunningService, startService } from '../scripts/local-lifecycle/lifecycle-services.ts';

const { values } = parseArgs({
  options: {
    breaches: { type: 'string', default: '20' },
    'every-events': { type: 'string', default: '20' },
  },
});
const BREACHES = Number(values.breaches);
const EVERY_EVENTS = Number(values['every-events']);
if (!Number.isInteger(BREACHES) || BREACHES < 1) {
  console.error('bench rollback: --breaches must be a positive integer');
  process.exit(2);
}
if (!Number.isInteger(EVERY_EVENTS) || EVERY_EVENTS < 0) {
  console.error('bench rollback: --every-events must be an integer ≥ 0');
  process.exit(2);
}

const INTERVAL_SECONDS = 1;
const INTERVAL_MS = INTERVAL_SECONDS * 1000;
const ALLOCATION = 0.1;
const TREATMENT_HOUSEHOLDS = 20;
const CONTROL_HOUSEHOLDS = 180;
const BREACH_EDITS = 8;
const BASELINE = 'heuristic-baseline-v1';
const POLL_MS = 20;
const WAIT_LIMIT_MS = 30_000;

const MONITOR_ENV = {
  MONITOR_MIN_UNITS_PER_ARM: String(TREATMENT_HOUSEHOLDS),
  MONITOR_MIN_DURATION_SECONDS: '0',
  MONITOR_CHECK_INTERVAL_SECONDS: String(INTERVAL_SECONDS),
};
const GATE_ENV = { GATE_RAMP_MIN_DWELL_SECONDS: String(30 * 86_400) };

const now = () => performance.timeOrigin + performance.now();
const edit = { day: 0, slot: 'dinner' as const, from_recipe_id: 'r-0001', to_recipe_id: 'r-0002' };
const weeklyPlan = { days: [{ day: 0, meals: [{ slot: 'dinner' as const, recipe_id: 'r-0001' }] }] };

interface Experiment {
  id: string;
  version: string;
  control: string;
  treatment: string;
}

/** One plan of a household, as upstream traffic writes it: an exposure first when asked, plan_generated, then its outcome. */
function session(
  experiment: Experiment,
  household: string,
  role: 'control' | 'treatment',
  o: { plan: number; exposure: boolean; accepted: boolean; edits: number; latency: number },
): PlanEvent[] {
  const at = Date.now();
  const planId = `plan-${household}-${o.plan}`;
  const event = (fields: Partial<PlanEvent> & Pick<PlanEvent, 'event_type'>): PlanEvent => ({
    event_id: randomUUID(),
    occurred_at: at,
    correlation_id: planId,
    producer: 'bench-rollback',
    schema_version: 2,
    household_id: household,
    plan_id: planId,
    workflow_type: 'plan_first',
    mode: null,
    experiment_id: experiment.id,
    variant_id: role === 'control' ? experiment.control : experiment.treatment,
    policy_version_id: role === 'control' ? BASELINE : experiment.version,
    plan: null,
    edits: [],
    latency_ms: null,
    cost_usd: null,
    hash_version: null,
    fallback_reason: null,
    ...fields,
  });
  return [
    ...(o.exposure ? [event({ event_type: 'exposure', hash_version: 1 })] : []),
    event({ event_type: 'plan_generated', plan: weeklyPlan, latency_ms: o.latency, cost_usd: 0.0004 }),
    event({
      event_type: o.accepted ? 'plan_accepted' : 'plan_rejected',
      plan: o.accepted ? weeklyPlan : null,
      edits: Array.from({ length: o.edits }, () => edit),
    }),
  ];
}

/** The healthy first plan of household k of an arm: both arms drawn alike. */
const healthy = (experiment: Experiment, role: 'control' | 'treatment', k: number) =>
  session(experiment, `${experiment.id}-${role}-${k}`, role, {
    plan: 1,
    exposure: true,
    accepted: k % 10 !== 9,
    edits: 1 + (k % 2),
    latency: 80 + 10 * (k % 5),
  });

async function until<T>(what: string, probe: () => Promise<T | undefined>, everyMs = POLL_MS): Promise<T> {
  const deadline = now() + WAIT_LIMIT_MS;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (now() > deadline) throw new Error(`bench rollback: no ${what} within ${WAIT_LIMIT_MS / 1000} s`);
    await sleep(everyMs);
  }
}

interface Sample {
  totalMs: number;
  toCheckMs: number;
  checkToZeroMs: number;
  status: string;
  /** Checks of the experiment stored after t0 and before the failing one (they saw part of the breach, or none). */
  passedChecks: number;
}

const config = loadStackConfig();
await assertStackReachable(config, ['postgres', 'kafka']);
process.env.LOG_LEVEL ??= 'warn';
const life = await isolatedLifecycle(config, 'bench_rollback');
const { transport, bus } = clientBus(life.env, 'bench-rollback');
const pool = new pg.Pool({ connectionString: life.databaseUrl, max: 4 });
let gate: RunningService | undefined;
let monitor: RunningService | undefined;
let versions = 0;

/** Experiment `id` as the gate's tables hold a running one, and its experiment.started. */
async function createExperiment(id: string): Promise<Experiment> {
  const n = ++versions;
  const experiment = { id, version: `planner:bench_rollback:v${n}`, control: `${id}-control`, treatment: `${id}-treatment` };
  const db = await pool.connect();
  try {
    await db.query('begin');
    await db.query(
      `insert into exp.policy_versions (policy_version_id, policy_id, version, config_defaults, model_uri, status)
       values ($1, 'planner', $2, '{}', $3, 'candidate')`,
      [experiment.version, n, `models:/bench_rollback/${n}`],
    );
    await db.query(
      `insert into exp.gate_decisions (decision_id, replay_id, policy_version_id, outcome, rules, config, config_version)
       values ($1, $2, $3, 'passed', '[]', '{}', 'bench')`,
      [`decision-${id}`, `replay-${id}`, experiment.version],
    );
    await db.query(`insert into exp.experiments (experiment_id, policy_id, status, decision_id) values ($1, 'planner', 'running', $2)`, [
      id,
      `decision-${id}`,
    ]);
    await db.query(
      `insert into exp.variants (variant_id, experiment_id, policy_version_id, role, allocation)
       values ($1, $3, $4, 'control', $6), ($2, $3, $5, 'treatment', $7)`,
      [experiment.control, experiment.treatment, id, BASELINE, experiment.version, 1 - ALLOCATION, ALLOCATION],
    );
    await db.query('commit');
  } catch (error) {
    await db.query('rollback');
    throw error;
  } finally {
    db.release();
  }
  await bus.publish(
    'experiment.started',
    bus.event(
      'experiment.started',
      {
        experiment_id: id,
        control_variant_id: experiment.control,
        treatment_variant_id: experiment.treatment,
        treatment_allocation: ALLOCATION,
        policy_version_id: experiment.version,
        baseline_policy_version_id: BASELINE,
      },
      id,
    ),
    id,
  );
  return experiment;
}

/** Fails the run when the experiment was rolled back before its breach (the healthy traffic must not trip a check). */
async function assertStillRunning(experiment: Experiment): Promise<void> {
  const { rows } = await pool.query<{ status: string; reason: string | null }>(
    `select e.status, d.reason from exp.experiments e
     left join exp.online_decisions d on d.experiment_id = e.experiment_id and d.kind = 'rollback'
     where e.experiment_id = $1`,
    [experiment.id],
  );
  if (rows[0]?.status !== 'running') throw new Error(`bench rollback: ${experiment.id} stopped before its breach: ${rows[0]?.reason}`);
}

async function oneBreach(row: number, i: number): Promise<Sample> {
  const experiment = await createExperiment(`bench-rollback-${row}-${String(i).padStart(2, '0')}`);
  // Its traffic after the monitor read the start: events of an experiment it has not heard of wait in place.
  await until('the monitor reading experiment.started', async () => {
    const { rows } = await pool.query('select 1 from monitor.experiments where experiment_id = $1', [experiment.id]);
    return rows.length === 1 ? true : undefined;
  });
  const control = Array.from({ length: CONTROL_HOUSEHOLDS }, (_, k) => healthy(experiment, 'control', k)).flat();
  await bus.publishMany('exp.events', control, (e) => e.household_id);
  await until('control households counted', async () => {
    const { rows } = await pool.query<{ n: string }>(
      'select count(*) filter (where outcomes > 0) as n from monitor.units where experiment_id = $1 and variant_id = $2',
      [experiment.id, experiment.control],
    );
    return Number(rows[0]?.n) === CONTROL_HOUSEHOLDS ? true : undefined;
  });
  const treatment = Array.from({ length: TREATMENT_HOUSEHOLDS }, (_, k) => healthy(experiment, 'treatment', k)).flat();
  await bus.publishMany('exp.events', treatment, (e) => e.household_id);
  await until('healthy check of every household', async () => {
    await assertStillRunning(experiment);
    const { rows } = await pool.query<{ status: string; evidence: { variants: { role: string; units: number }[] } }>(
      'select status, evidence from monitor.checks where experiment_id = $1 order by checked_at desc limit 1',
      [experiment.id],
    );
    const last = rows[0];
    if (last?.status !== 'healthy') return undefined;
    const units = (role: string) => last.evidence.variants.find((v) => v.role === role)?.units;
    return units('control') === CONTROL_HOUSEHOLDS && units('treatment') === TREATMENT_HOUSEHOLDS ? true : undefined;
  });

  await sleep(((i + 0.5) / BREACHES) * INTERVAL_MS);
  const breach = Array.from({ length: TREATMENT_HOUSEHOLDS }, (_, k) =>
    session(experiment, `${experiment.id}-treatment-${k}`, 'treatment', {
      plan: 2,
      exposure: false,
      accepted: true,
      edits: BREACH_EDITS,
      latency: 80 + 10 * (k % 5),
    }),
  ).flat();
  const t0 = now();
  await bus.publishMany('exp.events', breach, (e) => e.household_id);
  const t1 = await until('allocation 0', async () => {
    const { rows } = await pool.query<{ allocation: number }>('select allocation from exp.variants where variant_id = $1', [
      experiment.treatment,
    ]);
    return rows[0]?.allocation === 0 ? now() : undefined;
  });
  const { rows } = await pool.query<{ check_status: string; checked_at: Date }>(
    `select d.check_status, c.checked_at from exp.online_decisions d join monitor.checks c on c.check_id = d.check_id
     where d.experiment_id = $1 and d.kind = 'rollback'`,
    [experiment.id],
  );
  const decision = rows[0];
  if (!decision) throw new Error(`bench rollback: ${experiment.id} is at 0 without a rollback decision on a check`);
  const checkedAt = decision.checked_at.getTime();
  const passed = await pool.query<{ n: string }>(
    'select count(*) as n from monitor.checks where experiment_id = $1 and checked_at > $2 and checked_at < $3',
    [experiment.id, new Date(t0), decision.checked_at],
  );
  return {
    totalMs: t1 - t0,
    toCheckMs: checkedAt - t0,
    checkToZeroMs: t1 - checkedAt,
    status: decision.check_status,
    passedChecks: Number(passed.rows[0]?.n),
  };
}

/** Nearest-rank percentile. */
const percentile = (sorted: readonly number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;

interface Figures {
  p50: number;
  p90: number;
  max: number;
  mean: number;
}
function figures(xs: readonly number[]): Figures {
  const sorted = [...xs].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    max: sorted.at(-1) as number,
    mean: xs.reduce((a, b) => a + b, 0) / xs.length,
  };
}

const rows: { name: string; samples: Sample[]; seconds: number }[] = [];
const started = now();
try {
  gate = await startService('promotion-gate', { ...life.env, ...GATE_ENV });
  const configurations = [
    { name: `interval ${INTERVAL_SECONDS} s only`, everyEvents: 100_000_000 },
    ...(EVERY_EVENTS > 0 ? [{ name: `interval ${INTERVAL_SECONDS} s + every ${EVERY_EVENTS} events`, everyEvents: EVERY_EVENTS }] : []),
  ];
  for (const [row, configuration] of configurations.entries()) {
    monitor = await startService('experiment-monitor', {
      ...life.env,
      ...MONITOR_ENV,
      MONITOR_CHECK_EVERY_EVENTS: String(configuration.everyEvents),
    });
    const rowStarted = now();
    const samples: Sample[] = [];
    for (let i = 0; i < BREACHES; i++) samples.push(await oneBreach(row + 1, i));
    rows.push({ name: configuration.name, samples, seconds: (now() - rowStarted) / 1000 });
    await monitor.stop();
    monitor = undefined;
  }
} finally {
  await monitor?.stop();
  await gate?.stop();
  await pool.end();
  await transport.close();
  await life.cleanup();
}

const ms = (x: number) => x.toFixed(0).padStart(6);
const ratio = (x: number) => `${(x / INTERVAL_MS).toFixed(2)}×`.padStart(6);
console.log(
  `bench rollback: ${BREACHES} breaches per row; breach = ${TREATMENT_HOUSEHOLDS} treatment households each accepting a second plan after ${BREACH_EDITS} edits (${TREATMENT_HOUSEHOLDS * 2} events)`,
);
console.log(
  `experiment at ${ALLOCATION * 100}% treatment, ${CONTROL_HOUSEHOLDS} control + ${TREATMENT_HOUSEHOLDS} treatment healthy households; floor = MONITOR_CHECK_INTERVAL_SECONDS ${INTERVAL_SECONDS} s (its minimum)`,
);
console.log('t0 just before publishing the breach; t1 when exp.variants shows the treatment at 0 (polled every 20 ms)');
for (const row of rows) {
  const total = figures(row.samples.map((s) => s.totalMs));
  const toCheck = figures(row.samples.map((s) => s.toCheckMs));
  const checkToZero = figures(row.samples.map((s) => s.checkToZeroMs));
  const statuses = new Map<string, number>();
  for (const s of row.samples) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1);
  console.log(`\n${row.name} (${row.seconds.toFixed(1)} s for the row)`);
  console.log('                               p50 ms   ×int  p90 ms   ×int  max ms   ×int mean ms   ×int');
  for (const [name, f] of [
    ['breach → allocation 0', total],
    ['  breach → failing check', toCheck],
    ['  failing check → allocation 0', checkToZero],
  ] as const) {
    console.log(
      `${name.padEnd(30)} ${ms(f.p50)} ${ratio(f.p50)}  ${ms(f.p90)} ${ratio(f.p90)}  ${ms(f.max)} ${ratio(f.max)}  ${ms(f.mean)} ${ratio(f.mean)}`,
    );
  }
  console.log(`  rolled back on: ${[...statuses].map(([s, n]) => `${s} ×${n}`).join(', ')}`);
  console.log(`  per breach (ms): ${row.samples.map((s) => s.totalMs.toFixed(0)).join(' ')}`);
  console.log(`  checks after the breach before the failing one: ${row.samples.map((s) => s.passedChecks).join(' ')}`);
}
console.log(`\n${((now() - started) / 1000).toFixed(1)} s`);
