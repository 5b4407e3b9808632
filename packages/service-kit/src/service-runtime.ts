import {
  type BusTables,
  busMigrations,
  type Consumption,
  deadLetterTopic,
  EventBus,
  KafkajsTransport,
  type OutboxRelay,
  pruneInbox,
  type SubscribeOptions,
  type TopicAdmin,
} from '@planner/bus';
import { createDatabase, migrate } from '@planner/db';
import { SchemaRegistry, type TopicName } from '@planner/schemas';
import { BusMetrics, createLogger, startTracing } from '@planner/telemetry';
import type { FastifyInstance } from 'fastify';
import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { ConfigReader } from './config-reader.ts';
import { PollingLoop } from './polling-loop.ts';
import { createServiceApp } from './service-app.ts';

/** What every service reads from its environment besides its own settings. */
export interface CommonConfig {
  databaseUrl: string;
  kafkaBrokers: string[];
  host: string;
  port: number;
  authTokens: string[];
  /** Prefix of every topic and consumer group on the broker (KAFKA_NAMESPACE), for environments sharing a cluster. */
  kafkaNamespace: string;
  /** How long an event id stays in the inbox (BUS_INBOX_RETENTION_DAYS): a redelivery within it is recognised. */
  inboxRetentionDays: number;
  /**
   * How long work that fails because MLflow, S3 or another remote dependency
   * is unavailable keeps being retried before it is given up (dead-lettered,
   * marked failed): DEPENDENCY_RETRY_BUDGET_SECONDS, default 600.
   */
  dependencyBudgetSeconds: number;
  /** LOG_LEVEL, default info: the service's lines and its Kafka client's, from this level up. */
  logLevel: LogLevel;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const DAY_MS = 24 * 60 * 60 * 1000;

export function readCommonConfig(reader: ConfigReader, defaultPort: number): CommonConfig {
  return {
    databaseUrl: reader.url('DATABASE_URL'),
    kafkaBrokers: reader.list('KAFKA_BROKERS', undefined, { test: /^[^\s:]+:\d+$/, describe: 'host:port' }),
    host: reader.string('HOST', '127.0.0.1'),
    port: reader.int('PORT', defaultPort, { min: 0, max: 65535 }),
    authTokens: reader.list('AUTH_TOKENS', undefined, { test: /^.{16,}$/, describe: 'at least 16 characters' }),
    kafkaNamespace: reader.string('KAFKA_NAMESPACE', ''),
    // Longer than Kafka's default topic retention (7 days), so any replay the broker can serve is still deduplicated.
    inboxRetentionDays: reader.int('BUS_INBOX_RETENTION_DAYS', 30, { min: 1, max: 3650 }),
    dependencyBudgetSeconds: reader.int('DEPENDENCY_RETRY_BUDGET_SECONDS', 600, { min: 1, max: 7 * 24 * 3600 }),
    logLevel: reader.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  };
}

/** A background loop a service runs beside its consumers (outbox relay, job workers). */
export interface Worker {
  start(): void;
  stop(): Promise<void>;
}

/**
 * The parts every service is made of, wired once: database with the bus
 * tables and the service's own migrations, the event bus with metrics,
 * tracing, a logger, the outbox relay, and the HTTP app. `start` subscribes and
 * listens; `stop` is the graceful shutdown: stop taking HTTP requests, let
 * consumers finish in-flight work and commit, stop workers, flush the outbox,
 * close connections.
 */
export class ServiceRuntime<DB> {
  readonly name: string;
  readonly config: CommonConfig;
  readonly db: Kysely<DB & BusTables>;
  readonly bus: EventBus;
  readonly metrics = new Registry();
  readonly logger: Logger;
  readonly #transport: KafkajsTransport;
  readonly #relay: OutboxRelay<DB & BusTables>;
  readonly #tracing: { shutdown(): Promise<void> };
  readonly #subscriptions: (() => Promise<Consumption>)[] = [];
  readonly #running: Consumption[] = [];
  readonly #workers: Worker[] = [];
  #app: FastifyInstance | undefined;

