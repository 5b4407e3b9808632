/**
 * Replay throughput with 1, 2 and 4 workers, and the evaluator's own overhead.
 *
 *   ./lifecycle bench replay [--households 6000] [--weeks 6] [--latency-ms 20]
 *
 * One isolated environment (its own database and Kafka namespace) holds a
 * synthetic world loaded with COPY and one dataset version built from it. The
 * candidate is a registered model version whose `planner.runtime_spec` tag
 * makes it the heuristic planner, so both policies cost the same and only the
 * replay machinery and the simulated inference latency are measured:
 * - throughput: a planner-only replay-evaluator in this process and n worker
 *   processes (`services/replay-evaluator/src/main.ts`) in one consumer group;
 *   every policy call waits --latency-ms (REPLAY_SIMULATED_LATENCY_MS), each
 *   worker with its default in-flight limit; timed from POST /v1/replays to
 *   `completed`, a fresh seed each time so nothing is reused. The time splits
 *   into the workers' part (the first shard started until the last is done),
 *   the shards with planning and delivery (the replay's creation until the last
 *   shard is done) and the aggregation (one process, once: bootstrap, digest,
 *   MLflow run). Scaling efficiency = rate_n / (n × rate_1), for each of the
 *   three spans.
 * - overhead: per policy call, what a worker spends on top of the bare call
 *   (the peer, timed in process): its CPU time (utime + stime) during a replay
 *   with one worker and no simulated latency, divided by the calls, minus the
 *   bare call's. Aggregation runs in the worker too and is counted.
 * This machine has 2 cores: 4 worker processes share them with the servers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { KafkajsTransport } from '@planner/bus';
import { createDatabase, migrate } from '@planner/db';
import { DEFAULT_WORLD_START_MS, generateSyntheticWorld, indexRecipes } from '@planner/domain';
import { assertStackReachable, loadStackConfig } from '@planner/local-stack';
import { MlflowClient } from '@planner/mlflow-client';
import { HeuristicRuntime, RUNTIME_SPEC_TAG, runPolicy } from '@planner/policy-runtime';
import pg from 'pg';
import { isolatedLifecycle } from '../scripts/local-lifecycle/isolated-lifecycle.ts';
import { clientBus, startService } from '../scripts/local-lifecycle/lifecycle-services.ts';
import { writeDatasetFiles } from '../services/dataset-builder/src/dataset-files.ts';
import { loadSyntheticWorld } from '../services/dataset-builder/src/synthetic-load.ts';
import { datasetBuilderMigrations } from '../services/dataset-builder/src/tables.ts';
import { readEvaluationSplit } from '../services/replay-evaluator/src/evaluation-rows.ts';
import { evaluateRow } from '../services/replay-evaluator/src/row-evaluation.ts';
import { GROUPS } from '../services/replay-evaluator/src/service.ts';

const { values } = parseArgs({
  options: {
    households: { type: 'string', default: '6000' },
    weeks: { type: 'string', default: '6' },
    'latency-ms': { type: 'string', default: '20' },
  },
});
const LATENCY = Number(values['latency-ms']);
const stack = loadStackConfig();
await assertStackReachable(stack, ['postgres', 'kafka', 'mlflow']);
process.env.LOG_LEVEL ??= 'warn';

const life = await isolatedLifecycle(stack, 'bench_replay');
const scratch = mkdtempSync(join(tmpdir(), 'pl-bench-replay-'));
const workers = new Set<ChildProcess>();
const SHARDS_GROUP = GROUPS.shards;
const env = { ...life.env, REPLAY_WORKER: 'false' };

async function startWorker(latencyMs: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(stack.root, 'services/replay-evaluator/src/main.ts')], {
    env: { ...process.env, ...env, REPLAY_WORKER: 'true', REPLAY_ON_REGISTER: 'false', REPLAY_SIMULATED_LATENCY_MS: String(latencyMs) },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  workers.add(child);
  child.once('exit', () => workers.delete(child));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('listening on') && resolve());
    child.once('exit', (code) => reject(new Error(`a replay worker exited with ${code}`)));
  });
  return child;
}

async function stopWorkers(): Promise<void> {
  await Promise.all(
    [...workers].map(
      (w) =>
        new Promise<void>((resolve) => {
          w.once('exit', () => resolve());
          w.kill('SIGTERM');
        }),
    ),
  );
}

try {
  // The world and one dataset version, without Kafka.
  const db = createDatabase(life.databaseUrl);
  await migrate(db, 'dataset-builder', datasetBuilderMigrations);
  const world = { seed: 3, households: Number(values.households), weeks: Number(values.weeks), startMs: DEFAULT_WORLD_START_MS };
  await loadSyntheticWorld(generateSyntheticWorld(world), { databaseUrl: life.databaseUrl });
  const folder = join(scratch, 'datasets', 'planner', '2026-03-01');
  mkdirSync(folder, { recursive: true });
  const pins = { datasetVersion: 'planner/2026-03-01', windowStart: new Date(0), windowEnd: new Date('2100-01-01'), splitSeed: 42 };
  const built = await writeDatasetFiles(life.databaseUrl, db as never, pins, folder);
  const location = `file://${folder}/`;
  const split = await readEvaluationSplit(location);

  // A candidate model version the replay plays with the heuristic runtime.
  const mlflow = new MlflowClient({ trackingUri: stack.mlflow.trackingUri });
  const modelName = `bench_replay_${life.id}`;
  const experiment = await mlflow.getOrCreateExperiment('bench-replay');
  const run = await mlflow.createRun({ experimentId: experiment });
  await mlflow.uploadArtifact(run.info.runId, 'model/README.txt', 'played by the heuristic runtime');
  await mlflow.createRegisteredModel(modelName);
  const version = await mlflow.createModelVersion({ name: modelName, source: `${run.info.artifactUri}/model`, runId: run.info.runId });
  await mlflow.setModelVersionTag(modelName, version.version, RUNTIME_SPEC_TAG, JSON.stringify({ kind: 'heuristic' }));

  const planner = await startService('replay-evaluator', env);
  const client = clientBus(life.env, 'bench');
  await client.bus.publish(
    'dataset.ready',
    client.bus.event(
      'dataset.ready',
      {
        dataset_version: pins.datasetVersion,
        model_name: 'planner',
        location,
        digest: built.digest,
        row_count: built.profile.rows,
        field_count: built.fieldCount,
        split: built.profile.splits,
        mlflow_run_id: 'bench',
      },
      'bench',
    ),
  );
  let seed = 100;
  const timings = new pg.Client({ connectionString: life.databaseUrl });
  await timings.connect();
  interface Timed {
    rows: number;
    seconds: number;
    /** From planning until the last shard was done, and from then until completed. */
    shardSeconds: number;
    aggregationSeconds: number;
    /** From the first shard a worker started until the last was done: the part the workers share. */
    workerSeconds: number;
  }
  const replay = async (): Promise<Timed> => {
    const post = async () =>
      fetch(`${planner.address}/v1/replays`, {
        method: 'POST',
        headers: { authorization: `Bearer ${life.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          candidate: { model_name: modelName, model_version: version.version },
          baseline: 'heuristic',
          dataset_version: pins.datasetVersion,
          seed: seed++,
        }),
      });
    const t0 = performance.now();
    let response = await post();
    // The planner learns the dataset's location from dataset.ready: retry until it has.
    while (response.status === 404 && performance.now() - t0 < 30_000) {
      await sleep(200);
      seed--;
      response = await post();
    }
    const started = performance.now();
    const body = (await response.json()) as { replay_id: string; row_count: number };
    for (;;) {
      const state = (await (await fetch(`${planner.address}/v1/replays/${body.replay_id}`)).json()) as { status: string };
      if (state.status === 'completed') break;
      await sleep(50);
    }
    const seconds = (performance.now() - started) / 1000;
    // A shard's handling starts with its inbox row (processed_at is its transaction's start); replays run one at a time.
    const { rows } = await timings.query<{ shards: number; aggregation: number; workers: number }>(
      `select extract(epoch from max(s.done_at) - r.created_at)::float8 as shards,
              extract(epoch from r.completed_at - max(s.done_at))::float8 as aggregation,
              extract(epoch from max(s.done_at) - (
                select min(e.processed_at) from exp.processed_events e
                where e.topic = 'replay.shards' and e.processed_at >= r.created_at))::float8 as workers
       from exp.replays r join exp.replay_shards s using (replay_id)
       where r.replay_id = $1 group by r.replay_id, r.created_at, r.completed_at`,
      [body.replay_id],
    );
    const phases = rows[0] as { shards: number; aggregation: number; workers: number };
    return {
      rows: body.row_count,
      seconds,
      shardSeconds: phases.shards,
      aggregationSeconds: phases.aggregation,
      workerSeconds: phases.workers,
    };
  };
  const admin = new KafkajsTransport({ brokers: stack.kafka.brokers, clientId: 'bench-replay', namespace: life.env.KAFKA_NAMESPACE ?? '' });
  /** Until the workers' group is stable with all n members (joining and rebalancing take a few seconds). */
  const settled = async (n: number) => {
    for (let waited = 0; ; waited += 200) {
      const { state, members } = await admin.groupState(SHARDS_GROUP);
      if (state === 'Stable' && members === n) return;
      if (waited > 60_000) throw new Error(`the workers' group is ${state} with ${members} members after 60 s, not Stable with ${n}`);
      await sleep(200);
    }
  };
  /** CPU seconds (user + system) a process has used so far. */
  const cpuSeconds = (pid: number) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };

  console.log(`evaluation split: ${split.rows.length} rows; each row plays 2 policies; simulated latency ${LATENCY} ms per call; 2 cores`);
  const rates: Record<number, { workers: number; shards: number; total: number }> = {};
  for (const n of [1, 2, 4]) {
    for (let i = 0; i < n; i++) await startWorker(LATENCY);
    await settled(n);
    await replay(); // warm-up: loads the split and runtimes in every worker
    const t = await replay();
    const rate = { workers: t.rows / t.workerSeconds, shards: t.rows / t.shardSeconds, total: t.rows / t.seconds };
    rates[n] = rate;
    const one = rates[1] as typeof rate;
    const efficiency = (key: keyof typeof rate) => (rate[key] / (n * one[key])).toFixed(2);
    console.log(
      `${n} worker${n > 1 ? 's' : ' '}: ${t.rows} rows in ${t.seconds.toFixed(2)} s = ${rate.total.toFixed(0)} rows/s; ` +
        `workers ${t.workerSeconds.toFixed(2)} s, shards with planning and delivery ${t.shardSeconds.toFixed(2)} s, aggregation ${t.aggregationSeconds.toFixed(2)} s` +
        (n > 1
          ? `; scaling efficiency: workers ${efficiency('workers')}, shards ${efficiency('shards')}, end to end ${efficiency('total')}`
          : ''),
    );
    await stopWorkers();
  }

  // The evaluator's own work per call, against the bare policy call.
  const byId = indexRecipes(split.catalogue);
  const heuristic = new HeuristicRuntime(split.catalogue);
  const time = async (fn: () => Promise<void>) => {
    const t0 = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(t0);
    return (used.user + used.system) / split.rows.length;
  };
  await time(async () => {
    for (const row of split.rows) await runPolicy(heuristic, row.context);
  });
  const bare = await time(async () => {
    for (const row of split.rows) await runPolicy(heuristic, row.context);
  });
  const scored = await time(async () => {
    for (const row of split.rows) await evaluateRow(heuristic, row, byId);
  });
  const worker = await startWorker(0);
  await settled(1);
  await replay();
  const cpu0 = cpuSeconds(worker.pid as number);
  const unloaded = await replay();
  const workerCpu = ((cpuSeconds(worker.pid as number) - cpu0) * 1e6) / (unloaded.rows * 2);
  await stopWorkers();
  console.log(`\nper policy call, heuristic runtime, CPU time: bare runPolicy ${bare.toFixed(0)} µs (the peer)`);
  console.log(`  + rowMetrics and offline score in process: ${scored.toFixed(0)} µs (${(scored / bare).toFixed(2)}× the bare call)`);
  console.log(
    `  worker process, 1 worker, no simulated latency: ${workerCpu.toFixed(0)} µs per call, ` +
      `overhead ${(workerCpu - bare).toFixed(0)} µs over the bare call (${(workerCpu / bare).toFixed(1)}×); ` +
      `${(unloaded.rows / unloaded.seconds).toFixed(0)} rows/s end to end with both policies`,
  );
  await admin.close();
  await timings.end();
  await db.destroy();
  await planner.stop();
  await client.transport.close();
} finally {
  for (const w of workers) w.kill('SIGKILL');
  await life.cleanup();
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(0);
