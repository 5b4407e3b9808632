import { EventBus, HEADER, KafkajsTransport } from '@planner/bus';
import { DEFAULT_WORLD_START_MS, generateSyntheticWorld } from '@planner/domain';
import { loadStackConfig, registerScrapeTarget } from '@planner/local-stack';
import { SchemaRegistry, type TopicEvents, type TopicName } from '@planner/schemas';
import { readConfig as datasetBuilderConfig } from '../../services/dataset-builder/src/config.ts';
import { startDatasetBuilder } from '../../services/dataset-builder/src/service.ts';
import { loadSyntheticWorld } from '../../services/dataset-builder/src/synthetic-load.ts';
import { readConfig as experimentMonitorConfig } from '../../services/experiment-monitor/src/config.ts';
import { startExperimentMonitor } from '../../services/experiment-monitor/src/service.ts';
import { readConfig as promotionGateConfig } from '../../services/promotion-gate/src/config.ts';
import { startPromotionGate } from '../../services/promotion-gate/src/service.ts';
import { readConfig as registrySyncConfig } from '../../services/registry-sync/src/config.ts';
import { startRegistrySync } from '../../services/registry-sync/src/service.ts';
import { readConfig as replayEvaluatorConfig } from '../../services/replay-evaluator/src/config.ts';
import { startReplayEvaluator } from '../../services/replay-evaluator/src/service.ts';
import { readConfig as trainerConfig } from '../../services/trainer-dispatcher/src/config.ts';
import { startTrainerDispatcher } from '../../services/trainer-dispatcher/src/service.ts';

export type ServiceName =
  | 'dataset-builder'
  | 'trainer-dispatcher'
  | 'registry-sync'
  | 'replay-evaluator'
  | 'promotion-gate'
  | 'experiment-monitor';
export interface RunningService {
  address: string;
  stop(): Promise<void>;
}

/** The replay-evaluators running in this process, by environment (Kafka namespace): their port is chosen at start. */
const replayEvaluators = new Map<string, string>();

/**
 * Starts one service in this process with `env` (what its main.ts would read).
 * A promotion-gate whose env names no REPLAY_EVALUATOR_URL reads its replays
 * from the replay-evaluator started here for the same environment, so start
 * that one first.
 */
export async function startService(name: ServiceName, env: Record<string, string | undefined>): Promise<RunningService> {
  const service = await startInProcess(name, env);
  // The local Prometheus (`./lifecycle stack up prometheus`), now or when it starts, scrapes the service while it runs.
  const unregister = registerScrapeTarget(loadStackConfig(), {
    service: name,
    address: service.address,
    environment: env.KAFKA_NAMESPACE ?? '',
  });
  return {
    address: service.address,
    stop: async () => {
      unregister();
      await service.stop();
    },
  };
}

async function startInProcess(name: ServiceName, env: Record<string, string | undefined>): Promise<RunningService> {
  const environment = env.KAFKA_NAMESPACE ?? '';
  switch (name) {
    case 'dataset-builder':
      return startDatasetBuilder(datasetBuilderConfig(env), env);
    case 'trainer-dispatcher':
      return startTrainerDispatcher(trainerConfig(env), env);
    case 'registry-sync':
      return startRegistrySync(registrySyncConfig(env), env);
    case 'replay-evaluator': {
      const service = await startReplayEvaluator(replayEvaluatorConfig(env), env);
      replayEvaluators.set(environment, service.address);
      return {
        address: service.address,
        stop: async () => {
          if (replayEvaluators.get(environment) === service.address) replayEvaluators.delete(environment);
          await service.stop();
        },
      };
    }
    case 'promotion-gate': {
      const peer = env.REPLAY_EVALUATOR_URL ?? replayEvaluators.get(environment);
      const gateEnv = peer === undefined ? env : { ...env, REPLAY_EVALUATOR_URL: peer };
      return startPromotionGate(promotionGateConfig(gateEnv), gateEnv);
    }
    case 'experiment-monitor':
      return startExperimentMonitor(experimentMonitorConfig(env), env);
  }
}

/** A bus client in the environment's namespace, as an upstream service or an engineer's tool would have. */
export function clientBus(env: Record<string, string>, producer: string) {
  const transport = new KafkajsTransport({
    brokers: env.KAFKA_BROKERS?.split(',') ?? [],
    clientId: producer,
    namespace: env.KAFKA_NAMESPACE ?? '',
  });
  return { transport, bus: new EventBus({ transport, registry: SchemaRegistry.load(), producer }) };
}

/** Generates a small synthetic world: domain tables into the database, events onto exp.events. */
export async function publishSyntheticWorld(
  env: Record<string, string>,
  bus: EventBus,
  options: { seed: number; households: number; weeks: number; missingMetadataRate?: number },
) {
  return loadSyntheticWorld(
    generateSyntheticWorld({ ...options, startMs: DEFAULT_WORLD_START_MS, correlationId: `synthetic-${options.seed}` }),
    {
      databaseUrl: env.DATABASE_URL as string,
      publish: (events) => bus.publishMany('exp.events', events, (e) => e.household_id),
    },
  );
}

/** Headers of every message on a dead-letter topic so far. */
export async function deadLetterHeaders(transport: KafkajsTransport, topic: TopicName): Promise<Record<string, string>[]> {
  const found: Record<string, string>[] = [];
  await transport.read({
    topic: `${topic}.dlt`,
    start: { from: 'beginning' },
    follow: false,
    onMessage: (message) => {
      found.push(message.headers);
      return true;
    },
  });
  return found;
}

/** Every message of `topic` (in the namespace) so far, decoded. */
export async function readTopic<T extends TopicName>(transport: KafkajsTransport, topic: T) {
  const registry = SchemaRegistry.load();
  const found: { event: TopicEvents[T]; headers: Record<string, string> }[] = [];
  await transport.read({
    topic,
    start: { from: 'beginning' },
    follow: false,
    onMessage: (message) => {
      if (message.value) found.push({ event: registry.decode(topic, message.value).value as TopicEvents[T], headers: message.headers });
      return true;
    },
  });
  return found;
}

export { HEADER };

/**
 * True once `group` has read `topic` to its end. A broker answer kafkajs
 * calls retriable (a coordinator moving or still loading) is "not yet", not a failure.
 */
export async function groupCaughtUp(transport: KafkajsTransport, group: string, topic: TopicName): Promise<boolean> {
  try {
    const lag = await transport.consumerLag(group, [topic]);
    return lag.length > 0 && lag.every((p) => p.lag === 0);
  } catch (error) {
    if ((error as { retriable?: unknown }).retriable === true) return false;
    throw error;
  }
}
