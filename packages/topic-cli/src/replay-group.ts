import type { PartitionOffset, TopicAdmin } from '@planner/bus';
import { TopicCliError } from './topic-cli-error.ts';

export interface ReplayPlan {
  group: string;
  topic: string;
  offsets: PartitionOffset[];
  applied: boolean;
}

/**
 * Moves a consumer group back (or forward) to the first message at or after
 * `timestamp`, so its service handles those messages again when it restarts.
 * Refuses while the group has members: their commits would undo the move.
 * With `fresh`, prepares a new group `<group>.<fresh>` instead and leaves the
 * production group's offsets alone.
 */
export async function replayGroup(
  admin: TopicAdmin,
  options: { group: string; topic: string; timestamp: number; fresh?: string; dryRun?: boolean },
): Promise<ReplayPlan> {
  const group = options.fresh ? `${options.group}.${options.fresh}` : options.group;
  const { state, members } = await admin.groupState(group);
  if (members > 0) {
    throw new TopicCliError(
      'GROUP_ACTIVE',
      `consumer group ${group} is active (${state}, ${members} member${members === 1 ? '' : 's'}): stop its service first, or use --fresh <name> to replay into a new group`,
    );
  }
  const offsets = await admin.offsetsAt(options.topic, options.timestamp);
  if (!options.dryRun) await admin.setGroupOffsets(group, options.topic, offsets);
  return { group, topic: options.topic, offsets, applied: !options.dryRun };
}
