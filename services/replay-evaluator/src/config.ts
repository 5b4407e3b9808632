import { experimentName } from '@planner/mlflow-client';
import { type CommonConfig, ConfigReader, readCommonConfig } from '@planner/service-kit';

export interface ReplayEvaluatorConfig {
  common: CommonConfig;
  /** Plan a replay for every model.registered (REPLAY_ON_REGISTER). */
  replayOnRegister: boolean;
  /** Consume replay.shards in this process (REPLAY_WORKER); a planner-only replica turns it off. */
  worker: boolean;
  shardSize: number;
  /**
   * Policy calls a worker has in flight, across all the shards it holds
   * (REPLAY_ROW_CONCURRENCY). A runtime of latency L then plays at most
   * limit / L calls a second per worker (Little's law): size it to what the
   * runtime serves at once for one worker, e.g. an inference server's batch
   * capacity divided by the number of workers.
   */
  rowConcurrency: number;
  seed: number;
  /** The alias of the production model version (the baseline); the heuristic baseline while none has it. */
  baselineAlias: string;
  /** MLflow experiment of the replay runs: REPLAY_MLFLOW_EXPERIMENT under the namespace's rule (`experimentName`). */
  mlflowExperiment: string;
  /** Added to every policy call (benchmarks: a fixed simulated inference latency); 0 in production. */
  simulatedLatencyMs: number;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): ReplayEvaluatorConfig {
  const reader = new ConfigReader(env);
  const common = readCommonConfig(reader, 8084);
  const config = {
    common,
    replayOnRegister: reader.oneOf('REPLAY_ON_REGISTER', ['true', 'false'], 'true') === 'true',
    worker: reader.oneOf('REPLAY_WORKER', ['true', 'false'], 'true') === 'true',
    shardSize: reader.int('REPLAY_SHARD_SIZE', 25, { min: 1, max: 10_000 }),
    rowConcurrency: reader.int('REPLAY_ROW_CONCURRENCY', 16, { min: 1, max: 1024 }),
    seed: reader.int('REPLAY_SEED', 7, { min: 0, max: 2 ** 31 - 1 }),
    baselineAlias: reader.string('REPLAY_BASELINE_ALIAS', 'production'),
    mlflowExperiment: experimentName(reader.string('REPLAY_MLFLOW_EXPERIMENT', 'planner-replays'), common.kafkaNamespace),
    simulatedLatencyMs: reader.int('REPLAY_SIMULATED_LATENCY_MS', 0, { min: 0, max: 60_000 }),
  };
  reader.done();
  return config;
}