  constructor(options: { name: string; config: CommonConfig; logger?: Logger }) {
    this.name = options.name;
    this.config = options.config;
    this.logger = options.logger ?? createLogger(options.name, { level: options.config.logLevel });
    this.#tracing = startTracing({ serviceName: options.name });
    this.db = createDatabase<DB & BusTables>(options.config.databaseUrl, {
      onConnectionError: (error) => this.logger.warn({ err: error }, 'a PostgreSQL connection was lost; the pool reconnects'),
    });
    this.#transport = new KafkajsTransport({
      brokers: options.config.kafkaBrokers,
      clientId: options.name,
      namespace: options.config.kafkaNamespace,
      log: (level, message, fields) => this.logger[level]({ ...fields, component: 'kafkajs' }, message),
      level: this.logger.level,
    });
    this.bus = new EventBus({
      transport: this.#transport,
      registry: SchemaRegistry.load(),
      producer: options.name,
      metrics: new BusMetrics(this.metrics),
    });
    this.#relay = this.bus.relay(this.db, {
      onError: (error) => this.logger.error({ err: error }, 'outbox relay failed; retrying'),
      onParked: (parked) =>
        this.logger.error({ outbox: parked }, 'the broker refused an outbox message for good; parked in exp.outbox_parked'),
    });
    this.addWorker(this.#inboxPruner());
  }

  /** Hourly, deletes inbox rows older than the retention, so the inbox stays the size of its window. */
  #inboxPruner(): PollingLoop {
    return new PollingLoop({
      idleMs: 60 * 60 * 1000,
      step: async () => {
        const cutoff = new Date(Date.now() - this.config.inboxRetentionDays * DAY_MS);
        const deleted = await pruneInbox(this.db, cutoff);
        if (deleted > 0) this.logger.info({ deleted, before: cutoff.toISOString() }, 'inbox pruned');
        return false;
      },
      onError: (error) => this.logger.error({ err: error }, 'inbox pruning failed; retrying in an hour'),
    });
  }

  /** The Kafka admin port, in this service's namespace: end and committed offsets, group state. */
  get topics(): TopicAdmin {
    return this.#transport;
  }

  /** Applies the bus tables and then the service's own migrations. */
  async migrate(migrations: Record<string, Migration>): Promise<void> {
    await migrate(this.db, 'bus', busMigrations);
    await migrate(this.db, this.name, migrations);
  }

  subscribe<T extends TopicName>(options: Omit<SubscribeOptions<T, DB>, 'db' | 'onDeadLetter'>): void {
    this.#subscriptions.push(() =>
      this.bus.subscribe({
        ...options,
        retry: { transientBudgetMs: this.config.dependencyBudgetSeconds * 1000, ...options.retry },
        db: this.db,
        // One line per dead letter, naming the event and the reason's code: the letter itself is safe on the DLT.
        onDeadLetter: (message, error) =>
          this.logger.warn(
            {
              topic: options.topic,
              partition: message.partition,
              offset: message.offset,
              event_id: error.eventId,
              code: error.code,
              attempts: error.attempts,
              reason: error.message,
            },
            `event dead-lettered to ${deadLetterTopic(options.topic)}`,
          ),
        onWait: (message, error, waitMs) =>
          this.logger.warn(
            { topic: options.topic, partition: message.partition, offset: message.offset, err: error, retry_in_ms: waitMs },
            'a dependency is unavailable; the partition waits',
          ),
      } as SubscribeOptions<T, DB>),
    );
  }

  addWorker(worker: Worker): void {
    this.#workers.push(worker);
  }

  /** Builds the HTTP app; readiness checks PostgreSQL and Kafka plus `readiness`. */
  async app(readiness: Record<string, () => Promise<void>> = {}): Promise<FastifyInstance> {
    this.#app ??= await createServiceApp({
      name: this.name,
      version: '1',
      metrics: this.metrics,
      authTokens: this.config.authTokens,
      logger: this.logger,
      readiness: {
        postgres: async () => {
          await sql`select 1`.execute(this.db);
        },
        kafka: async () => {
          await this.#transport.consumerLag(`${this.name}-readiness`, ['dataset.ready']);
        },
        consumers: async () => {
          const unhealthy = this.#running.map((c) => c.health()).filter((h) => !h.healthy);
          if (unhealthy.length > 0) throw new Error(unhealthy.map((h) => h.reason).join('; '));
        },
        ...readiness,
      },
    });
    return this.#app;
  }

  async start(): Promise<string> {
    this.#relay.start();
    for (const worker of this.#workers) worker.start();
    // Consumers join their groups at the same time: each join waits for its first fetch.
    const joined = await Promise.allSettled(this.#subscriptions.map((subscribe) => subscribe()));
    for (const result of joined) if (result.status === 'fulfilled') this.#running.push(result.value);
    const failed = joined.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const app = await this.app();
    return app.listen({ host: this.config.host, port: this.config.port });
  }

  async stop(): Promise<void> {
    await this.#app?.close();
    await Promise.all(this.#running.splice(0).map((c) => c.stop()));
    await Promise.all(this.#workers.map((w) => w.stop()));
    await this.#relay.stop();
    await this.#transport.close();
    await this.db.destroy();
    await this.#tracing.shutdown();
  }
}

/** Runs a service until SIGTERM or SIGINT, then stops it gracefully; start-up errors exit 1 with one line. */
export async function runUntilSignalled(name: string, start: () => Promise<{ stop(): Promise<void>; address: string }>): Promise<void> {
  let service: { stop(): Promise<void>; address: string };
  try {
    service = await start();
  } catch (error) {
    console.error(`${name}: ${(error as Error).message}`);
    process.exit(1);
  }
  console.log(`${name} listening on ${service.address}`);
  const shutdown = async (signal: string) => {
    console.log(`${name}: ${signal}, finishing in-flight work`);
    await service.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
