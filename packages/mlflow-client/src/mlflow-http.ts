import { setTimeout as sleep } from 'node:timers/promises';
import type { MlflowConfig } from './mlflow-config.ts';
import { MlflowError } from './mlflow-error.ts';

export interface MlflowHttpOptions {
  /** Tries per request, the first included (default 5). */
  maxAttempts?: number;
  /** Limit on each try (default 120 s, as MLflow's own client). */
  timeoutMs?: number;
  /** Delay before the first retry, doubled for each later one (default 500 ms)... */
  backoffMs?: number;
  /** ...up to this bound (default 10 s). */
  maxBackoffMs?: number;
}

export interface MlflowRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** From the server's root, e.g. `/api/2.0/mlflow/runs/get`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  /** Sent as `application/json`. */
  json?: unknown;
  /** Sent as is, with `contentType`. */
  body?: Buffer | string;
  contentType?: string;
  /** One try, no retries: for probes, which should report how things are now. */
  once?: boolean;
}

/** Answers worth another try: rate limiting and a server or proxy in trouble. Any other 4xx will not change. */
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

function authorization(config: MlflowConfig): string | undefined {
  if (config.auth?.kind === 'basic') return `Basic ${Buffer.from(`${config.auth.username}:${config.auth.password}`).toString('base64')}`;
  if (config.auth?.kind === 'bearer') return `Bearer ${config.auth.token}`;
  return undefined;
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return code ? `${error.message} (${code})` : error.message;
}

/** Long enough for MLflow's messages, short enough that a proxy's HTML page does not flood the logs. */
const MAX_DETAIL = 1000;

function answerError(request: MlflowRequest, status: number, body: Buffer, attempts: number): MlflowError {
  let mlflowErrorCode: string | undefined;
  let detail = body.toString('utf8');
  try {
    const parsed = JSON.parse(detail) as { error_code?: string; message?: string };
    mlflowErrorCode = parsed.error_code;
    detail = parsed.message ?? detail;
  } catch {
    // Not MLflow's JSON (a proxy's page, say): the text itself is the best detail.
  }
  if (detail.length > MAX_DETAIL) detail = `${detail.slice(0, MAX_DETAIL)}…`;
  const code = status === 404 || mlflowErrorCode === 'RESOURCE_DOES_NOT_EXIST' ? 'MLFLOW_NOT_FOUND' : 'MLFLOW_REQUEST_FAILED';
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  const message = `MLflow ${request.method} ${request.path} answered ${status}${mlflowErrorCode ? ` ${mlflowErrorCode}` : ''}: ${detail}${tries}`;
  return new MlflowError(code, message, {
    status,
    retryable: RETRYABLE_STATUSES.has(status),
    ...(mlflowErrorCode === undefined ? {} : { mlflowErrorCode }),
  });
}

/** Requests to one MLflow server, retrying what a retry can fix. */
export class MlflowHttp {
  readonly #baseUrl: string;
  readonly #authorization: string | undefined;
  readonly #maxAttempts: number;
  readonly #timeoutMs: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;

  constructor(config: MlflowConfig, options: MlflowHttpOptions = {}) {
    this.#baseUrl = config.trackingUri;
    this.#authorization = authorization(config);
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#backoffMs = options.backoffMs ?? 500;
    this.#maxBackoffMs = options.maxBackoffMs ?? 10_000;
  }

  async json<T>(request: MlflowRequest): Promise<T> {
    const body = await this.send(request);
    // Some endpoints (deletes, sets) answer with an empty body.
    return (body.length === 0 ? {} : JSON.parse(body.toString('utf8'))) as T;
  }

  /** The body of a 2xx answer. */
  async send(request: MlflowRequest): Promise<Buffer> {
    const url = new URL(this.#baseUrl + request.path);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {};
    if (this.#authorization) headers.authorization = this.#authorization;
    let body: Buffer | string | undefined = request.body;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers['content-type'] = 'application/json';
    } else if (request.contentType) {
      headers['content-type'] = request.contentType;
    }

    const maxAttempts = request.once ? 1 : this.#maxAttempts;
    for (let attempt = 1; ; attempt++) {
      let answer: { status: number; body: Buffer } | undefined;
      let failure: unknown;
      try {
        const response = await fetch(url, {
          method: request.method,
          headers,
          body: body ?? null,
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
        answer = { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
      } catch (error) {
        failure = error;
      }
      if (answer && answer.status >= 200 && answer.status < 300) return answer.body;
      if (answer && (!RETRYABLE_STATUSES.has(answer.status) || attempt >= maxAttempts)) {
        throw answerError(request, answer.status, answer.body, attempt);
      }
      if (!answer && attempt >= maxAttempts) {
        throw new MlflowError(
          'MLFLOW_UNREACHABLE',
          `MLflow ${request.method} ${request.path}: no answer from ${this.#baseUrl} after ${attempt} attempt(s): ${describeCause(failure)}`,
          { cause: failure, retryable: true },
        );
      }
      await sleep(this.#backoff(attempt));
    }
  }

  #backoff(attempt: number): number {
    const bound = Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** (attempt - 1));
    // Jitter, so clients that failed together do not all come back together.
    return bound / 2 + (Math.random() * bound) / 2;
  }
}
