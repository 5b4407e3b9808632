/**
 * Replay throughput with 1, 2 and 4 workers, and the evaluator's own overhead.
 *
 *   ./lifecycle bench replay [--households 1500] [--weeks 6] [--latency-ms 20]
 *
 * One isolated environment (its own database and Kafka namespace) holds a
 * synthetic world loaded with COPY and one dataset version built from it. The
 * candidate is a registered model version whose `planner.runtime_spec` tag
 * makes it the heuristic planner, so both policies cost the same and only the
 * replay machinery and the simulated inference latency are measured:
 * - throughput: a planner-only replay-evaluator in this process and n worker
 *   processes (`services/replay-evaluator/src/main.ts`) in one consumer group;
 *   every policy call waits --latency-ms (REPLAY_SIMULATED_LATENCY_MS), rows
 *   4 at a time per worker; timed from POST /v1/replays to `completed`, a fresh
 *   seed each time so nothing is reused. Scaling efficiency = rate_n / (n × rate_1).
 * - overhead: per row, what the worker adds to the bare policy call (the peer):
 *   rowMetrics + offline score in process, and the whole path end to end with
 *   one worker and no simulated latency.
 * This machine has 2 cores: 4 worker processes share them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createDatabase, migrate } from '@planner/db';
import { DEFAULT_WORLD_START_MS, generateSyntheticWorld, indexRecipes } from '@planner/domain';
import { assertStackReachable, loadStackConfig } from '@planner/local-stack';
import { MlflowClient } from '@planner/mlflow-client';
import { HeuristicRuntime, RUNTIME_SPEC_TAG, runPolicy } from '@planner/policy-runtime';
import { isolatedLifecycle } from '../scripts/local-lifecycle/isolated-lifecycle.ts';
import { clientBus, startService } from '../scripts/local-lifecycle/lifecycle-services.ts';
import { writeDatasetFiles } from '../services/dataset-builder/src/dataset-files.ts';
import { loadSyntheticWorld } from '../services/dataset-builder/src/synthetic-load.ts';
import { datasetBuilderMigrations } from '../services/dataset-builder/src/tables.ts';
import { readEvaluationSplit } from '../services/replay-evaluator/src/evaluation-rows.ts';
import { evaluateRow } from '../services/replay-evaluator/src/row-evaluation.ts';

const { values } = parseArgs({
  options: {
    households: { type: 'string', default: '1500' },
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
const env = { ...life.env, REPLAY_WORKER: 'false', REPLAY_SHARD_SIZE: '10' };

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
  await db.destroy();
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
  const replay = async (): Promise<{ rows: number; seconds: number }> => {
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
      if (state.status === 'completed') return { rows: body.row_count, seconds: (performance.now() - started) / 1000 };
      await sleep(100);
    }
  };

  console.log(`evaluation split: ${split.rows.length} rows; each row plays 2 policies; simulated latency ${LATENCY} ms per call; 2 cores`);
  const rates: Record<number, number> = {};
  for (const n of [1, 2, 4]) {
    for (let i = 0; i < n; i++) await startWorker(LATENCY);
    await sleep(3000); // let the group settle with all members
    await replay(); // warm-up: loads the split and runtimes in every worker
    const { rows, seconds } = await replay();
    rates[n] = rows / seconds;
    console.log(
      `${n} worker${n > 1 ? 's' : ' '}: ${rows} rows in ${seconds.toFixed(1)} s = ${(rows / seconds).toFixed(1)} rows/s` +
        (n > 1 ? `, scaling efficiency ${((rates[n] as number) / (n * (rates[1] as number))).toFixed(2)}` : ''),
    );
    await stopWorkers();
  }

  // The evaluator's own work per row, against the bare policy call.
  const byId = indexRecipes(split.catalogue);
  const heuristic = new HeuristicRuntime(split.catalogue);
  const time = async (fn: () => Promise<void>) => {
    const t0 = performance.now();
    await fn();
    return ((performance.now() - t0) * 1000) / split.rows.length;
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
  await startWorker(0);
  await sleep(3000);
  await replay();
  const endToEnd = await replay();
  await stopWorkers();
  const perRowEndToEnd = (endToEnd.seconds * 1e6) / endToEnd.rows / 2;
  console.log(`\nper policy call, heuristic runtime: bare runPolicy ${bare.toFixed(0)} µs (the peer)`);
  console.log(`  + rowMetrics and offline score in process: ${scored.toFixed(0)} µs (${(scored / bare).toFixed(2)}× the bare call)`);
  console.log(
    `  whole worker path, 1 worker, no simulated latency: ${perRowEndToEnd.toFixed(0)} µs (${(perRowEndToEnd / bare).toFixed(1)}× the bare call; ` +
      `${(endToEnd.rows / endToEnd.seconds).toFixed(1)} rows/s with both policies)`,
  );
  await planner.stop();
  await client.transport.close();
} finally {
  for (const w of workers) w.kill('SIGKILL');
  await life.cleanup();
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(0);
