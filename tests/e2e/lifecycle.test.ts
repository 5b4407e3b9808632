/**
 * End to end on the real stack: synthetic upstream events on Kafka → dataset
 * → training → registry → sharded replay → promotion gate, in one trace. A
 * model that learned the hidden preferences passes and gets a policy version,
 * a ≤10% experiment and the MLflow tag; live traffic (`./lifecycle traffic`) then
 * serves 20,000 plan requests on the variants, and the next dataset holds the
 * candidate's plans; a recipe blind to allergies is rejected for constraint
 * respect, replayed against production while the experiment runs; a rerun
 * gives the same digest; a replay worker killed with SIGKILL mid-shard loses
 * and doubles nothing.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chiSquareGoodnessOfFit } from '@planner/evaluation';
import { MlflowClient } from '@planner/mlflow-client';
import type { TopicEvents } from '@planner/schemas';
import pg from 'pg';
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
const folder = mkdtempSync(join(tmpdir(), 'pl-lifecycle-'));
const mlflow = new MlflowClient({ trackingUri: stack.mlflow.trackingUri });
let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let client: ReturnType<typeof clientBus>;
let db: pg.Pool;
let env: Record<string, string>;
const services: Partial<Record<ServiceName, RunningService>> = {};
const workers = new Set<ChildProcess>();

/** A replay worker in a process of its own, as it runs on a GPU node: consumes replay.shards only. */
async function startWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(stack.root, 'services/replay-evaluator/src/main.ts')], {
    env: {
      ...process.env,
      ...env,
      REPLAY_WORKER: 'true',
      REPLAY_ON_REGISTER: 'false',
      REPLAY_SIMULATED_LATENCY_MS: '40',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  workers.add(child);
  child.once('exit', () => workers.delete(child));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the replay worker did not start in 60 s')), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`the replay worker exited with ${code} before listening`)));
  });
  return child;
}

before(async () => {
  life = await isolatedLifecycle(stack, 'e2e_gate');
  env = {
    ...life.env,
    OBJECT_STORE_URL: pathToFileURL(folder).href,
    TRAINING_AUTO_MODELS: 'planner',
    REGISTRY_POLL_SECONDS: '0',
    REPLAY_WORKER: 'false',
  };
  db = new pg.Pool({ connectionString: life.databaseUrl, max: 2 });
  client = clientBus(life.env, 'e2e-upstream');
  for (const name of ['dataset-builder', 'trainer-dispatcher', 'registry-sync', 'replay-evaluator', 'promotion-gate'] as const) {
    services[name] = await startService(name, env);
  }
  await startWorker();
});

after(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  for (const service of Object.values(services)) await service?.stop();
  await client?.transport.close();
  await db?.end();
  await life?.cleanup();
  rmSync(folder, { recursive: true, force: true });
});

async function api(service: ServiceName, path: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${services[service]?.address}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${life.token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> & unknown[] };
}

async function replayDone(replayId: string) {
  return eventually(
    `replay ${replayId} to complete`,
    async () => {
      const { body } = await api('replay-evaluator', `/v1/replays/${replayId}`);
      return body.status === 'completed' ? body : undefined;
    },
    240_000,
  );
}

async function datasetReady(version: string) {
  return eventually(
    `dataset ${version}`,
    async () => {
      const { status, body } = await api('dataset-builder', `/v1/datasets/${version}`);
      if (status === 404) return undefined;
      if (body.status === 'failed') assert.fail(`dataset ${version} failed: ${body.error}`);
      return body.status === 'ready' ? body : undefined;
    },
    300_000,
  );
}

const RUN_TOPICS = [
  'dataset.requested',
  'dataset.ready',
  'training.completed',
  'model.registered',
  'replay.shards',
  'replay.completed',
  'gate.passed',
  'experiment.started',
] as const;

/**
 * Every event of the run, on every topic and from every service, carries one
 * trace: the one its dataset request started (experiment.started when the
 * experiment started at once).
 */
