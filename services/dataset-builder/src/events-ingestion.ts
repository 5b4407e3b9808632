import type { PartitionOffset, TopicAdmin } from '@planner/bus';

/**
 * How far the ingestion of exp.events has come. A dataset version must hold
 * every event published before it was built: a build first takes the topic's
 * end offsets as its target and waits until the ingesting consumer group has
 * committed past them (committed offsets only move after the inbox
 * transaction that stored the events), so a request sent right after a burst
 * of events never builds from half of them.
 */
export interface EventsIngestion {
  /** Where exp.events ends now: the target a build waits for. */
  end(): Promise<PartitionOffset[]>;
  /** Messages before `target` the ingesting group has not committed yet; 0 when all are in. */
  behind(target: PartitionOffset[]): Promise<number>;
}

export function eventsIngestion(admin: TopicAdmin, groupId: string): EventsIngestion {
  return {
    end: () => admin.endOffsets('exp.events'),
    behind: async (target) => messagesBehind(target, await admin.committedOffsets(groupId, 'exp.events')),
  };
}

/** Per partition, the target offset minus the committed one (a group that committed nothing there is at 0), summed. */
export function messagesBehind(target: PartitionOffset[], committed: PartitionOffset[]): number {
  const at = new Map(committed.map((c) => [c.partition, Math.max(0, Number(c.offset))]));
  return target.reduce((sum, t) => sum + Math.max(0, Number(t.offset) - (at.get(t.partition) ?? 0)), 0);
}
