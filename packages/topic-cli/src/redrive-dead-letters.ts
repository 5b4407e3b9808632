import type { IncomingMessage, MessageTransport, TopicAdmin } from '@planner/bus';
import { redrive, type SkippedLetter } from './redrive.ts';
import { groupProgress, type RedriveProgress } from './redrive-progress.ts';

export interface RedriveRequest {
  /** The original topic. */
  topic: string;
  /**
   * `all`: every letter of `letters` not yet redriven by an earlier `--all`
   * run, recording how far this run gets. `chosen`: exactly `letters`,
   * whatever was redriven before, recording nothing.
   */
  scope: 'all' | 'chosen';
  letters: IncomingMessage[];
  /** With `all`: forget the recorded position and start again from the first letter. */
  restart: boolean;
  /** Most letters handled (sent or skipped) in this run; the rest is left for the next. */
  limit: number;
  dryRun: boolean;
  signal?: AbortSignal;
  onSkip(skipped: SkippedLetter): void;
}

/** What a redrive did, printed as one JSON line. */
export interface RedriveSummary {
  topic: string;
  sent: number;
  skipped: number;
  /** Letters an earlier `--all` run already handled. */
  already_done: number;
  /** Letters still to handle: stopped by --limit or Ctrl-C, or all of them in a dry run. */
  left: number;
  dry_run: boolean;
  interrupted: boolean;
  /** In a dry run: the offsets that would be handled. */
  offsets?: string[];
}

/** The ports a redrive uses; KafkajsTransport provides both. */
export type RedrivePort = MessageTransport & TopicAdmin;

/**
 * Where this run starts on each partition: nothing is done for chosen
 * letters or a restart (which, for real, also moves the recorded position
 * back), otherwise wherever the last `--all` run got.
 */
async function startPositions(progress: RedriveProgress | undefined, request: RedriveRequest): Promise<Map<number, bigint>> {
  if (!progress) return new Map();
  if (!request.restart) return progress.read();
  if (!request.dryRun) await progress.restart();
  return new Map();
}

/**
 * Sends dead letters back to their topic. With scope `all`, progress is
 * recorded after every batch, so a rerun after a crash or Ctrl-C continues
 * where this one stopped instead of resending everything: redriving is
 * resumable, and a complete rerun sends nothing.
 */
export async function redriveDeadLetters(port: RedrivePort, request: RedriveRequest): Promise<RedriveSummary> {
  const progress = request.scope === 'all' ? groupProgress(port, request.topic) : undefined;
  const positions = await startPositions(progress, request);
  const pending = request.letters.filter((letter) => BigInt(letter.offset) >= (positions.get(letter.partition) ?? 0n));
  const alreadyDone = request.letters.length - pending.length;
  const now = pending.slice(0, request.limit);
  if (request.dryRun) {
    const offsets = now.map((letter) => letter.offset);
    return {
      topic: request.topic,
      sent: 0,
      skipped: 0,
      already_done: alreadyDone,
      left: pending.length,
      dry_run: true,
      interrupted: false,
      offsets,
    };
  }
  const { sent, skipped } = await redrive(port, now, {
    afterBatch: (batchPositions) => progress?.record(batchPositions) ?? Promise.resolve(),
    onSkip: request.onSkip,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  const left = pending.length - sent - skipped;
  const interrupted = (request.signal?.aborted ?? false) && left > 0;
  return { topic: request.topic, sent, skipped, already_done: alreadyDone, left, dry_run: false, interrupted };
}
