/**
 * Issue 12 end to end on the real stack: the gate's online decisions on live
 * traffic. An experiment ramps on the monitor's checks; a logging fault
 * injected mid-ramp (half the treatment's households lose their events) is a
 * sample-ratio mismatch, and the first check that sees it rolls the treatment
 * back to 0 with the reason, by itself. And a promotion-gate killed with
 * SIGKILL right after a check arrives makes exactly one ramp decision for it
 * once restarted: the decision, the allocation, its inbox row and
 * experiment.ramped commit together or not at all.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createDatabase, migrate } from '@planner/db';
import type { ExperimentChecked } from '@planner/schemas';
import pg from 'pg';
import { eventually } from '../../scripts/local-lifecycle/eventually.ts';
import { isolatedLifecycle } from '../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { clientBus, type RunningService, readTopic, startService } from '../../scripts/local-lifecycle/lifecycle-services.ts';
import { startTraffic } from '../../scripts/local-lifecycle/traffic-process.ts';
import { datasetBuilderMigrations } from '../../services/dataset-builder/src/tables.ts';
import { type ServiceProcess, startServiceProcess } from '../support/service-process.ts';
import { useStack } from '../support/stack.ts';

const stack = useStack('postgres', 'kafka');
process.env.LOG_LEVEL ??= 'warn';
const logs = mkdtempSync(join(tmpdir(), 'pl-online-'));
const ONLINE_ENV = {
  MONITOR_MIN_DURATION_SECONDS: '0',
  MONITOR_MIN_UNITS_PER_ARM: '60',
  MONITOR_CHECK_INTERVAL_SECONDS: '1',
  MONITOR_SRM_GRACE_SECONDS: '2',
  GATE_RAMP_MIN_DWELL_SECONDS: '15',
  GATE_RAMP_MIN_UNITS_PER_ARM: '60',
};

describe('online decisions on live traffic', () => {
  let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
  let client: ReturnType<typeof clientBus>;
  let db: pg.Pool;
  const services: RunningService[] = [];
  let gate: RunningService;

  before(async () => {
    life = await isolatedLifecycle(stack, 'e2e_online');
    const product = createDatabase(life.databaseUrl);
    await migrate(product, 'dataset-builder', datasetBuilderMigrations);
    await product.destroy();
    client = clientBus(life.env, 'e2e-online');
    db = new pg.Pool({ connectionString: life.databaseUrl, max: 2 });
    gate = await startService('promotion-gate', { ...life.env, ...ONLINE_ENV });
    services.push(gate, await startService('experiment-monitor', { ...life.env, ...ONLINE_ENV }));
  });

  after(async () => {
    for (const service of services) await service.stop();
    await client?.transport.close();
    await db?.end();
    await life?.cleanup();
    rmSync(logs, { recursive: true, force: true });
  });

  test('a logging fault injected mid-ramp is a sample-ratio mismatch: rolled back to 0 by the first check that sees it', async () => {
    const experimentId = await openExperiment(db, 'experiment-e2e-midramp');
    await client.bus.publish('experiment.started', startedEvent(client, experimentId));
    // Another seed for the faulty run: another order of households, so most of them are new to the experiment.
    const traffic = (seed: string, extra: string[]) =>
      startTraffic(
        ['--gate', gate.address, '--households', '60000', '--weeks', '1', '--rps', '250', '--seed', seed, '--refresh-ms', '200', ...extra],
        { ...life.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
      );
    const allocation = async () =>
      Number(
        (await db.query(`select allocation from exp.variants where variant_id = $1`, [`${experimentId}-treatment`])).rows[0]?.allocation,
      );

    const healthy = traffic('5', []);
    try {
      await eventually('the ramp to 25%', async () => ((await allocation()) >= 0.25 ? true : undefined), 180_000);
    } finally {
      healthy.stop();
      await healthy.done;
    }
    // Half of the treatment's new households now lose every event, exposures included: at 25%, well within the dwell
    // time, before the next step (at 100% there is no control left to compare exposures with).
    const faulty = traffic('6', ['--drop-treatment-events', '0.5']);
    try {
      await eventually('the rollback', async () => ((await allocation()) === 0 ? true : undefined), 180_000);
    } finally {
      faulty.stop();
      await faulty.done;
    }
    const decisions = (
      await db.query(
        `select kind, check_status, from_allocation, to_allocation, reason from exp.online_decisions where experiment_id = $1 order by created_at`,
        [experimentId],
      )
    ).rows as { kind: string; check_status: string; from_allocation: number; to_allocation: number; reason: string }[];
    assert.deepEqual(
      decisions
        .filter((d) => d.kind === 'ramp')
        .map((d) => d.to_allocation)
        .slice(0, 2),
      [0.1, 0.25],
    );
    const rollback = decisions.at(-1);
    assert.equal(rollback?.kind, 'rollback');
    assert.equal(rollback?.check_status, 'srm', rollback?.reason);
    assert.equal(rollback?.to_allocation, 0);
    assert.match(rollback?.reason ?? '', /^srm: exposures do not follow the allocation/);
    assert.equal(
      (await db.query(`select status from exp.experiments where experiment_id = $1`, [experimentId])).rows[0]?.status,
      'stopped',
    );
    const [rolledBack] = await eventually('experiment.rolled_back', async () => {
      const found = (await readTopic(client.transport, 'experiment.rolled_back')).filter((m) => m.event.experiment_id === experimentId);
      return found.length > 0 ? found : undefined;
    });
    assert.match(rolledBack?.event.reasons[0] ?? '', /^srm: /);
    // No check that saw the fault let it pass: every check after the last ramp, up to the one that rolled back, said srm or
    // had not yet seen the new households (healthy at most once in between is the check already running when they arrived).
    const after = (
      await db.query(
        `select c.status from monitor.checks c where c.experiment_id = $1 and c.checked_at > (
           select max(created_at) from exp.online_decisions where experiment_id = $1 and kind = 'ramp') order by c.checked_at`,
        [experimentId],
      )
    ).rows.map((r) => r.status as string);
    assert.ok(after.includes('srm'), after.join(', '));
  });

  test('SIGKILL of promotion-gate right after a check arrives: exactly one ramp decision for it after the restart', async () => {
    // The in-process gate steps aside; a gate process of its own takes its consumer groups.
    const index = services.indexOf(gate);
    await gate.stop();
    services.splice(index, 1);
    for (const [round, delayMs] of [0, 200].entries()) {
      const experimentId = await openExperiment(db, `experiment-e2e-kill-${round}`);
      const process1 = await gateProcess(life.env);
      const check = healthyCheck(client, experimentId, 0.05);
      await client.bus.publish('experiment.checked', check, experimentId);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      process1.child.kill('SIGKILL');
      await process1.exited;
      const process2 = await gateProcess(life.env);
      try {
        await eventually(`round ${round}: the check handled`, async () =>
          (await db.query(`select 1 from exp.processed_events where event_id = $1`, [check.event_id])).rowCount === 1 ? true : undefined,
        );
        const ramps = (
          await db.query(`select to_allocation from exp.online_decisions where experiment_id = $1 and kind = 'ramp'`, [experimentId])
        ).rows;
        assert.deepEqual(ramps, [{ to_allocation: 0.1 }], `round ${round} (kill after ${delayMs} ms)`);
        const ramped = await eventually(`round ${round}: experiment.ramped`, async () => {
          const found = (await readTopic(client.transport, 'experiment.ramped')).filter((m) => m.event.experiment_id === experimentId);
          return found.length > 0 ? found : undefined;
        });
        // One event. A kill between the relay's send and its marking the row sent makes the restarted relay send it
        // again (the outbox is at-least-once): a copy has the same event id, and every consumer's inbox drops it.
        assert.equal(new Set(ramped.map((m) => m.event.event_id)).size, 1, `experiment.ramped: ${ramped.length} messages`);
      } finally {
        process2.child.kill('SIGTERM');
        await process2.exited;
      }
      // The next round's experiment needs the policy's slot: this one ends.
      await db.query(`update exp.experiments set status = 'stopped' where experiment_id = $1`, [experimentId]);
    }
  });
});

function gateProcess(env: Record<string, string>): Promise<ServiceProcess> {
  return startServiceProcess(stack.root, 'promotion-gate', env, logs, {
    ...ONLINE_ENV,
    GATE_RAMP_MIN_DWELL_SECONDS: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
}

let versions = 0;
/** A registered candidate with a passed decision and its running experiment at 5%, as the gate's tables hold them. */
async function openExperiment(db: pg.Pool, experimentId: string): Promise<string> {
  const n = ++versions;
  const version = `planner:planner_model:v${n}`;
  await db.query(
    `insert into exp.policy_versions (policy_version_id, policy_id, version, config_defaults, mlflow_model_name, mlflow_model_version, model_uri, status)
     values ($1, 'planner', $2, '{}', 'planner_model', $3, null, 'candidate')`,
    [version, n, String(n)],
  );
  await db.query(
    `insert into exp.gate_decisions (decision_id, replay_id, policy_version_id, outcome, rules, config, config_version)
     values ($1, $2, $3, 'passed', '[]', '{}', 'c')`,
    [`decision-${experimentId}`, `replay-${experimentId}`, version],
  );
  const client = await db.connect();
  try {
    await client.query('begin');
    await client.query(
      `insert into exp.experiments (experiment_id, policy_id, status, decision_id) values ($1, 'planner', 'running', $2)`,
      [experimentId, `decision-${experimentId}`],
    );
    await client.query(
      `insert into exp.variants (variant_id, experiment_id, policy_version_id, role, allocation) values
         ($1, $3, 'heuristic-baseline-v1', 'control', 0.95), ($2, $3, $4, 'treatment', 0.05)`,
      [`${experimentId}-control`, `${experimentId}-treatment`, experimentId, version],
    );
    await client.query('commit');
  } finally {
    client.release();
  }
  return experimentId;
}

