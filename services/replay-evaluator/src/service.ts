import { MlflowClient, mlflowConfigFromEnv } from '@planner/mlflow-client';
import { ServiceRuntime } from '@planner/service-kit';
import { ReplayMetrics } from '@planner/telemetry';
import type { Logger } from 'pino';
import type { ReplayEvaluatorConfig } from './config.ts';
import { DatasetLocations } from './dataset-locations.ts';
import { EvaluationSplitCache } from './evaluation-rows.ts';
import { recordDataset } from './handlers/dataset-ready.ts';
import { modelRegisteredHandler } from './handlers/model-registered.ts';
import { replayShardHandler } from './handlers/replay-shards.ts';
import { InFlightLimit } from './in-flight-limit.ts';
import { PolicyResolver } from './policy-resolver.ts';
import { shardPartitionCount } from './replay-planner.ts';
import { replayProgress } from './replay-progress.ts';
import { replayRoutes } from './routes.ts';
import { type ReplayTables, replayMigrations } from './tables.ts';

export const SERVICE_NAME = 'replay-evaluator';
export const GROUPS = {
  datasetReady: `${SERVICE_NAME}.dataset-ready`,
  modelRegistered: `${SERVICE_NAME}.model-registered`,
  /** Every worker joins this one group: Kafka spreads the shards' partitions over them. */
  shards: `${SERVICE_NAME}.shards`,
} as const;

export async function startReplayEvaluator(config: ReplayEvaluatorConfig, env: NodeJS.ProcessEnv = process.env, logger?: Logger) {
  const mlflow = new MlflowClient(mlflowConfigFromEnv(env));
  const runtime = new ServiceRuntime<ReplayTables>({ name: SERVICE_NAME, config: config.common, ...(logger ? { logger } : {}) });
  await runtime.migrate(replayMigrations);
  const metrics = new ReplayMetrics(runtime.metrics, { worker: config.worker });
  metrics.trackProgress(() => replayProgress(runtime.db));
  const splits = new EvaluationSplitCache(env);
  const planning = {
    bus: runtime.bus,
    splits,
    shardSize: config.shardSize,
    seed: config.seed,
    shardPartitions: shardPartitionCount(runtime.topics),
  };

  runtime.subscribe({ groupId: GROUPS.datasetReady, topic: 'dataset.ready', handler: recordDataset });
  if (config.replayOnRegister) {
    runtime.subscribe({
      groupId: GROUPS.modelRegistered,
      topic: 'model.registered',
      // Looks up the baseline in MLflow: one event per transaction, as for every handler that calls out.
      maxBatchSize: 1,
      handler: modelRegisteredHandler({ ...planning, mlflow, baselineAlias: config.baselineAlias }),
    });
  }
  if (config.worker) {
    runtime.subscribe({
      groupId: GROUPS.shards,
      topic: 'replay.shards',
      // One shard per transaction: a shard takes seconds, and heartbeats go out between shards. Several partitions'
      // shards at once, so the in-flight limit stays full across shard boundaries; each holds a connection while it
      // runs (and writes its rows on another), which the pool of 10 bounds.
      maxBatchSize: 1,
      partitionsInParallel: 8,
      handler: replayShardHandler({
        db: runtime.db,
        bus: runtime.bus,
        mlflow,
        mlflowExperiment: config.mlflowExperiment,
        splits,
        datasets: new DatasetLocations(runtime.db),
        policies: new PolicyResolver(mlflow, config.simulatedLatencyMs),
        inFlight: new InFlightLimit(config.rowConcurrency),
        metrics,
      }),
    });
  }
  const app = await runtime.app({ mlflow: () => mlflow.ping() });
  replayRoutes(app, runtime.db, planning);
  const address = await runtime.start();
  return { address, runtime, stop: () => runtime.stop() };
}
