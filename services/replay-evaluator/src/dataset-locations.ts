import type { Kysely } from 'kysely';
import { ReplayError } from './replay-error.ts';
import type { ReplayTables } from './tables.ts';

/**
 * Where each dataset version's files are, as dataset.ready announced it,
 * looked up once per worker: a version's files never move, and a shard
 * should cost its rows, not a lookup.
 */
export class DatasetLocations {
  readonly #db: Kysely<ReplayTables>;
  readonly #known = new Map<string, string>();

  constructor(db: Kysely<ReplayTables>) {
    this.#db = db;
  }

  async location(datasetVersion: string): Promise<string> {
    const known = this.#known.get(datasetVersion);
    if (known !== undefined) return known;
    const row = await this.#db
      .selectFrom('exp.replay_datasets')
      .select('location')
      .where('dataset_version', '=', datasetVersion)
      .executeTakeFirst();
    if (!row) throw new ReplayError('REPLAY_DATASET_UNKNOWN', `dataset version ${datasetVersion} was never announced on dataset.ready`);
    this.#known.set(datasetVersion, row.location);
    return row.location;
  }
}
