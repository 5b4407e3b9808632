/**
 * The README's main command (`./lifecycle demo`): the whole lifecycle on the
 * local stack, through Kafka. Brings up the stack, starts the five services
 * in a fresh environment (its own database and Kafka namespace, so the demo
 * can run again), publishes a synthetic world as an upstream service would,
 * requests a dataset version, lets auto-training, registration, the sharded
 * replay and the promotion gate run, trains a second model with a recipe that
 * ignores allergies to show the gate refusing it, and prints a report.
 */
import { parseArgs } from 'node:util';
import { loadStackConfig, StackError, stackStatus, stackUp } from '@planner/local-stack';
import { MlflowClient } from '@planner/mlflow-client';
import type { TopicEvents } from '@planner/schemas';
import pg from 'pg';
import { GROUPS as MONITOR_GROUPS } from '../services/experiment-monitor/src/service.ts';
import { eventually } from './local-lifecycle/eventually.ts';
import { isolatedLifecycle, removeIdleEnvironments } from './local-lifecycle/isolated-lifecycle.ts';
import {
  clientBus,
  groupCaughtUp,
  publishSyntheticWorld,
  type RunningService,
  readTopic,
  type ServiceName,
  startService,
} from './local-lifecycle/lifecycle-services.ts';
import { runTraffic } from './local-lifecycle/traffic-process.ts';

