/**
 * Issue 11 end to end on the real stack: live traffic (`./lifecycle traffic`)
 * through Kafka into the experiment-monitor. An A/A experiment stays healthy;
 * a treatment the users like less breaches a guardrail or is worse; a
 * treatment that loses 5% of its households' events is caught by the
 * sample-ratio check; and a fresh monitor replaying exp.events from the
 * beginning computes the same statistics. Experiments are 50/50 and start
 * from an active policy document (`--active-policy`), with experiment.started
 * published as the gate publishes it: the monitor is the subject here, not the gate.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ActivePolicy, controlBuckets, treatmentBuckets } from '@planner/assignment';
import { createDatabase, migrate } from '@planner/db';
import { replayGroup } from '@planner/topic-cli';
import pg from 'pg';
import { eventually } from '../../scripts/local-lifecycle/eventually.ts';
import { isolatedLifecycle } from '../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { clientBus, groupCaughtUp, type RunningService, startService } from '../../scripts/local-lifecycle/lifecycle-services.ts';
import { runTraffic } from '../../scripts/local-lifecycle/traffic-process.ts';
import { datasetBuilderMigrations } from '../../services/dataset-builder/src/tables.ts';
import { GROUPS } from '../../services/experiment-monitor/src/service.ts';
import { useStack } from '../support/stack.ts';

const stack = useStack('postgres', 'kafka');
process.env.LOG_LEVEL ??= 'warn';
const folder = mkdtempSync(join(tmpdir(), 'pl-monitor-'));
const MONITOR_ENV = {
  MONITOR_MIN_UNITS_PER_ARM: '200',
  MONITOR_MIN_DURATION_SECONDS: '0',
  MONITOR_CHECK_INTERVAL_SECONDS: '3600',
  MONITOR_CHECK_EVERY_EVENTS: '100000000',
};
let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let client: ReturnType<typeof clientBus>;
let monitor: RunningService | undefined;
let db: pg.Pool;

before(async () => {
  life = await isolatedLifecycle(stack, 'e2e_monitor');
  // The product tables the traffic reads and writes; the dataset-builder's migrations define them.
  const product = createDatabase(life.databaseUrl);
  await migrate(product, 'dataset-builder', datasetBuilderMigrations);
  await product.destroy();
  client = clientBus(life.env, 'e2e-gate');
  db = new pg.Pool({ connectionString: life.databaseUrl, max: 2 });
  monitor = await startService('experiment-monitor', { ...life.env, ...MONITOR_ENV });
});

after(async () => {
  await monitor?.stop();
  await client?.transport.close();
  await db?.end();
  await life?.cleanup();
  rmSync(folder, { recursive: true, force: true });
});

const production = { policy_version_id: 'heuristic-baseline-v1', model_uri: null, runtime: { kind: 'heuristic' } };

/** A 50/50 experiment whose treatment is served by the heuristic too: an A/A unless the traffic injects a fault. */
async function startExperiment(experimentId: string): Promise<string> {
  const treatment = { policy_version_id: `planner:${experimentId}:v1`, model_uri: null, runtime: { kind: 'heuristic' } };
  const policy: ActivePolicy = {
    policy_id: 'planner',
    production,
    experiment: {
      experiment_id: experimentId,
      salt: experimentId,
      hash_version: 1,
      variants: [
        { variant_id: `${experimentId}-control`, role: 'control', buckets: controlBuckets(0.5), ...production },
        { variant_id: `${experimentId}-treatment`, role: 'treatment', buckets: treatmentBuckets(0.5), ...treatment },
      ],
    },
  };
  const file = join(folder, `${experimentId}.json`);
  writeFileSync(file, JSON.stringify(policy));
  const started = client.bus.event(
    'experiment.started',
    {
      experiment_id: experimentId,
      control_variant_id: `${experimentId}-control`,
      treatment_variant_id: `${experimentId}-treatment`,
      treatment_allocation: 0.5,
      policy_version_id: treatment.policy_version_id,
      baseline_policy_version_id: production.policy_version_id,
    },
    experimentId,
  );
  await client.bus.publish('experiment.started', { ...started, occurred_at: Date.now() - 1000 });
  return file;
}

const traffic = (args: string[]) => runTraffic(args, { ...life.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });

/** Waits until the monitor has read every exp.events message published so far. */
async function caughtUp(): Promise<void> {
  await eventually(
    'the monitor to read exp.events to the end',
    async () => {
      return (await groupCaughtUp(client.transport, GROUPS.events, 'exp.events')) ? true : undefined;
    },
    240_000,
  );
}

interface Check {
  status: string;
  reasons: string[];
  srm_p_value: number;
  primary: { estimate: number; lower: number; upper: number };
  guardrails: { metric: string; verdict: string }[];
  variants: { role: string; units: number; exposures: number; acceptance_rate: number; edits_per_plan: number }[];
}

async function check(experimentId: string): Promise<Check> {
  const response = await fetch(`${monitor?.address}/v1/experiments/${experimentId}/checks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${life.token}` },
  });
  assert.equal(response.status, 201);
  return ((await response.json()) as { evidence: Check }).evidence;
}

