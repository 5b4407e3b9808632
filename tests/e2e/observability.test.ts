/**
 * Issue 14 end to end: a short lifecycle on the real stack — events, dataset,
 * training, registry, a replay on a worker, the gate's pass, an experiment on
 * live traffic, an operator's rollback — scraped by a Prometheus of its own
 * (`stack up prometheus` on a scratch folder and port). Then every query of
 * every committed dashboard and every alerting and recording rule goes through
 * Prometheus's HTTP API: a query that errors, or a metric it reads that no
 * service exports, fails here rather than leaving a panel empty at 3 a.m.
 *
 * Panels, annotations and variables must return series as they are. An
 * alert's expression is mostly empty while all is well, so it must evaluate
 * without error and each selector in it must return series: that proves every
 * metric and label it names exists.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { loadStackConfig, registerScrapeTarget, type StackConfig, stackDown, stackUp } from '@planner/local-stack';
import { alertRules, type MonitoredQuery, monitoredQueries, parsePromql } from '@planner/monitoring';
import { eventually } from '../../scripts/local-lifecycle/eventually.ts';
import { isolatedLifecycle } from '../../scripts/local-lifecycle/isolated-lifecycle.ts';
import {
  clientBus,
  publishSyntheticWorld,
  type RunningService,
  readTopic,
  type ServiceName,
  startService,
} from '../../scripts/local-lifecycle/lifecycle-services.ts';
import { runTraffic } from '../../scripts/local-lifecycle/traffic-process.ts';
import { useStack } from '../support/stack.ts';

const stack = useStack('postgres', 'kafka', 'mlflow');
process.env.LOG_LEVEL ??= 'warn';
const scratch = mkdtempSync(join(tmpdir(), 'pl-observability-'));
let prometheus: StackConfig;
let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let client: ReturnType<typeof clientBus>;
let env: Record<string, string>;
const services: Partial<Record<ServiceName | 'replay-evaluator-worker', RunningService>> = {};
const unregister: (() => void)[] = [];

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts a service in this process and registers it with the suite's Prometheus under its stage's name. */
async function start(service: ServiceName | 'replay-evaluator-worker', name: ServiceName, extra: Record<string, string> = {}) {
  const running = await startService(name, { ...env, ...extra });
  services[service] = running;
  unregister.push(registerScrapeTarget(prometheus, { service, address: running.address, environment: life.namespace }));
}

before(async () => {
  // Its own folder (targets, data) and port: the stack's Prometheus, if one runs, and other suites' targets stay apart.
  prometheus = loadStackConfig({
    ...process.env,
    PROMETHEUS_URL: '',
    PL_STACK_DIR: join(scratch, 'stack'),
    PL_PROMETHEUS_PORT: String(await freePort()),
    PL_PROMETHEUS_SCRAPE_INTERVAL_SECONDS: '1',
  });
  await stackUp(prometheus, ['prometheus']);
  life = await isolatedLifecycle(stack, 'e2e_observability');
  env = {
    ...life.env,
    OBJECT_STORE_URL: pathToFileURL(join(scratch, 'objects')).href,
    TRAINING_AUTO_MODELS: 'planner',
    REGISTRY_POLL_SECONDS: '0',
    REPLAY_WORKER: 'false',
    REPLAY_SIMULATED_LATENCY_MS: '5',
    // Checks with numbers in them soon: the primary metric's confidence sequence needs a check past `collecting`.
    MONITOR_MIN_DURATION_SECONDS: '0',
    MONITOR_MIN_UNITS_PER_ARM: '20',
    MONITOR_CHECK_INTERVAL_SECONDS: '2',
  };
  client = clientBus(life.env, 'e2e-observability');
  // The worker first: the promotion-gate reads replays from the replay-evaluator started last in the environment.
  await start('replay-evaluator-worker', 'replay-evaluator', { REPLAY_WORKER: 'true', REPLAY_ON_REGISTER: 'false' });
  for (const name of [
    'dataset-builder',
    'trainer-dispatcher',
    'registry-sync',
    'replay-evaluator',
    'promotion-gate',
    'experiment-monitor',
  ] as const) {
    await start(name, name);
  }
});

after(async () => {
  for (const remove of unregister) remove();
  for (const service of Object.values(services)) await service?.stop();
  await client?.transport.close();
  await life?.cleanup();
  if (prometheus) await stackDown(prometheus, ['prometheus']);
  rmSync(scratch, { recursive: true, force: true });
});

interface Series {
  metric: Record<string, string>;
  value?: [number, string];
}

