/**
 * The README's main command (`./lifecycle demo`): the whole lifecycle on the
 * local stack, through Kafka (seed §7). Brings up the stack, starts the six
 * services in a fresh environment (its own database and Kafka namespace, so
 * the demo can run again) and publishes a synthetic world as an upstream
 * service would. Then:
 * - model 1 is trained, passes the offline gate, serves live traffic
 *   (`./lifecycle traffic`), ramps step by step on the monitor's checks and is
 *   promoted: the MLflow alias `production` moves to it;
 * - model 2, trained with a recipe blind to allergies, is rejected offline;
 * - model 3 passes offline, but its serving is degraded (`--degrade-treatment`:
 *   an online-only defect) and the gate rolls it back by itself, with the reason;
 * - a dataset over the new traffic trains model 4, replayed against the new
 *   production model.
 * The report ends with each model's lineage.
 */
import { parseArgs } from 'node:util';
import { modelVersionUri, policyVersionIdOf } from '@planner/domain';
import { loadStackConfig, StackError, stackStatus, stackUp } from '@planner/local-stack';
import { MlflowClient } from '@planner/mlflow-client';
import type { TopicEvents } from '@planner/schemas';
import pg from 'pg';
import { eventually } from './local-lifecycle/eventually.ts';
import { isolatedLifecycle, removeIdleEnvironments } from './local-lifecycle/isolated-lifecycle.ts';
import {
  clientBus,
  publishSyntheticWorld,
  type RunningService,
  readTopic,
  type ServiceName,
  startService,
} from './local-lifecycle/lifecycle-services.ts';
import { startTraffic } from './local-lifecycle/traffic-process.ts';

