import { createHash } from 'node:crypto';
import type { BusTables, EventBus, TopicAdmin } from '@planner/bus';
import type { TopicEvents } from '@planner/schemas';
import type { Transaction } from 'kysely';
import type { EvaluationSplitCache } from './evaluation-rows.ts';
import { ReplayError } from './replay-error.ts';
import { type ReplayPins, replayIdOf, resultKeyOf } from './replay-pins.ts';
import type { ReplayTables } from './tables.ts';

type Trx = Transaction<ReplayTables & BusTables>;

/** One replay.shards event: a slice of the evaluation split for both policies. */
export function shardEvent(
  bus: EventBus,
  replay: { replayId: string; shardCount: number; pins: ReplayPins; correlationId: string },
  shard: { shard_index: number; row_offset: number; row_limit: number },
): TopicEvents['replay.shards'] {
  return bus.event(
    'replay.shards',
    {
      replay_id: replay.replayId,
      shard_count: replay.shardCount,
      dataset_version: replay.pins.datasetVersion,
      candidate: replay.pins.candidate,
      baseline: replay.pins.baseline,
      seed: replay.pins.seed,
      ...shard,
    },
    replay.correlationId,
  );
}

export interface ShardPlacement {
  bus: EventBus;
  /** How many partitions replay.shards has (asked of the broker). */
  shardPartitions: () => Promise<number>;
}

/**
 * The partition count of replay.shards, asked of the broker once it is
 * needed and then kept: partitions are only ever added, by an operator, and
 * a count that is behind only leaves the new ones idle until a restart.
 */
export function shardPartitionCount(topics: Pick<TopicAdmin, 'endOffsets'>): () => Promise<number> {
  let count: Promise<number> | undefined;
  return () => {
    // A failed ask is not kept: the next call asks again.
    count ??= topics
      .endOffsets('replay.shards')
      .then((offsets) => offsets.length)
      .catch((error: unknown) => {
        count = undefined;
        throw error;
      });
    return count;
  };
}

/**
 * The partition of a replay's shard: consecutive shards on consecutive
 * partitions, from a start that depends on the replay. Hashing the shard's
 * key instead piles several shards on some partitions and none on others,
 * and the busiest worker then sets the replay's pace; placed like this every
 * partition, and so every worker, gets the same number of shards (±1).
 */
export function shardPartition(replayId: string, shardIndex: number, partitions: number): number {
  const start = createHash('sha256').update(replayId).digest().readUInt32BE(0) % partitions;
  return (start + shardIndex) % partitions;
}

/** Stages one replay.shards event in the caller's transaction, on its partition. */
export async function enqueueShard(
  deps: ShardPlacement,
  trx: Trx,
  replay: { replayId: string; shardCount: number; pins: ReplayPins; correlationId: string },
  shard: { shard_index: number; row_offset: number; row_limit: number },
): Promise<void> {
  const partition = shardPartition(replay.replayId, shard.shard_index, await deps.shardPartitions());
  await deps.bus.enqueue(trx, 'replay.shards', shardEvent(deps.bus, replay, shard), `${replay.replayId}:${shard.shard_index}`, partition);
}

/**
 * Seed §4.1 steps 1–2: plans a replay of a dataset version's evaluation split
 * for a candidate and a baseline on the same rows and seed, and puts its
 * shards on replay.shards (through the outbox, with the plan). Planning the
 * same pins again finds the replay and plans nothing.
 */
export async function planReplay(
  deps: ShardPlacement & { splits: EvaluationSplitCache; shardSize: number },
  trx: Trx,
  pins: ReplayPins,
  correlationId: string,
): Promise<{ replayId: string; created: boolean }> {
  const replayId = replayIdOf(pins);
  const existing = await trx.selectFrom('exp.replays').select('replay_id').where('replay_id', '=', replayId).executeTakeFirst();
  if (existing) return { replayId, created: false };
  const dataset = await trx
    .selectFrom('exp.replay_datasets')
    .selectAll()
    .where('dataset_version', '=', pins.datasetVersion)
    .executeTakeFirst();
  if (!dataset)
    throw new ReplayError('REPLAY_DATASET_UNKNOWN', `dataset version ${pins.datasetVersion} was never announced on dataset.ready`);
  const split = await deps.splits.get(dataset.location);
  const rowCount = split.rows.length;
  if (rowCount === 0) throw new ReplayError('REPLAY_EMPTY', `dataset version ${pins.datasetVersion} has no evaluation rows`);
  const shardCount = Math.ceil(rowCount / deps.shardSize);

  await trx
    .insertInto('exp.replays')
    .values({
      replay_id: replayId,
      candidate_key: resultKeyOf(pins.candidate, pins.datasetVersion, pins.seed),
      baseline_key: resultKeyOf(pins.baseline, pins.datasetVersion, pins.seed),
      candidate: JSON.stringify(pins.candidate),
      baseline: JSON.stringify(pins.baseline),
      dataset_version: pins.datasetVersion,
      seed: pins.seed,
      shard_count: shardCount,
      row_count: rowCount,
      status: 'running',
      results_digest: null,
      mlflow_run_id: null,
      summary: null,
      correlation_id: correlationId,
      completed_at: null,
    })
    .execute();
  for (let index = 0; index < shardCount; index++) {
    const rowOffset = index * deps.shardSize;
    const rowLimit = Math.min(deps.shardSize, rowCount - rowOffset);
    await trx
      .insertInto('exp.replay_shards')
      .values({ replay_id: replayId, shard_index: index, row_offset: rowOffset, row_limit: rowLimit, done_at: null })
      .execute();
    await enqueueShard(
      deps,
      trx,
      { replayId, shardCount, pins, correlationId },
      { shard_index: index, row_offset: rowOffset, row_limit: rowLimit },
    );
  }
  return { replayId, created: true };
}