function startedEvent(client: ReturnType<typeof clientBus>, experimentId: string) {
  return client.bus.event(
    'experiment.started',
    {
      experiment_id: experimentId,
      control_variant_id: `${experimentId}-control`,
      treatment_variant_id: `${experimentId}-treatment`,
      treatment_allocation: 0.05,
      policy_version_id: 'planner:planner_model:v1',
      baseline_policy_version_id: 'heuristic-baseline-v1',
    },
    experimentId,
  );
}

function healthyCheck(client: ReturnType<typeof clientBus>, experimentId: string, allocation: number): ExperimentChecked {
  const variant = (role: 'control' | 'treatment') => ({
    variant_id: `${experimentId}-${role}`,
    role,
    units: 500,
    exposures: 500,
    plans: 500,
    acceptance_rate: 0.95,
    edits_per_plan: 2,
    interventions_per_plan: 0,
    latency_p50_ms: 1,
    latency_p95_ms: 2,
    latency_p99_ms: 3,
    cost_per_plan_usd: 1e-7,
    fallbacks: 0,
  });
  return client.bus.event(
    'experiment.checked',
    {
      check_id: `check-${randomUUID()}`,
      experiment_id: experimentId,
      status: 'healthy',
      reasons: ['healthy in the test'],
      treatment_allocation: allocation,
      variants: [variant('control'), variant('treatment')],
      primary: null,
      guardrails: [],
      srm_p_value: 0.5,
      cuped_variance_reduction: null,
      alpha: 0.05,
    },
    experimentId,
  );
}
