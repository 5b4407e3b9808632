import { setTimeout as sleep } from 'node:timers/promises';
import type { BusMetrics } from '@planner/telemetry';
import { type Kysely, sql } from 'kysely';
import type { BusTables } from './bus-tables.ts';
import type { MessageTransport } from './transport.ts';

export interface OutboxRelayOptions<DB extends BusTables = BusTables> {
  db: Kysely<DB>;
  transport: MessageTransport;
  /** Relays only this producer's rows, so services sharing a database keep their own outbox. */
  producer: string;
  batchSize?: number;
  idleDelayMs?: number;
  metrics?: BusMetrics;
  onError?: (error: unknown) => void;
}

/**
 * Moves outbox rows to Kafka in id order. Each batch runs in one transaction
 * holding the producer's advisory lock and the rows' locks: only one relay per
 * producer sends at a time (per-key order holds across replicas), and a row is
 * deleted only after the broker acknowledged it. A crash between the two
 * re-sends the row on restart; consumers drop the duplicate by event id.
 */
export class OutboxRelay<DB extends BusTables = BusTables> {
  readonly #options: Required<Omit<OutboxRelayOptions, 'onError' | 'metrics'>> & Pick<OutboxRelayOptions, 'onError' | 'metrics'>;
  #running: Promise<void> | undefined;
  #stopping = false;

  constructor(options: OutboxRelayOptions<DB>) {
    // Only the bus tables are touched; the wider database type is the caller's.
    this.#options = { batchSize: 500, idleDelayMs: 100, ...options, db: options.db as unknown as Kysely<BusTables> };
  }

  start(): void {
    this.#stopping = false;
    this.#running ??= this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#running;
    this.#running = undefined;
  }

  /** Sends one batch; returns how many rows it relayed (0 when idle or another relay holds the lock). */
  async relayOnce(): Promise<number> {
    const { db, transport, producer, batchSize } = this.#options;
    return db.transaction().execute(async (trx) => {
      const lock = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext(${`outbox:${producer}`})) as locked`.execute(
        trx,
      );
      if (!lock.rows[0]?.locked) return 0;
      const rows = await trx
        .selectFrom('exp.outbox')
        .select(['id', 'topic', 'message_key', 'payload', 'headers'])
        .where('producer', '=', producer)
        .orderBy('id')
        .limit(batchSize)
        .forUpdate()
        .execute();
      if (rows.length === 0) return 0;
      await transport.send(rows.map((r) => ({ topic: r.topic, key: r.message_key, value: r.payload, headers: r.headers })));
      for (const row of rows) this.#options.metrics?.produced.inc({ topic: row.topic });
      await trx
        .deleteFrom('exp.outbox')
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      return rows.length;
    });
  }

  async backlog(): Promise<number> {
    const row = await this.#options.db
      .selectFrom('exp.outbox')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('producer', '=', this.#options.producer)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      try {
        const sent = await this.relayOnce();
        if (sent < this.#options.batchSize) {
          this.#options.metrics?.outboxBacklog.set({ producer: this.#options.producer }, await this.backlog());
          await sleep(this.#options.idleDelayMs);
        }
      } catch (error) {
        this.#options.onError?.(error);
        await sleep(Math.max(this.#options.idleDelayMs, 1000));
      }
    }
  }
}
