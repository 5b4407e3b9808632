import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { zstdDecompressSync } from 'node:zlib';
import { type InputContext, type PlanEdit, type Recipe, validateInputContext, type WeeklyPlan } from '@planner/domain';
import { openObjectStore } from '@planner/object-store';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { ReplayError } from './replay-error.ts';

/** One row of a dataset version's evaluation split, ready to replay. */
export interface EvaluationRow {
  row_id: string;
  context: InputContext;
  accepted: WeeklyPlan;
  edits: PlanEdit[];
}

export interface EvaluationSplit {
  /** In the file's order, which is the dataset's canonical order. */
  rows: EvaluationRow[];
  catalogue: Recipe[];
}

const ROW_COLUMNS = ['row_id', 'split', 'input_context_json', 'accepted_plan_json', 'user_edits_json'];

/** The dataset-builder compresses with zstd (snappy in versions built before); hyparquet reads snappy itself. */
const compressors = { ZSTD: (input: Uint8Array) => zstdDecompressSync(input) };

type Env = Readonly<Record<string, string | undefined>>;

async function download(location: string, file: string, folder: string, env: Env): Promise<string> {
  const store = openObjectStore(location, env, 'the dataset location');
  const path = join(folder, file);
  await pipeline(await store.read(file), createWriteStream(path));
  return path;
}

/**
 * Reads the evaluation split and the catalogue snapshot of a dataset version
 * (a folder or S3 prefix). Every context goes through the codec's validation:
 * the replay asks policies exactly what training rows recorded.
 */
export async function readEvaluationSplit(location: string, env: Env = process.env): Promise<EvaluationSplit> {
  const folder = await mkdtemp(join(tmpdir(), 'pl-replay-'));
  try {
    const training = await asyncBufferFromFile(await download(location, 'training.parquet', folder, env));
    const recipes = await asyncBufferFromFile(await download(location, 'recipes.parquet', folder, env));
    const records = (await parquetReadObjects({ file: training, columns: ROW_COLUMNS, compressors })) as Record<string, string>[];
    const rows = records
      .filter((r) => r.split === 'evaluation')
      .map((r) => {
        try {
          return {
            row_id: r.row_id as string,
            context: validateInputContext(JSON.parse(r.input_context_json as string)),
            accepted: JSON.parse(r.accepted_plan_json as string) as WeeklyPlan,
            edits: JSON.parse(r.user_edits_json as string) as PlanEdit[],
          };
        } catch (error) {
          throw new ReplayError('REPLAY_ROW_INVALID', `row ${r.row_id} of ${location}: ${(error as Error).message}`, { cause: error });
        }
      });
    const catalogue = (
      (await parquetReadObjects({ file: recipes, columns: ['recipe_json'], compressors })) as { recipe_json: string }[]
    ).map((r) => JSON.parse(r.recipe_json) as Recipe);
    return { rows, catalogue };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Keeps the last few splits read, so a worker reads a dataset once per replay, not once per shard. */
export class EvaluationSplitCache {
  readonly #entries = new Map<string, Promise<EvaluationSplit>>();
  readonly #limit: number;
  /** S3 settings for s3:// locations (S3_ENDPOINT, AWS_*). */
  readonly #env: Env;

  constructor(env: Env, limit = 3) {
    this.#env = env;
    this.#limit = limit;
  }

  get(location: string): Promise<EvaluationSplit> {
    let entry = this.#entries.get(location);
    if (!entry) {
      entry = readEvaluationSplit(location, this.#env);
      entry.catch(() => this.#entries.delete(location));
      this.#entries.set(location, entry);
      while (this.#entries.size > this.#limit) this.#entries.delete(this.#entries.keys().next().value as string);
    }
    return entry;
  }
}
