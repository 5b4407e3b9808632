import type { BusTables } from '@planner/bus';
import type { RowMetrics } from '@planner/evaluation';
import type { Kysely } from 'kysely';
import { pairedResults, resultsDigest } from './replay-aggregation.ts';
import type { ReplayTables } from './tables.ts';

type Db = Kysely<ReplayTables & BusTables>;

/** One policy's result on one row, as the promotion-gate's rules read it. */
export interface RowResult {
  metrics: RowMetrics;
  offline_score: number;
}

/** The answer of GET /v1/replays/{replay_id}/rows. */
export interface ReplayRows {
  replay_id: string;
  /** The digest of exactly these rows (replay.completed's results_digest when they are the rows it announced). */
  results_digest: string;
  row_count: number;
  /** Candidate and baseline side by side, in row-id order: the rows both policies have. */
  rows: { row_id: string; candidate: RowResult; baseline: RowResult }[];
}

export type ReplayRowsOutcome =
  | { found: false }
  | { found: true; ready: false; reason: string }
  | { found: true; ready: true; rows: ReplayRows };

/**
 * The paired rows of a completed replay and their digest, read in one
 * snapshot. Rows are shared by every replay with the same pins, so a rerun of
 * another replay may be recomputing some of them: the rows then digest to
 * something other than the recorded digest, and they are not ready until the
 * rerun has reproduced them byte for byte.
 */
export async function replayRows(db: Db, replayId: string): Promise<ReplayRowsOutcome> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx): Promise<ReplayRowsOutcome> => {
      const replay = await trx.selectFrom('exp.replays').selectAll().where('replay_id', '=', replayId).executeTakeFirst();
      if (!replay) return { found: false };
      if (replay.status !== 'completed')
        return { found: true, ready: false, reason: `replay ${replayId} is ${replay.status}, not completed` };
      const pairs = await pairedResults(trx, replay);
      const digest = resultsDigest(pairs);
      if (digest !== replay.results_digest) {
        return {
          found: true,
          ready: false,
          reason:
            `the rows of replay ${replayId} digest to ${digest}, not its recorded ${replay.results_digest}: ` +
            'rows it shares with another replay are being recomputed by a rerun, or were recomputed differently',
        };
      }
      const rows = pairs.map(({ candidate, baseline }) => ({
        row_id: candidate.row_id,
        candidate: { metrics: candidate.metrics, offline_score: candidate.offline_score },
        baseline: { metrics: baseline.metrics, offline_score: baseline.offline_score },
      }));
      return { found: true, ready: true, rows: { replay_id: replayId, results_digest: digest, row_count: rows.length, rows } };
    });
}
