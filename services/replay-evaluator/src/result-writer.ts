import type { Insertable, Kysely } from 'kysely';
import type { ReplayTables } from './tables.ts';

export type ResultRow = Insertable<ReplayTables['exp.offline_replay_results']>;

/**
 * A shard's row results, written a batch at a time: one multi-row INSERT
 * (one round trip, one commit) instead of one per row, which is what the
 * worker spent most of its own time on. A batch goes out when `maxRows` are
 * waiting or the oldest has waited `maxDelayMs`, so a worker killed mid-shard
 * still leaves almost all its finished rows behind for the next owner to skip.
 * `close` writes the rest and reports the first failed write.
 */
export class ResultWriter {
  readonly #db: Kysely<ReplayTables>;
  readonly #maxRows: number;
  readonly #maxDelayMs: number;
  #pending: ResultRow[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writes: Promise<void> = Promise.resolve();
  #failure: unknown;

  constructor(db: Kysely<ReplayTables>, options: { maxRows?: number; maxDelayMs?: number } = {}) {
    this.#db = db;
    this.#maxRows = options.maxRows ?? 64;
    this.#maxDelayMs = options.maxDelayMs ?? 500;
  }

  add(row: ResultRow): void {
    this.#pending.push(row);
    if (this.#pending.length >= this.#maxRows) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), this.#maxDelayMs);
  }

  async close(): Promise<void> {
    this.#flush();
    await this.#writes;
    if (this.#failure !== undefined) throw this.#failure;
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const rows = this.#pending;
    this.#pending = [];
    // One write at a time, in order; after a failure the rest are not tried (close reports it, the shard is redone).
    this.#writes = this.#writes.then(async () => {
      if (this.#failure !== undefined) return;
      try {
        await this.#db
          .insertInto('exp.offline_replay_results')
          .values(rows)
          .onConflict((oc) => oc.columns(['result_key', 'row_id']).doNothing())
          .execute();
      } catch (error) {
        this.#failure = error;
      }
    });
  }
}
