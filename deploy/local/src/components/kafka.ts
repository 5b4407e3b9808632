import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Component, componentPaths } from '../component.ts';
import { ensureJars } from '../jar-cache.ts';
import { requireJava } from '../prerequisites.ts';
import { runningPid, spawnDetached, stopByPidFile } from '../processes.ts';
import { assertPortFree, waitUntil } from '../readiness.ts';
import type { StackConfig } from '../stack-config.ts';
import { StackError } from '../stack-error.ts';
import { ensureTopics, kafkaReady, projectTopics } from '../topics.ts';

/** A single combined broker/controller in KRaft mode, dynamic quorum (formatted with --standalone). */
function serverProperties(config: StackConfig, dataDir: string): string {
  const { port, controllerPort } = config.kafka;
  return `${[
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${dataDir}`,
    // One node: internal topics must not ask for three replicas (kafkajs #1752).
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Topics come from schemas/topics.json only; a typo must not create a topic.
    'auto.create.topics.enable=false',
  ].join('\n')}\n`;
}

const LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.state.name = state.change.logger
logger.state.level = WARN
`;

export function kafkaComponent(config: StackConfig): Component {
  const paths = componentPaths(config, 'kafka');
  const dataDir = join(paths.home, 'data');
  const propertiesFile = join(paths.home, 'server.properties');

  return {
    name: 'kafka',

    async up() {
      if (!config.kafka.external && runningPid(paths.pidFile) === undefined) {
        const java = requireJava(17, 'Kafka');
        await assertPortFree(config.kafka.port, 'Kafka', 'PL_KAFKA_PORT');
        await assertPortFree(config.kafka.controllerPort, 'The Kafka controller', 'PL_KAFKA_CONTROLLER_PORT');
        const jars = await ensureJars(join(import.meta.dirname, '..', '..', 'jars', 'kafka.lock'), join(config.cacheDir, 'maven'));
        const classpath = jars.join(':');
        mkdirSync(dataDir, { recursive: true });
        writeFileSync(propertiesFile, serverProperties(config, dataDir));
        writeFileSync(join(paths.home, 'log4j2.properties'), LOG4J2);
        const log4j = `-Dlog4j2.configurationFile=${join(paths.home, 'log4j2.properties')}`;
        if (!existsSync(join(dataDir, 'meta.properties'))) {
          const uuid = spawnSync(java, [log4j, '-cp', classpath, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8' });
          const clusterId = uuid.stdout.trim().split('\n').pop();
          const format = clusterId
            ? spawnSync(
                java,
                [log4j, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', propertiesFile],
                { encoding: 'utf8' },
              )
            : uuid;
          if (format.status !== 0) {
            throw new StackError('START_FAILED', `Kafka storage format failed: ${`${format.stderr}`.trim().split('\n').pop()}`);
          }
        }
        spawnDetached({
          command: java,
          args: ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', log4j, '-cp', classpath, 'kafka.Kafka', propertiesFile],
          cwd: paths.home,
          logFile: paths.logFile,
          pidFile: paths.pidFile,
        });
      }
      await waitUntil(`Kafka at ${config.kafka.brokers.join(',')}`, () => kafkaReady(config.kafka.brokers), {
        timeoutMs: config.kafka.external ? 10_000 : 90_000,
        logFile: config.kafka.external ? 'KAFKA_BROKERS' : paths.logFile,
        ...(config.kafka.external ? {} : { stillRunning: () => runningPid(paths.pidFile) !== undefined }),
      });
      await ensureTopics(config.kafka.brokers, projectTopics(config.root));
    },

    down: () => (config.kafka.external ? Promise.resolve(false) : stopByPidFile(paths.pidFile, { group: false, graceMs: 60_000 })),

    async status() {
      const pid = config.kafka.external ? undefined : runningPid(paths.pidFile);
      return {
        name: 'kafka',
        mode: config.kafka.external ? 'external' : 'local',
        endpoint: config.kafka.brokers.join(','),
        ...(pid === undefined ? {} : { pid }),
        ready: await kafkaReady(config.kafka.brokers),
      };
    },
  };
}