const { values } = parseArgs({
  options: {
    households: { type: 'string', default: '800' },
    weeks: { type: 'string', default: '6' },
    'traffic-rps': { type: 'string', default: '400' },
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

function passedOrThrow(decision: TopicEvents['gate.passed'] | TopicEvents['gate.rejected'], label: string): TopicEvents['gate.passed'] {
  if (!('experiment_id' in decision)) throw new Error(`${label} was rejected offline: ${JSON.stringify(decision.rules)}`);
  return decision;
}

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
    OBJECT_STORE_URL: `s3://${config.s3.bucket}/${life.id}`,
    TRAINING_AUTO_MODELS: 'planner',
    REGISTRY_POLL_SECONDS: '0',
    // The demo's experiments run seconds, not the days a real one runs: small samples, short dwell, frequent checks.
    MONITOR_MIN_DURATION_SECONDS: '0',
    MONITOR_MIN_UNITS_PER_ARM: '50',
    MONITOR_CHECK_INTERVAL_SECONDS: '2',
    MONITOR_SRM_GRACE_SECONDS: '3',
    GATE_RAMP_MIN_DWELL_SECONDS: '3',
    GATE_RAMP_MIN_UNITS_PER_ARM: '50',
    // Seed §6.3's "meets thresholds": at 100%, a healthy check (nothing worse) promotes.
    GATE_PROMOTE_ON: 'healthy',
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
  const modelName = life.env.REGISTERED_MODEL_NAME as string;
  const call = async (service: ServiceName, path: string, body?: unknown) => {
    const response = await fetch(`${services[service]?.address}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${life.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (response.status >= 300) throw new Error(`${service} ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const gateText = async (path: string) => (await fetch(`${services['promotion-gate']?.address}${path}`)).text();

  const datasetReady = async (version: string) => {
    const dataset = await eventually(
      `dataset ${version}`,
      async () => {
        // 404 until the dataset-builder has consumed the request from dataset.requested.
        const response = await fetch(`${services['dataset-builder']?.address}/v1/datasets/${version}`);
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
    return dataset;
  };

  /** The next model.registered after `known` versions, with its training shown as it runs. */
  const nextModel = async (label: string, known: number) => {
    const training = progress(`training ${label}`);
    const registered = await eventually(
      `model version ${known + 1}`,
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
        // Partitions keep no order between them: the version number tells which registration is the next.
        return (await readTopic(client.transport, 'model.registered')).find((m) => m.event.model_version === String(known + 1));
      },
      600_000,
    );
    training.end();
    step(`registered ${registered.event.model_uri} (run ${registered.event.run_id})`);
    return registered.event;
  };

  /** The replay of a registered model and the gate's offline decision on it. */
  const decide = async (model: TopicEvents['model.registered']) => {
    const replays = progress(`replaying model ${model.model_version}`);
    const completed = await eventually(
      `the replay of model ${model.model_version}`,
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
      `the gate decision on model ${model.model_version}`,
      async () =>
        [...(await readTopic(client.transport, 'gate.passed')), ...(await readTopic(client.transport, 'gate.rejected'))].find(
          (m) => m.event.replay_id === completed.replay_id,
        )?.event,
      120_000,
    );
    const baseline = (completed.baseline as { policy_version_id: string }).policy_version_id;
    const passed = 'experiment_id' in decision;
    step(`model ${model.model_version} vs ${baseline}: ${passed ? 'PASSED offline' : 'REJECTED offline'} (${decision.decision_id})`);
    return { completed, decision, baseline };
  };

  /**
   * Serves live traffic on an experiment until the gate ends it (promotion or
   * rollback), showing each online decision as it is made.
   */
  const serveUntilDecided = async (experimentId: string, extra: string[] = []) => {
    const traffic = startTraffic(
      [
        ...['--gate', String(services['promotion-gate']?.address), '--households', '200000', '--weeks', '1'],
        ...['--rps', String(values['traffic-rps']), '--seed', '7', '--refresh-ms', '200', ...extra],
      ],
      env,
    );
    const shown = new Set<string>();
    try {
      return await eventually(
        `the end of experiment ${experimentId}`,
        async () => {
          const decisions = (await call('promotion-gate', `/v1/experiments/${experimentId}/decisions`)) as unknown as {
            decision_id: string;
            kind: string;
            from_allocation: number;
            to_allocation: number;
            check_status: string | null;
            reason: string;
          }[];
          for (const d of decisions) {
            if (shown.has(d.decision_id)) continue;
            shown.add(d.decision_id);
            step(
              `  ${d.kind.padEnd(8)} ${pct(d.from_allocation)} → ${pct(d.to_allocation)}  on a ${d.check_status ?? 'manual'} check: ${d.reason.slice(0, 140)}`,
            );
          }
          return decisions.find((d) => d.kind === 'promote' || d.kind === 'rollback' || d.kind === 'abort');
        },
        300_000,
      );
    } finally {
      traffic.stop();
      const out = await traffic.done;
      const served = /([\d,]+) requests, ([\d,]+) events published/.exec(out);
      if (served) step(`  traffic stopped: ${served[1]} plan requests, ${served[2]} events`);
    }
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

    console.log('\n== model 1: offline gate, live experiment, ramp, promotion');
    const requested = await call('dataset-builder', '/v1/datasets', {
      model_name: 'planner',
      window_start: '2026-01-01T00:00:00Z',
      window_end: '2026-03-01T00:00:00Z',
      dataset_date: '2026-03-01',
    });
    step(`requested dataset ${requested.dataset_version}`);
    const dataset = await datasetReady(requested.dataset_version as string);
    const model1 = await nextModel('planner-ranker@1', 0);
    const offline1 = await decide(model1);
    const pass1 = passedOrThrow(offline1.decision, 'model 1');
    step(`experiment ${pass1.experiment_id} at ${pct(pass1.treatment_allocation)}: serving live traffic`);
    const end1 = await serveUntilDecided(pass1.experiment_id);
    if (end1.kind !== 'promote') throw new Error(`model 1 was not promoted: ${end1.kind}: ${end1.reason}`);
    const production = await eventually('the MLflow alias production on model 1', async () => {
      const version = await mlflow.getModelVersionByAlias(modelName, 'production').catch(() => undefined);
      return version?.version === model1.model_version ? version : undefined;
    });
    step(`promoted: MLflow alias production → ${modelVersionUri(modelName, production.version)} (tag stage=${production.tags.stage})`);

    console.log('\n== model 2: a recipe blind to allergies');
    await call('trainer-dispatcher', '/v1/training-jobs', {
      dataset_version: dataset.dataset_version,
      recipe_id: 'planner-ranker-ignores-allergies@1',
    });
    const model2 = await nextModel('planner-ranker-ignores-allergies@1', 1);
    const offline2 = await decide(model2);

    console.log('\n== model 3: passes offline, worse online');
    await call('trainer-dispatcher', '/v1/training-jobs', { dataset_version: dataset.dataset_version, recipe_id: 'planner-ranker@1' });
    const model3 = await nextModel('planner-ranker@1 again', 2);
    const offline3 = await decide(model3);
    const pass3 = passedOrThrow(offline3.decision, 'model 3');
    step(`experiment ${pass3.experiment_id}: its serving is degraded (--degrade-treatment 0.7), which no offline replay sees`);
    const end3 = await serveUntilDecided(pass3.experiment_id, ['--degrade-treatment', '0.7']);
    if (end3.kind !== 'rollback') throw new Error(`model 3 was not rolled back: ${end3.kind}`);
    const rolledBack = await eventually('the MLflow tag stage=rolled_back on model 3', async () => {
      const version = await mlflow.getModelVersion(modelName, model3.model_version);
      return version.tags.stage === 'rolled_back' ? version : undefined;
    });
    step(
      `rolled back automatically; MLflow version ${model3.model_version} tagged stage=rolled_back: ${rolledBack.tags.rollback_reason?.slice(0, 120)}`,
    );

    console.log('\n== the loop: the next dataset from the new traffic, the next model against the new production');
    const windowStart = (await db.query(`select min(occurred_at) as t from exp.events where producer = 'planner-traffic'`)).rows[0]
      .t as Date;
    const next = await call('dataset-builder', '/v1/datasets', {
      model_name: 'planner',
      window_start: new Date(windowStart.getTime() - 1000).toISOString(),
      window_end: new Date(Date.now() + 1000).toISOString(),
      dataset_date: new Date().toISOString().slice(0, 10),
    });
    step(`requested dataset ${next.dataset_version} over the live traffic`);
    await datasetReady(next.dataset_version as string);
    const model4 = await nextModel('planner-ranker@1 on live traffic', 3);
    const offline4 = await decide(model4);

    console.log('\n== report');
    const run = await mlflow.getRun(model1.run_id);
    console.log(`training run      ${config.mlflow.trackingUri}/#/experiments/${run.info.experimentId}/runs/${run.info.runId}`);
    console.log(`production        ${modelVersionUri(modelName, production.version)} (alias production)`);
    for (const [label, model, offline] of [
      ['model 1 (planner-ranker@1): promoted', model1, offline1],
      ['model 2 (ignores allergies): rejected offline', model2, offline2],
      ['model 3 (degraded online): rolled back', model3, offline3],
      ['model 4 (trained on live traffic)', model4, offline4],
    ] as const) {
      const summary = (offline.completed.summary ?? {}) as {
        offline_score?: { candidate: { estimate: number }; baseline: { estimate: number } };
      };
      const score = summary.offline_score;
      console.log(
        `\n${label}: offline score ${score ? `${num(score.candidate.estimate)} vs ${num(score.baseline.estimate)}` : '—'} against ${offline.baseline}`,
      );
      const decision = offline.decision as TopicEvents['gate.passed'] | TopicEvents['gate.rejected'];
      console.log(
        `  decision: ${'experiment_id' in decision ? 'PASSED' : 'REJECTED'} (${decision.decision_id}, gate config ${decision.config_version})`,
      );
      for (const rule of decision.rules) if (!rule.passed) console.log(`    FAIL  ${rule.rule}: ${rule.detail}`);
      const policyVersionId = policyVersionIdOf('planner', model.model_name, model.model_version);
      console.log(
        (await gateText(`/v1/lineage/${encodeURIComponent(policyVersionId)}?format=text`))
          .split('\n')
          .map((line) => `  ${line}`)
          .join('\n'),
      );
    }
    console.log(`\nMLflow UI:        ${config.mlflow.trackingUri}`);
    console.log(`services' HTTP:   promotion-gate ${services['promotion-gate']?.address}/docs (OpenAPI), stopped when the demo ends`);
    console.log(
      `data:             database ${life.id}, Kafka namespace '${life.namespace}' (kept for exploring until a later demo; KAFKA_NAMESPACE=${life.namespace} ./lifecycle topics tail experiment.checked --from-beginning)`,
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
