/**
 * The second, smaller port: what engineers' tooling needs from Kafka besides
 * sending and consuming (inspecting groups, moving their offsets, reading a
 * topic without a group).
 */
import type { IncomingMessage } from './transport.ts';

export interface PartitionOffset {
  partition: number;
  offset: string;
}

export type ReadStart =
  | { from: 'beginning' }
  | { from: 'timestamp'; timestamp: number }
  | { from: 'offset'; partition: number; offset: string };

export interface ReadOptions {
  topic: string;
  start: ReadStart;
  /** Keep reading new messages; otherwise stop once every partition's end (as of the start) is reached. */
  follow: boolean;
  /** Return false to stop reading. */
  onMessage(message: IncomingMessage): Promise<boolean> | boolean;
}

export interface TopicAdmin {
  /** Consumer group state as the broker reports it (Empty, Stable, PreparingRebalance, Dead, ...) and its member count. */
  groupState(groupId: string): Promise<{ state: string; members: number }>;
  /** For each partition, the offset the next message sent there will get. */
  endOffsets(topic: string): Promise<PartitionOffset[]>;
  /** For each partition, the group's committed offset: the next message it will handle ('-1' where it committed nothing). */
  committedOffsets(groupId: string, topic: string): Promise<PartitionOffset[]>;
  /** For each partition, the first offset at or after `timestamp` (the end when none). */
  offsetsAt(topic: string, timestamp: number): Promise<PartitionOffset[]>;
  /** Moves a group's committed offsets; the group must have no members. */
  setGroupOffsets(groupId: string, topic: string, offsets: PartitionOffset[]): Promise<void>;
  /** Reads a topic without joining a consumer group and without committing anything. */
  read(options: ReadOptions): Promise<void>;
}
