import { setTimeout as sleep } from 'node:timers/promises';
import { METRICS, type RowMetrics } from '@planner/evaluation';
import type { PairedResult } from './gate-rules.ts';
import { ReplayRowsError } from './replay-rows-error.ts';

export interface ReplayEvaluatorClientOptions {
  /** Longest wait for one answer, body included (default 30 s). */
  timeoutMs?: number;
  /** Tries of one GET whose connection fails or is reset (default 3), before the failure is the caller's. */
  attempts?: number;
}

/** The documented answer of GET /v1/replays/{replay_id}/rows. */
interface ReplayRowsAnswer {
  replay_id: string;
  results_digest: string;
  rows: PairedResult[];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function rowResultProblem(value: unknown): string | undefined {
  if (!isObject(value) || typeof value.offline_score !== 'number') return 'has no numeric offline_score';
  if (!isObject(value.metrics)) return 'has no metrics';
  const metrics = value.metrics as Partial<Record<keyof RowMetrics, unknown>>;
  const missing = METRICS.find((m) => typeof metrics[m.name] !== 'number');
  return missing ? `has no numeric metrics.${missing.name}` : undefined;
}

/** The answer checked against the contract the gate's rules rely on; a message naming the first thing wrong otherwise. */
function contractProblem(body: unknown, replayId: string): string | undefined {
  if (!isObject(body)) return 'the body is not a JSON object';
  if (body.replay_id !== replayId) return `replay_id is ${JSON.stringify(body.replay_id)}`;
  if (typeof body.results_digest !== 'string') return 'results_digest is not a string';
  if (!Array.isArray(body.rows)) return 'rows is not an array';
  for (const [index, row] of body.rows.entries()) {
    if (!isObject(row) || typeof row.row_id !== 'string') return `rows[${index}] has no row_id`;
    for (const role of ['candidate', 'baseline'] as const) {
      const problem = rowResultProblem(row[role]);
      if (problem) return `rows[${index}].${role} ${problem}`;
    }
  }
  return undefined;
}

/** What a failed fetch says: undici's "fetch failed" names the socket error only in its cause. */
function failureOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  return String(cause?.code ?? cause?.message ?? (error as Error).message);
}

/**
 * The promotion-gate's client of the replay-evaluator's HTTP API: the only way
 * it reads another stage's results (no shared tables). GETs are idempotent, so
 * a connection refused or reset is tried again at once a few times; what still
 * fails is a retryable ReplayRowsError, and the consumer retries the event.
 */
export class ReplayEvaluatorClient {
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #attempts: number;

  constructor(baseUrl: string, options: ReplayEvaluatorClientOptions = {}) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#attempts = options.attempts ?? 3;
  }

  /**
   * A completed replay's rows, candidate and baseline paired by row, checked
   * to be the rows replay.completed announced (`expectedDigest`); undefined
   * when the replay-evaluator knows no such replay.
   */
  async pairedRows(replayId: string, expectedDigest: string): Promise<PairedResult[] | undefined> {
    const url = `${this.#base}/v1/replays/${encodeURIComponent(replayId)}/rows`;
    const { status, body } = await this.#get(url);
    if (status === 404) return undefined;
    const said = isObject(body) && isObject(body.error) ? `: ${String(body.error.message)}` : '';
    if (status === 409) throw new ReplayRowsError('REPLAY_ROWS_NOT_READY', `GET ${url} answered 409${said}`, { retryable: true });
    if (status >= 500)
      throw new ReplayRowsError('REPLAY_EVALUATOR_UNREACHABLE', `GET ${url} answered ${status}${said}`, { retryable: true });
    if (status !== 200) throw new ReplayRowsError('REPLAY_ROWS_REFUSED', `GET ${url} answered ${status}${said}`);
    const problem = contractProblem(body, replayId);
    if (problem) throw new ReplayRowsError('REPLAY_ROWS_INVALID', `GET ${url} broke its contract: ${problem}`);
    const answer = body as unknown as ReplayRowsAnswer;
    if (answer.results_digest !== expectedDigest) {
      throw new ReplayRowsError(
        'REPLAY_DIGEST_MISMATCH',
        `the replay-evaluator's rows of replay ${replayId} digest to ${answer.results_digest}, but replay.completed announced ` +
          `${expectedDigest}: they are not the rows that were announced`,
        { retryable: true },
      );
    }
    return answer.rows;
  }

  async #get(url: string): Promise<{ status: number; body: unknown }> {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.#timeoutMs) });
        const text = await response.text();
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        return { status: response.status, body };
      } catch (error) {
        if ((error as Error).name === 'TimeoutError') {
          throw new ReplayRowsError('REPLAY_EVALUATOR_UNREACHABLE', `GET ${url} gave no answer within ${this.#timeoutMs} ms`, {
            retryable: true,
            cause: error,
          });
        }
        if (attempt >= this.#attempts) {
          throw new ReplayRowsError('REPLAY_EVALUATOR_UNREACHABLE', `GET ${url} failed ${attempt} times, last with ${failureOf(error)}`, {
            retryable: true,
            cause: error,
          });
        }
        await sleep(100 * 2 ** (attempt - 1));
      }
    }
  }
}
