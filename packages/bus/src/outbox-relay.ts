import { setTimeout as sleep } from 'node:timers/promises';
import type { BusMetrics } from '@planner/telemetry';
import { type Kysely, sql, type Transaction } from 'kysely';
import { TransportError } from './bus-error.ts';
import type { BusTables } from './bus-tables.ts';
import type { MessageTransport } from './transport.ts';

export interface ParkedMessage {
  id: number;
  topic: string;
  bytes: number;
  reason: string;
}

export interface OutboxRelayOptions<DB extends BusTables = BusTables> {
  db: Kysely<DB>;
  transport: MessageTransport;
  /** Relays only this producer's rows, so services sharing a database keep their own outbox. */
  producer: string;
  batchSize?: number;
  idleDelayMs?: number;
  metrics?: BusMetrics;
  onError?: (error: unknown) => void;
  /** Told about each message the broker refused for good and that was moved to exp.outbox_parked. */
  onParked?: (message: ParkedMessage) => void;
}

/**
 * Moves outbox rows to Kafka in id order. Each batch runs in one transaction
 * holding the producer's advisory lock and the rows' locks: only one relay per
 * producer sends at a time (per-key order holds across replicas), and a row is
 * deleted only after the broker acknowledged it. A crash between the two
 * re-sends the row on restart; consumers drop the duplicate by event id.
 * A message the broker refuses for good (too large, invalid) is moved to
 * exp.outbox_parked with the reason, so it never blocks the ones behind it.
 */
export class OutboxRelay<DB extends BusTables = BusTables> {
  readonly #options: Required<Omit<OutboxRelayOptions, 'onError' | 'onParked' | 'metrics'>> &
    Pick<OutboxRelayOptions, 'onError' | 'onParked' | 'metrics'>;
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
    const { db, producer, batchSize } = this.#options;
    const parked: ParkedMessage[] = [];
    const relayed = await db.transaction().execute(async (trx) => {
      const lock = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext(${`outbox:${producer}`})) as locked`.execute(
        trx,
      );
      if (!lock.rows[0]?.locked) return 0;
      const rows = await trx
        .selectFrom('exp.outbox')
        .select(['id', 'topic', 'message_key', 'partition', 'payload', 'headers'])
        .where('producer', '=', producer)
        .orderBy('id')
        .limit(batchSize)
        .forUpdate()
        .execute();
      if (rows.length === 0) return 0;
      const sent = await this.#send(trx, rows, parked);
      for (const row of sent) this.#options.metrics?.produced.inc({ topic: row.topic });
      if (sent.length > 0) {
        await trx
          .deleteFrom('exp.outbox')
          .where(
            'id',
            'in',
            sent.map((r) => r.id),
          )
          .execute();
      }
      return rows.length;
    });
    // Counted and told only once the move to exp.outbox_parked committed.
    for (const message of parked) {
      this.#options.metrics?.outboxParked.inc({ producer, topic: message.topic });
      this.#options.onParked?.(message);
    }
    return relayed;
  }

  /** Sends the rows; the ones the broker acknowledged are returned, the ones it refused for good are parked. */
  async #send<
    R extends {
      id: number;
      topic: string;
      message_key: string | null;
      partition: number | null;
      payload: Buffer;
      headers: Record<string, string>;
    },
  >(trx: Transaction<BusTables>, rows: R[], parked: ParkedMessage[]): Promise<R[]> {
    const message = (r: R) => ({
      topic: r.topic,
      key: r.message_key,
      value: r.payload,
      headers: r.headers,
      ...(r.partition === null ? {} : { partition: r.partition }),
    });
    try {
      await this.#options.transport.send(rows.map(message));
      return rows;
    } catch (error) {
      if (!(error instanceof TransportError) || error.code !== 'MESSAGE_REFUSED') throw error;
    }
    // Some message of the batch was refused: find which, one at a time, in order.
    const sent: R[] = [];
    for (const row of rows) {
      try {
        await this.#options.transport.send([message(row)]);
        sent.push(row);
      } catch (error) {
        if (!(error instanceof TransportError) || error.code !== 'MESSAGE_REFUSED') throw error;
        await this.#park(trx, row.id, error);
        const bytes = row.payload.length + Object.entries(row.headers).reduce((n, [k, v]) => n + k.length + v.length, 0);
        parked.push({ id: row.id, topic: row.topic, bytes, reason: error.message });
      }
    }
    return sent;
  }

  async #park(trx: Transaction<BusTables>, id: number, error: TransportError): Promise<void> {
    await sql`
      with moved as (delete from exp.outbox where id = ${id} returning *)
      insert into exp.outbox_parked (id, producer, topic, message_key, partition, payload, headers, created_at, error_code, error_message)
      select id, producer, topic, message_key, partition, payload, headers, created_at, ${error.code}, ${error.message} from moved`.execute(
      trx,
    );
  }

  /** Rows waiting, and the age in seconds of the oldest (0 when none). */
  async backlog(): Promise<{ rows: number; oldestAgeSeconds: number }> {
    const row = await this.#options.db
      .selectFrom('exp.outbox')
      .select((eb) => [eb.fn.countAll<number>().as('count'), sql<number | null>`extract(epoch from now() - min(created_at))`.as('age')])
      .where('producer', '=', this.#options.producer)
      .executeTakeFirstOrThrow();
    return { rows: Number(row.count), oldestAgeSeconds: Number(row.age ?? 0) };
  }

  async #updateBacklog(): Promise<void> {
    const { metrics, producer } = this.#options;
    if (!metrics) return;
    const { rows, oldestAgeSeconds } = await this.backlog();
    metrics.outboxBacklog.set({ producer }, rows);
    metrics.outboxOldestAge.set({ producer }, oldestAgeSeconds);
  }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      try {
        const sent = await this.relayOnce();
        if (sent < this.#options.batchSize) {
          await this.#updateBacklog();
          await sleep(this.#options.idleDelayMs);
        }
      } catch (error) {
        this.#options.onError?.(error);
        // The backlog grows while the broker or the database is away: keep the gauges honest (when the database answers).
        await this.#updateBacklog().catch(() => undefined);
        await sleep(Math.max(this.#options.idleDelayMs, 1000));
      }
    }
  }
}
