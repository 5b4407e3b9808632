import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  lag: number;
}

/** The bus's Prometheus metrics, registered on the service's registry. */
export class BusMetrics {
  readonly #lagSources: (() => Promise<PartitionLag[]>)[] = [];
  readonly produced: Counter<'topic'>;
  readonly consumed: Counter<'topic' | 'outcome'>;
  readonly handlerFailures: Counter<'topic'>;
  readonly deadLettered: Counter<'topic' | 'code'>;
  readonly handlerDuration: Histogram<'topic'>;
  readonly outboxBacklog: Gauge<'producer'>;
  readonly outboxOldestAge: Gauge<'producer'>;
  readonly outboxParked: Counter<'producer' | 'topic'>;
  readonly dependencyWaits: Counter<'topic'>;
  readonly consumerLag: Gauge<'group' | 'topic' | 'partition'>;
  readonly lastProcessed: Gauge<'topic'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.produced = new Counter({
      name: 'planner_bus_messages_produced_total',
      help: 'Messages the broker acknowledged, by topic.',
      labelNames: ['topic'],
      registers,
    });
    this.consumed = new Counter({
      name: 'planner_bus_messages_consumed_total',
      help: 'Messages consumed, by topic and outcome (processed, duplicate, dead_lettered).',
      labelNames: ['topic', 'outcome'],
      registers,
    });
    this.handlerFailures = new Counter({
      name: 'planner_bus_handler_failures_total',
      help: 'Failed handler attempts, retried or not.',
      labelNames: ['topic'],
      registers,
    });
    this.deadLettered = new Counter({
      name: 'planner_bus_dead_lettered_total',
      help: 'Messages sent to <topic>.dlt, by error code.',
      labelNames: ['topic', 'code'],
      registers,
    });
    this.handlerDuration = new Histogram({
      name: 'planner_bus_handler_duration_seconds',
      help: 'Time one handler call took, inside its transaction (duplicates are not handled).',
      labelNames: ['topic'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    });
    this.outboxBacklog = new Gauge({
      name: 'planner_bus_outbox_backlog',
      help: 'Outbox rows not yet acknowledged by the broker.',
      labelNames: ['producer'],
      registers,
    });
    this.outboxOldestAge = new Gauge({
      name: 'planner_bus_outbox_oldest_age_seconds',
      help: 'Age of the oldest outbox row not yet acknowledged by the broker (0 when the outbox is empty).',
      labelNames: ['producer'],
      registers,
    });
    this.outboxParked = new Counter({
      name: 'planner_bus_outbox_parked_total',
      help: 'Outbox messages the broker refused for good (e.g. too large), moved to exp.outbox_parked so later ones can leave.',
      labelNames: ['producer', 'topic'],
      registers,
    });
    this.dependencyWaits = new Counter({
      name: 'planner_bus_dependency_waits_total',
      help: 'Times a consumer paused its partition because a dependency (PostgreSQL, Kafka, MLflow, S3) was unavailable.',
      labelNames: ['topic'],
      registers,
    });
    const sources = this.#lagSources;
    this.consumerLag = new Gauge({
      name: 'planner_bus_consumer_lag',
      help: 'Messages between a group committed offset and the partition end, read from the broker at scrape time.',
      labelNames: ['group', 'topic', 'partition'],
      registers,
      async collect() {
        const rows = (await Promise.allSettled(sources.map((source) => source()))).flatMap((r) =>
          r.status === 'fulfilled' ? r.value : [],
        );
        for (const row of rows) this.set({ group: row.group, topic: row.topic, partition: String(row.partition) }, row.lag);
      },
    });
    // Derived at scrape from the processed count, so the bus needs no second call per event: the time is that of the first
    // scrape to see the count grow, late by at most one scrape interval — well inside any stage's expected interval.
    const consumed = this.consumed;
    const processedSeen = new Map<string, number>();
    this.lastProcessed = new Gauge({
      name: 'planner_bus_last_processed_timestamp_seconds',
      help: "Unix time a handler last committed an event of this topic (a stage's last success), to within one scrape interval.",
      labelNames: ['topic'],
      registers,
      async collect() {
        const now = Date.now() / 1000;
        for (const { labels, value } of (await consumed.get()).values) {
          const topic = String(labels.topic);
          if (labels.outcome !== 'processed' || value <= (processedSeen.get(topic) ?? 0)) continue;
          processedSeen.set(topic, value);
          this.set({ topic }, now);
        }
      },
    });
  }

  /** Adds a consumer group whose lag each scrape reads from the broker. */
  trackLag(source: () => Promise<PartitionLag[]>): void {
    this.#lagSources.push(source);
  }
}