/** An instant query through the HTTP API: its series, or Prometheus's error. */
async function query(expr: string): Promise<{ series: Series[]; error?: string }> {
  const response = await fetch(`${prometheus.prometheus.url}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }),
  });
  const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: Series[] | unknown } };
  if (body.status !== 'success') return { series: [], error: body.error ?? `HTTP ${response.status}` };
  // A scalar (time(), a number) is one value, not series: it counts as one.
  return { series: Array.isArray(body.data?.result) ? body.data.result : [{ metric: {} }] };
}

/** What is wrong with one query against the scraped lifecycle, or undefined when nothing is. */
async function problem(q: MonitoredQuery): Promise<string | undefined> {
  const whole = await query(q.expr);
  if (whole.error) return `${q.source}: ${whole.error} in ${q.expr}`;
  if (q.kind === 'variable') {
    return whole.series.some((s) => q.label && s.metric[q.label]) ? undefined : `${q.source}: no series with label ${q.label} in ${q.expr}`;
  }
  if ((q.kind === 'panel' || q.kind === 'annotation') && whole.series.length === 0) return `${q.source}: no series for ${q.expr}`;
  for (const selector of parsePromql(q.expr).selectors) {
    if ((await query(selector)).series.length === 0) return `${q.source}: no series for ${selector} (in ${q.expr})`;
  }
  return undefined;
}

async function api(service: ServiceName, path: string, init: { method?: string; body?: unknown; token?: string } = {}) {
  const response = await fetch(`${services[service]?.address}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> & unknown[] };
}

describe('dashboards and alerts against a scraped lifecycle', () => {
  test('a short lifecycle: events to a gate pass, an experiment on live traffic, an operator rolls it back', async () => {
    // 1% of the events lack their metadata: ingestion dead-letters them, which the dead-letter panel and alert read.
    const world = await publishSyntheticWorld(life.env, client.bus, { seed: 14, households: 500, weeks: 6, missingMetadataRate: 0.01 });
    // The dataset covers what was ingested when it is built: all of the world, not the part read so far.
    const ingested =
      'sum(planner_bus_messages_consumed_total{service="dataset-builder", topic="exp.events", outcome=~"processed|dead_lettered"})';
    await eventually(
      'every event ingested or dead-lettered',
      async () => (Number((await query(ingested)).series[0]?.value?.[1] ?? 0) >= world.events ? true : undefined),
      180_000,
    );
    const requested = await api('dataset-builder', '/v1/datasets', {
      method: 'POST',
      token: life.token,
      body: { model_name: 'planner', window_start: '2026-01-01T00:00:00Z', window_end: '2026-03-01T00:00:00Z', dataset_date: '2026-03-01' },
    });
    assert.equal(requested.status, 202);
    const passed = await eventually(
      'the gate to pass the first model',
      async () => {
        const rejected = (await readTopic(client.transport, 'gate.rejected'))[0];
        if (rejected) assert.fail(`the model was rejected: ${JSON.stringify(rejected.event.rules)}`);
        return (await readTopic(client.transport, 'gate.passed'))[0]?.event;
      },
      420_000,
    );

    await runTraffic(
      ['--gate', services['promotion-gate']?.address as string, '--households', '3000', '--weeks', '1', '--rps', '0', '--seed', '14'],
      {
        ...env,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      },
    );
    await eventually(
      'a check past collecting',
      async () => {
        const checks = await api('experiment-monitor', `/v1/experiments/${passed.experiment_id}/checks`);
        return checks.status === 200 && checks.body.some((c) => (c as { status: string }).status !== 'collecting') ? true : undefined;
      },
      180_000,
    );
    // The operator's rollback; a 409 means the gate already rolled back on a check by itself, which serves as well.
    const aborted = await api('promotion-gate', `/v1/experiments/${passed.experiment_id}/abort`, {
      method: 'POST',
      token: life.token,
      body: { actor: 'e2e-observability', reason: 'a rollback for the dashboards to show' },
    });
    assert.ok(aborted.status === 200 || aborted.status === 409, JSON.stringify(aborted.body));
    // A refused caller, for the HTTP errors panel.
    assert.equal((await api('dataset-builder', '/v1/datasets', { method: 'POST', body: {} })).status, 401);
    await eventually('experiment.rolled_back', async () =>
      (await readTopic(client.transport, 'experiment.rolled_back')).find((m) => m.event.experiment_id === passed.experiment_id),
    );
  });

  test('Prometheus loaded every rule and evaluates it without error', async () => {
    const rules = await eventually('every rule evaluated', async () => {
      const response = await fetch(`${prometheus.prometheus.url}/api/v1/rules`);
      const body = (await response.json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
      const all = body.data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : undefined;
    });
    assert.deepEqual(
      rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`),
      [],
    );
    assert.deepEqual(
      rules.map((r) => r.name).sort(),
      alertRules()
        .map((r) => r.alert ?? r.record)
        .sort(),
      'the rules of deploy/prometheus/rules',
    );
  });

  test('every dashboard panel, annotation and variable, and every series each rule reads, returns series', async () => {
    const queries = monitoredQueries();
    assert.ok(queries.filter((q) => q.kind === 'panel').length >= 25, `${queries.length} queries`);
    // Rates need two scrapes of a series; recorded series a rule evaluation: wait for them rather than guess how long.
    let problems: string[] = [];
    await eventually(
      'every query to return series',
      async () => {
        problems = (await Promise.all(queries.map(problem))).filter((p) => p !== undefined);
        return problems.length === 0 ? true : undefined;
      },
      60_000,
    ).catch(() => assert.fail(`${problems.length} of ${queries.length} queries failed:\n${problems.join('\n')}`));
  });
});