const { values } = parseArgs({
  options: {
    households: { type: 'string', default: '800' },
    weeks: { type: 'string', default: '6' },
    'traffic-households': { type: 'string', default: '4000' },
  },
});
const config = loadStackConfig();
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s`;
const step = (text: string) => console.log(`${elapsed()}  ${text}`);

/** One line that redraws itself while a long step runs (plain lines when the output is not a terminal). */
function progress(label: string) {
  let printed = 0; // plain output: the first line and the first complete one
  return {
    update(done: number, total: number, note = '') {
      const width = 24;
      const filled = Math.round((Math.min(done, total) / Math.max(total, 1)) * width);
      const line = `${elapsed()}  ${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${note}`;
      if (process.stdout.isTTY) process.stdout.write(`\r${line.padEnd(100)}`);
      else if (printed === 0 || (printed === 1 && done >= total)) {
        console.log(line);
        printed = done >= total ? 2 : 1;
      }
    },
    end() {
      if (process.stdout.isTTY) process.stdout.write('\n');
    },
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number) => x.toFixed(4);

async function main(): Promise<void> {
  console.log('== local stack');
  // A stack that already answers (started from another checkout, or your own servers) is used as it is.
  if ((await stackStatus(config)).every((s) => s.ready)) console.log('reusing the running stack');
  else await stackUp(config, undefined, (s, seconds) => console.log(`${s.name.padEnd(8)} ready  ${s.endpoint}  (${seconds.toFixed(1)} s)`));
  process.env.LOG_LEVEL ??= 'warn';

  console.log('\n== lifecycle');
  // Each run keeps its environment for exploring until a later run: then it goes, unless something still uses it.
  const removed = await removeIdleEnvironments(config, 'demo', { olderThanMs: 10 * 60_000 });
  if (removed.length > 0) step(`removed ${removed.length} earlier demo environment(s): ${removed.join(', ')}`);
  const life = await isolatedLifecycle(config, 'demo');
  const env = {
    ...life.env,
    // The demo's experiment runs minutes, not the hour a real one waits before its first verdict.
    MONITOR_MIN_DURATION_SECONDS: '0',
    OBJECT_STORE_URL: `s3://${config.s3.bucket}/${life.id}`,
    TRAINING_AUTO_MODELS: 'planner',
    REGISTRY_POLL_SECONDS: '0',
  };
  step(`environment ${life.id}: database ${life.id}, Kafka namespace '${life.namespace}'`);
  const services: Partial<Record<ServiceName, RunningService>> = {};
  for (const name of [
    'dataset-builder',
    'trainer-dispatcher',
    'registry-sync',
    'replay-evaluator',
    'promotion-gate',
    'experiment-monitor',
  ] as const) {
    services[name] = await startService(name, env);
    step(`${name.padEnd(18)} ${services[name]?.address}`);
  }
  const client = clientBus(life.env, 'demo-upstream');
  const db = new pg.Pool({ connectionString: life.databaseUrl, max: 2 });
  const mlflow = new MlflowClient({ trackingUri: config.mlflow.trackingUri });
  const call = async (service: ServiceName, path: string, body?: unknown) => {
    const response = await fetch(`${services[service]?.address}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${life.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (response.status >= 300) throw new Error(`${service} ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };

  try {
    const world = { seed: 7, households: Number(values.households), weeks: Number(values.weeks) };
    const loaded = await publishSyntheticWorld(life.env, client.bus, world);
    step(
      `published ${loaded.events.toLocaleString('en-US')} plan events of ${world.households} households over ${world.weeks} weeks to exp.events`,
    );
    const ingest = progress('ingesting exp.events');
    await eventually(
      'ingestion',
      async () => {
        const n = (await db.query('select count(*)::int as n from exp.events')).rows[0].n as number;
        ingest.update(n, loaded.events);
        return n >= loaded.events ? true : undefined;
      },
      300_000,
    );
    ingest.end();

    const requested = await call('dataset-builder', '/v1/datasets', {
      model_name: 'planner',
      window_start: '2026-01-01T00:00:00Z',
      window_end: '2026-03-01T00:00:00Z',
      dataset_date: '2026-03-01',
    });
    step(`requested dataset ${requested.dataset_version}`);
    const dataset = await eventually(
      'the dataset',
      async () => {
        // 404 until the dataset-builder has consumed the request from dataset.requested.
        const response = await fetch(`${services['dataset-builder']?.address}/v1/datasets/${requested.dataset_version}`);
        if (response.status === 404) return undefined;
        const d = (await response.json()) as Record<string, unknown>;
        if (d.status === 'failed') throw new Error(`dataset build failed: ${d.error}`);
        return d.status === 'ready' ? d : undefined;
      },
      300_000,
    );
    const split = dataset.split_counts as Record<string, number>;
    step(
      `dataset ${dataset.dataset_version}: ${dataset.row_count} rows (train ${split.train}, validation ${split.validation}, evaluation ${split.evaluation}) at ${dataset.location}`,
    );

    const training = progress('training planner-ranker@1');
    const job = await eventually(
      'the training job',
      async () => {
        const [j] = (await (await fetch(`${services['trainer-dispatcher']?.address}/v1/training-jobs`)).json()) as Record<
          string,
          unknown
        >[];
        const epoch = /epoch (\d+)\/(\d+)/.exec(
          String(j?.log_tail ?? '')
            .split('\n')
            .reverse()
            .find((l) => l.includes('epoch')) ?? '',
        );
        if (epoch) training.update(Number(epoch[1]), Number(epoch[2]), 'epochs');
        if (j?.status === 'failed') throw new Error(`training failed: ${j.error_message}\n${j.log_tail}`);
        return j?.status === 'succeeded' ? j : undefined;
      },
      600_000,
    );
    training.end();
    step(`training job ${job.job_id} succeeded: MLflow run ${job.mlflow_run_id}`);

    const decide = async (label: string, model: TopicEvents['model.registered']) => {
      const replays = progress(`replaying ${label}`);
      const completed = await eventually(
        `the replay of ${label}`,
        async () => {
          const [replay] = (
            (await (await fetch(`${services['replay-evaluator']?.address}/v1/replays`)).json()) as Record<string, unknown>[]
          ).filter((r) => (r.candidate as { model_version: string }).model_version === model.model_version);
          if (replay) replays.update(Number(replay.shards_done), Number(replay.shard_count), 'shards');
          return replay?.status === 'completed' ? replay : undefined;
        },
        600_000,
      );
      replays.end();
      const decision = await eventually(
        `the gate decision on ${label}`,
        async () => {
          const found = [
            ...(await readTopic(client.transport, 'gate.passed')),
            ...(await readTopic(client.transport, 'gate.rejected')),
          ].find((m) => m.event.replay_id === completed.replay_id);
          return found?.event;
        },
        120_000,
      );
      return { completed, decision };
    };

    const first = await eventually('model.registered', async () => (await readTopic(client.transport, 'model.registered'))[0], 120_000);
    step(`registered ${first.event.model_uri} (run ${first.event.run_id})`);
    const good = await decide(`model version ${first.event.model_version}`, first.event);

    // Live traffic on the experiment the gate just opened, as the product's planner API would serve it.
    let traffic = '';
    let monitorCheck:
      | {
          status: string;
          reasons: string[];
          srm_p_value: number | null;
          primary: { estimate: number; lower: number; upper: number } | null;
        }
      | undefined;
    if ('experiment_id' in good.decision) {
      step(
        `serving ${values['traffic-households']} households' weekly plans on experiment ${good.decision.experiment_id} (./lifecycle traffic)`,
      );
      const out = await runTraffic(
        [
          ...['--gate', String(services['promotion-gate']?.address), '--households', String(values['traffic-households'])],
          ...['--weeks', '1', '--rps', '0', '--seed', '7'],
        ],
        env,
      );
      traffic = out.slice(out.indexOf('\nvariant')).trim();
      // The monitor checks the experiment once it has read every event of the traffic.
      await eventually(
        'the monitor to read the traffic',
        async () => {
          return (await groupCaughtUp(client.transport, MONITOR_GROUPS.events, 'exp.events')) ? true : undefined;
        },
        300_000,
      );
      const checked = await call('experiment-monitor', `/v1/experiments/${good.decision.experiment_id}/checks`, {});
      monitorCheck = checked.evidence as typeof monitorCheck;
    }

    await call('trainer-dispatcher', '/v1/training-jobs', {
      dataset_version: dataset.dataset_version,
      recipe_id: 'planner-ranker-ignores-allergies@1',
    });
    step('training planner-ranker-ignores-allergies@1, a recipe blind to allergies, to show the gate refusing it');
    const second = await eventually(
      'the second model.registered',
      async () => (await readTopic(client.transport, 'model.registered')).find((m) => m.event.model_version !== first.event.model_version),
      600_000,
    );
    step(`registered ${second.event.model_uri}`);
    const broken = await decide(`model version ${second.event.model_version}`, second.event);

    console.log('\n== report');
    console.log(`dataset version   ${dataset.dataset_version}  digest ${String(dataset.digest).slice(0, 16)}…  ${dataset.location}`);
    const run = await mlflow.getRun(String(job.mlflow_run_id));
    console.log(`training run      ${config.mlflow.trackingUri}/#/experiments/${run.info.experimentId}/runs/${run.info.runId}`);
    console.log(`model version     ${first.event.model_uri}`);
    for (const [label, result] of [
      [`model ${first.event.model_version} (planner-ranker@1)`, good],
      [`model ${second.event.model_version} (ignores allergies)`, broken],
    ] as const) {
      const summary = (result.completed.summary ?? {}) as {
        metrics: Record<
          string,
          { candidate: { estimate: number }; baseline: { estimate: number }; difference: { estimate: number; low: number; high: number } }
        >;
        offline_score: {
          candidate: { estimate: number; low: number; high: number };
          baseline: { estimate: number; low: number; high: number };
        };
      };
      console.log(
        `\n${label} vs heuristic baseline on ${result.completed.row_count} evaluation rows (replay ${result.completed.replay_id}, digest ${String(result.completed.results_digest).slice(0, 16)}…)`,
      );
      console.log(`  ${'metric'.padEnd(20)} ${'candidate'.padStart(10)} ${'baseline'.padStart(10)}   difference [95% CI]`);
      for (const name of [
        'plan_alignment',
        'constraint_respect',
        'edit_rate',
        'meal_diversity',
        'leftovers_utility',
        'latency_ms',
        'cost_usd',
      ]) {
        const m = summary.metrics?.[name];
        if (!m) continue;
        console.log(
          `  ${name.padEnd(20)} ${num(m.candidate.estimate).padStart(10)} ${num(m.baseline.estimate).padStart(10)}   ${num(m.difference.estimate)} [${num(m.difference.low)}, ${num(m.difference.high)}]`,
        );
      }
      const s = summary.offline_score;
      if (s)
        console.log(
          `  ${'offline score'.padEnd(20)} ${num(s.candidate.estimate).padStart(10)} ${num(s.baseline.estimate).padStart(10)}   candidate CI [${num(s.candidate.low)}, ${num(s.candidate.high)}]`,
        );
      const decision = result.decision as TopicEvents['gate.passed'] | TopicEvents['gate.rejected'];
      const passed = 'experiment_id' in decision;
      console.log(`  decision: ${passed ? 'PASSED' : 'REJECTED'} (${decision.decision_id}, gate config ${decision.config_version})`);
      for (const rule of decision.rules) console.log(`    ${rule.passed ? 'pass' : 'FAIL'}  ${rule.rule}: ${rule.detail}`);
      if (passed) {
        const p = decision as TopicEvents['gate.passed'];
        console.log(
          `  experiment ${p.experiment_id}: treatment ${p.treatment_variant_id} → ${p.policy_version_id} at ${pct(p.treatment_allocation)} of traffic`,
        );
      }
    }
    if (traffic) console.log(`\nlive traffic on the experiment (exp.events, ${life.namespace}exp.events)\n${traffic}`);
    if (monitorCheck) {
      const p = monitorCheck.primary;
      console.log(
        `\nexperiment-monitor check: ${monitorCheck.status.toUpperCase()}` +
          (p ? `  acceptance treatment − control ${num(p.estimate)} [${num(p.lower)}, ${num(p.upper)}] (always-valid, CUPED)` : '') +
          (monitorCheck.srm_p_value === null ? '' : `  SRM p ${monitorCheck.srm_p_value.toFixed(3)}`),
      );
      for (const reason of monitorCheck.reasons) console.log(`  ${reason}`);
    }
    console.log(`\nMLflow UI:        ${config.mlflow.trackingUri}`);
    console.log(`services' HTTP:   promotion-gate ${services['promotion-gate']?.address}/docs (OpenAPI), stopped when the demo ends`);
    console.log(
      `data:             database ${life.id}, Kafka namespace '${life.namespace}' (kept for exploring until a later demo; KAFKA_NAMESPACE=${life.namespace} ./lifecycle topics tail gate.passed --from-beginning)`,
    );
    console.log('stop the stack:   ./lifecycle stack down');
  } finally {
    for (const service of Object.values(services)) await service?.stop();
    await client.transport.close();
    await db.end();
  }
}

try {
  await main();
  step('done');
  process.exit(0);
} catch (error) {
  console.error(`demo: ${error instanceof StackError ? error.message : ((error as Error).stack ?? String(error))}`);
  process.exit(1);
}
