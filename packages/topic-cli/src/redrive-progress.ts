import { deadLetterTopic, type MessageTransport, type PartitionOffset, type TopicAdmin } from '@planner/bus';

/** The consumer group whose committed offsets on `<topic>.dlt` say how far `dlt redrive --all` got. */
export function redriveGroup(topic: string): string {
  return `planner-redrive.${topic}`;
}

/**
 * How far `dlt redrive --all` got on one dead-letter topic: per partition, the
 * offset of the first letter not yet redriven. Kept as the committed offsets
 * of a consumer group no member ever joins, so it survives crashes, and any
 * Kafka tool shows it (the group's lag is the letters left) or moves it.
 */
export interface RedriveProgress {
  /** The recorded positions; a partition without one has had nothing redriven. */
  read(): Promise<Map<number, bigint>>;
  /** Records the positions of the partitions given; the others keep theirs. */
  record(positions: PartitionOffset[]): Promise<void>;
  /** Moves every partition back to its first letter, so every letter still on the topic counts as not redriven. */
  restart(): Promise<void>;
}

/**
 * What progress needs from the bus's ports. They have no read of a group's
 * committed offsets (TopicAdmin.groupOffsets would be the natural one), so
 * `read` derives them from consumerLag and the topic's end offsets.
 */
export type ProgressPort = Pick<TopicAdmin, 'offsetsAt' | 'setGroupOffsets'> & Pick<MessageTransport, 'consumerLag'>;

/** Later than any message's timestamp, so offsetsAt answers each partition's end. */
const END_OF_TIME = 8.64e15;

/** Progress on `<topic>.dlt`, kept by the consumer group redriveGroup(topic). */
export function groupProgress(port: ProgressPort, topic: string): RedriveProgress {
  const letters = deadLetterTopic(topic);
  const group = redriveGroup(topic);
  const record = (positions: PartitionOffset[]) =>
    positions.length === 0 ? Promise.resolve() : port.setGroupOffsets(group, letters, positions);
  return {
    async read() {
      // Lag is end − committed. The ends are read first: a letter arriving in between makes the position
      // read lower than recorded, never higher, so at worst a letter is sent twice (consumers drop it by
      // its event id), never skipped.
      const ends = await port.offsetsAt(letters, END_OF_TIME);
      const lags = await port.consumerLag(group, [letters]);
      const positions = new Map<number, bigint>();
      for (const { partition, lag } of lags) {
        const end = BigInt(ends.find((e) => e.partition === partition)?.offset ?? '0');
        const position = end - BigInt(lag);
        positions.set(partition, position > 0n ? position : 0n);
      }
      return positions;
    },
    record,
    async restart() {
      // The first offset at or after time 0 is each partition's first letter still kept (its end when empty).
      await record(await port.offsetsAt(letters, 0));
    },
  };
}