/** What the monitor holds about an experiment, independent of when it was read: units and buckets. */
async function statistics(pool: pg.Pool, experimentId: string) {
  const units = await pool.query(
    `select variant_id, count(*)::int as n, sum(plans)::int as plans, sum(outcomes)::int as outcomes, sum(accepted)::int as accepted,
            sum(edits)::int as edits, sum(interventions)::int as interventions, sum(pre_outcomes)::int as pre, count(exposed_at)::int as exposed
     from monitor.units where experiment_id = $1 group by 1 order by 1`,
    [experimentId],
  );
  const buckets = await pool.query(
    `select variant_id, bucket_start, exposures::int, plans::int, accepted::int, rejected::int, edits::int, edits_sq::int, interventions::int, fallbacks::int,
            latency_counts::text as latency
     from monitor.variant_buckets where experiment_id = $1 order by 1, 2`,
    [experimentId],
  );
  return { units: units.rows, buckets: buckets.rows };
}

describe('experiment-monitor on live traffic', () => {
  test('an A/A experiment stays healthy: no sample-ratio mismatch, no guardrail breached, no difference', async () => {
    const file = await startExperiment('experiment-e2e-aa');
    await traffic(['--active-policy', file, '--households', '3000', '--weeks', '1', '--rps', '0', '--seed', '11']);
    await caughtUp();
    const result = await check('experiment-e2e-aa');
    assert.ok(['healthy', 'inconclusive'].includes(result.status), `${result.status}: ${result.reasons.join('; ')}`);
    assert.ok(result.srm_p_value > 0.001);
    assert.ok(result.primary.lower <= 0 && result.primary.upper >= 0);
    const [control, treatment] = result.variants;
    assert.equal((control?.units ?? 0) + (treatment?.units ?? 0), 3000);
  });

  test('a treatment the users like less breaches a guardrail or is worse', async () => {
    const file = await startExperiment('experiment-e2e-worse');
    await traffic([
      '--active-policy',
      file,
      '--households',
      '3000',
      '--weeks',
      '1',
      '--rps',
      '0',
      '--seed',
      '11',
      '--degrade-treatment',
      '0.5',
    ]);
    await caughtUp();
    const result = await check('experiment-e2e-worse');
    assert.ok(['guardrail_breached', 'treatment_worse'].includes(result.status), `${result.status}: ${result.reasons.join('; ')}`);
    const [control, treatment] = result.variants;
    assert.ok((treatment?.edits_per_plan ?? 0) > (control?.edits_per_plan ?? 0));
  });

  test('a fresh monitor replaying exp.events from the beginning computes the same statistics', async () => {
    const experiments = ['experiment-e2e-aa', 'experiment-e2e-worse'];
    const first = await Promise.all(experiments.map((id) => statistics(db, id)));
    await monitor?.stop();
    monitor = undefined;
    // A new database for the fresh monitor; its consumer groups moved back to the beginning of every topic.
    const fresh = new URL(life.databaseUrl);
    fresh.pathname = `/${life.id}_replay`;
    const admin = new pg.Client({ connectionString: life.databaseUrl });
    await admin.connect();
    await admin.query(`create database ${life.id}_replay`);
    await admin.end();
    for (const [group, topic] of [
      [GROUPS.events, 'exp.events'],
      [GROUPS.started, 'experiment.started'],
      [GROUPS.ramped, 'experiment.ramped'],
      [GROUPS.rolledBack, 'experiment.rolled_back'],
    ] as const) {
      await replayGroup(client.transport, { group, topic, timestamp: 0 });
    }
    const replayed = new pg.Pool({ connectionString: fresh.href, max: 2 });
    try {
      const freshMonitor = await startService('experiment-monitor', { ...life.env, ...MONITOR_ENV, DATABASE_URL: fresh.href });
      try {
        await caughtUp();
        for (const [i, id] of experiments.entries()) assert.deepEqual(await statistics(replayed, id), first[i], id);
      } finally {
        await freshMonitor.stop();
      }
      // The original monitor takes over again; it shares the consumer groups, so it goes on where the fresh one stopped.
      monitor = await startService('experiment-monitor', { ...life.env, ...MONITOR_ENV });
    } finally {
      await replayed.end();
      const cleanup = new pg.Client({ connectionString: life.databaseUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${life.id}_replay with (force)`);
      await cleanup.end();
    }
  });

  test("a treatment that loses 5% of its households' events is caught by the sample-ratio check", async () => {
    const file = await startExperiment('experiment-e2e-srm');
    const out = await traffic([
      '--active-policy',
      file,
      '--households',
      '24000',
      '--weeks',
      '1',
      '--rps',
      '0',
      '--seed',
      '11',
      '--drop-treatment-events',
      '0.05',
    ]);
    assert.match(out, /treatment events dropped/);
    await caughtUp();
    const result = await check('experiment-e2e-srm');
    assert.equal(result.status, 'srm', result.reasons.join('; '));
    assert.ok(result.srm_p_value < 0.001);
    const [control, treatment] = result.variants;
    assert.ok((treatment?.exposures ?? 0) < (control?.exposures ?? 0));
  });
});