async function oneTrace(correlationId: string) {
  const traces: Record<string, (string | undefined)[]> = {};
  for (const topic of RUN_TOPICS) {
    const messages = (await readTopic(client.transport, topic)).filter((m) => m.event.correlation_id === correlationId);
    if (messages.length > 0 || topic !== 'experiment.started') traces[topic] = messages.map((m) => m.headers.traceparent?.split('-')[1]);
  }
  const traceId = traces['dataset.requested']?.[0];
  assert.match(String(traceId), /^[0-9a-f]{32}$/, 'dataset.requested starts the trace');
  const expected = Object.fromEntries(
    Object.entries(traces).map(([topic, ids]) => [topic, ids.length > 0 ? ids.map(() => traceId) : [traceId]]),
  );
  assert.deepEqual(traces, expected, `one trace, ${traceId}, from the dataset request to the gate decision`);
}

describe('from upstream events to a gate decision', () => {
  let goodReplay: string;
  let modelName: string;
  let passed: TopicEvents['gate.passed'];

  test('a model that learned the hidden preferences passes: candidate policy version, ≤10% experiment, MLflow tag', async () => {
    await publishSyntheticWorld(life.env, client.bus, { seed: 11, households: 500, weeks: 6 });
    await eventually(
      'the events ingested',
      async () => ((await db.query('select count(*)::int as n from exp.events')).rows[0].n > 10_000 ? true : undefined),
      90_000,
    );
    const requested = await api('dataset-builder', '/v1/datasets', {
      method: 'POST',
      body: { model_name: 'planner', window_start: '2026-01-01T00:00:00Z', window_end: '2026-03-01T00:00:00Z', dataset_date: '2026-03-01' },
    });
    assert.equal(requested.status, 202);

    const decision = await eventually(
      'a gate decision on the first model',
      async () => {
        const passed = (await readTopic(client.transport, 'gate.passed'))[0];
        const rejected = (await readTopic(client.transport, 'gate.rejected'))[0];
        if (rejected) assert.fail(`the good model was rejected: ${JSON.stringify(rejected.event.rules)}`);
        return passed;
      },
      420_000,
    );
    passed = decision.event;
    goodReplay = passed.replay_id;
    await oneTrace(requested.body.correlation_id as string);
    assert.ok(passed.treatment_allocation > 0 && passed.treatment_allocation <= 0.1, `allocation ${passed.treatment_allocation}`);
    assert.ok(passed.rules.every((r) => r.passed));

    const policy = await api('promotion-gate', `/v1/policy-versions/${encodeURIComponent(passed.policy_version_id)}`);
    assert.equal(policy.status, 200);
    assert.equal(policy.body.status, 'candidate');
    modelName = policy.body.mlflow_model_name as string;
    const experiment = await api('promotion-gate', `/v1/experiments/${passed.experiment_id}`);
    const variants = experiment.body.variants as { role: string; allocation: number; policy_version_id: string }[];
    assert.equal(variants.find((v) => v.role === 'treatment')?.policy_version_id, passed.policy_version_id);
    assert.ok((variants.find((v) => v.role === 'treatment')?.allocation ?? 1) <= 0.1);
    assert.equal(variants.find((v) => v.role === 'control')?.policy_version_id, 'heuristic-baseline-v1');
    await eventually('the MLflow tag stage=candidate', async () => {
      const version = await mlflow.getModelVersion(modelName, policy.body.mlflow_model_version as string);
      return version.tags.stage === 'candidate' ? true : undefined;
    });
  });

  test('live traffic: 20,000 plan requests split as allocated, every event with its experiment, variant and policy version', async () => {
    const windowStart = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
    const gate = services['promotion-gate']?.address as string;
    const out = await runTraffic(['--gate', gate, '--households', '20000', '--weeks', '1', '--rps', '0', '--seed', '11'], {
      ...env,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    });
    const published = Number(/([\d,]+) events published to exp\.events/.exec(out)?.[1]?.replaceAll(',', ''));
    assert.ok(published > 20_000, out);
    // Through Kafka and the dataset-builder's ingestion: every event the process published, once.
    const count = async () =>
      (await db.query("select count(*)::int as n from exp.events where producer = 'planner-traffic'")).rows[0].n as number;
    await eventually('the traffic ingested', async () => ((await count()) >= published ? true : undefined), 300_000);
    assert.equal(await count(), published);

    const variants = (
      await db.query(
        `select variant_id,
                count(*) filter (where event_type = 'plan_generated')::int as requests,
                count(*) filter (where event_type = 'exposure')::int as exposures,
                count(distinct household_id)::int as households,
                count(*) filter (where fallback_reason is not null)::int as fallbacks,
                min(cost_usd) filter (where event_type = 'plan_generated') as min_cost
         from exp.events where producer = 'planner-traffic' group by variant_id order by variant_id`,
      )
    ).rows as { variant_id: string; requests: number; exposures: number; households: number; fallbacks: number; min_cost: number }[];
    const treatment = variants.find((v) => v.variant_id === passed.treatment_variant_id);
    const control = variants.find((v) => v.variant_id !== passed.treatment_variant_id);
    assert.ok(treatment && control && variants.length === 2, JSON.stringify(variants));
    assert.equal(treatment.requests + control.requests, 20_000);
    // One household, one request, one exposure: the split of requests is the split of randomised units.
    for (const v of variants) assert.deepEqual([v.exposures, v.households], [v.requests, v.requests]);
    const split = chiSquareGoodnessOfFit(
      [treatment.requests, control.requests],
      [passed.treatment_allocation, 1 - passed.treatment_allocation],
    );
    assert.ok(
      split.pValue > 0.001,
      `treatment ${treatment.requests} of 20,000 at ${passed.treatment_allocation}: χ² ${split.statistic}, p ${split.pValue}`,
    );
    assert.equal(treatment.fallbacks + control.fallbacks, 0, 'the candidate served every request it was assigned');
    // The cost model prices compute time: no longer 0.
    assert.ok(treatment.min_cost > 0 && control.min_cost > 0);

    const unlabelled = await db.query(
      `select event_type, experiment_id, variant_id, policy_version_id from exp.events
       where producer = 'planner-traffic' and not (
         experiment_id = $1 and (
           (variant_id = $2 and policy_version_id = $3) or (variant_id <> $2 and policy_version_id = 'heuristic-baseline-v1')))
       limit 5`,
      [passed.experiment_id, passed.treatment_variant_id, passed.policy_version_id],
    );
    assert.deepEqual(unlabelled.rows, [], "every event carries the experiment, its variant and that variant's policy version");

    // The loop back: a dataset over the traffic's window holds the candidate's plans, counted per version and variant.
    // Another model name than 'planner', for which this environment trains automatically: training is not this test's subject.
    const windowEnd = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
    const requested = await api('dataset-builder', '/v1/datasets', {
      method: 'POST',
      body: {
        model_name: 'planner-loop',
        window_start: windowStart.toISOString(),
        window_end: windowEnd.toISOString(),
        dataset_date: '2026-11-30',
      },
    });
    assert.equal(requested.status, 202);
    const dataset = await datasetReady(requested.body.dataset_version as string);
    const expected = (
      await db.query(
        `select g.policy_version_id, a.variant_id, count(*)::int as rows
         from (select distinct on (plan_id) plan_id, variant_id from exp.events
               where event_type = 'plan_accepted' and occurred_at >= $1 and occurred_at < $2 order by plan_id, occurred_at desc) a
         join exp.events g on g.plan_id = a.plan_id and g.event_type = 'plan_generated'
         group by 1, 2 order by 1, 2`,
        [windowStart, windowEnd],
      )
    ).rows as { policy_version_id: string; variant_id: string; rows: number }[];
    assert.deepEqual(new Set(expected.map((r) => r.policy_version_id)), new Set(['heuristic-baseline-v1', passed.policy_version_id]));
    assert.equal(
      expected.reduce((n, r) => n + r.rows, 0),
      dataset.row_count,
    );
    const summary = readFileSync(join(fileURLToPath(dataset.location as string), 'dataset_summary.md'), 'utf8');
    for (const r of expected) {
      assert.ok(
        summary.includes(`| ${r.policy_version_id} | ${r.variant_id} | ${r.rows.toLocaleString('en-US')} |`),
        `${JSON.stringify(r)} in\n${summary}`,
      );
    }
  });

  test('a model trained with a recipe that ignores allergies is rejected for constraint respect', async () => {
    const job = await api('trainer-dispatcher', '/v1/training-jobs', {
      method: 'POST',
      body: { dataset_version: 'planner/2026-03-01', recipe_id: 'planner-ranker-ignores-allergies@1' },
    });
    assert.equal(job.status, 202);
    const rejected = await eventually(
      'gate.rejected for the allergy-blind model',
      async () => (await readTopic(client.transport, 'gate.rejected'))[0],
      420_000,
    );
    const constraint = rejected.event.rules.find((r) => r.rule.includes('constraint'));
    assert.ok(constraint, JSON.stringify(rejected.event.rules));
    assert.equal(constraint.passed, false);
    const policy = await api('promotion-gate', `/v1/policy-versions/${encodeURIComponent(rejected.event.policy_version_id)}`);
    assert.equal(policy.body.status, 'rejected');
    // The first candidate is in its experiment, not in production: the replay still compares with production.
    const replay = (await readTopic(client.transport, 'replay.completed')).find((m) => m.event.replay_id === rejected.event.replay_id);
    assert.equal(replay?.event.baseline.policy_version_id, 'heuristic-baseline-v1');
  });

  test('the same replay run twice gives a byte-identical results digest', async () => {
    const first = await replayDone(goodReplay);
    const rerun = await api('replay-evaluator', `/v1/replays/${goodReplay}/rerun`, { method: 'POST' });
    assert.equal(rerun.status, 202);
    assert.equal(rerun.body.status, 'running');
    const second = await replayDone(goodReplay);
    assert.equal(second.results_digest, first.results_digest);
    assert.equal(second.row_count, first.row_count);
  });

  test('a replay worker killed with SIGKILL mid-shard: the replay completes with every row counted once', async () => {
    const [replay] = (await api('replay-evaluator', '/v1/replays')).body as unknown as { candidate: { model_version: string } }[];
    const started = await api('replay-evaluator', '/v1/replays', {
      method: 'POST',
      body: {
        candidate: { model_name: modelName, model_version: replay?.candidate.model_version ?? '1' },
        baseline: 'heuristic',
        dataset_version: 'planner/2026-03-01',
        seed: 99,
      },
    });
    assert.equal(started.status, 202);
    const replayId = started.body.replay_id as string;
    const keys = (await db.query('select candidate_key, baseline_key, row_count from exp.replays where replay_id = $1', [replayId]))
      .rows[0];
    const written = async () =>
      (
        await db.query('select count(*)::int as n from exp.offline_replay_results where result_key in ($1, $2)', [
          keys.candidate_key,
          keys.baseline_key,
        ])
      ).rows[0].n as number;
    await eventually('the worker to be mid-replay', async () => ((await written()) > 0 ? true : undefined), 60_000);
    const [victim] = workers;
    victim?.kill('SIGKILL');
    assert.ok((await written()) < 2 * keys.row_count, 'killed before the end');
    await startWorker();
    const done = await replayDone(replayId);
    assert.equal(done.shards_done, done.shard_count);
    const perRole = await db.query(
      'select result_key, count(*)::int as n, count(distinct row_id)::int as distinct_rows from exp.offline_replay_results where result_key in ($1, $2) group by 1',
      [keys.candidate_key, keys.baseline_key],
    );
    for (const row of perRole.rows)
      assert.deepEqual({ n: row.n, distinct_rows: row.distinct_rows }, { n: keys.row_count, distinct_rows: keys.row_count });
    // The completion leaves through the outbox after the status commits: wait until the relay has sent everything.
    await eventually('the outbox to drain', async () =>
      (await db.query("select count(*)::int as n from exp.outbox where topic like '%replay.completed'")).rows[0].n === 0 ? true : undefined,
    );
    const completions = (await readTopic(client.transport, 'replay.completed')).filter((m) => m.event.replay_id === replayId);
    assert.equal(completions.length, 1, 'exactly one aggregation');
    assert.equal(completions[0]?.event.row_count, keys.row_count);
  });
});
