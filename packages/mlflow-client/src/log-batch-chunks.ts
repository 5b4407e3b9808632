import { MlflowError } from './mlflow-error.ts';

/** What the server accepts in one `runs/log-batch` request (MLflow's mlflow/utils/validation.py). */
export const LOG_BATCH_LIMITS = { params: 100, tags: 100, metrics: 1000, entities: 1000, bytes: 1_000_000 } as const;

export interface LogBatchParam {
  key: string;
  value: string;
}

export interface LogBatchTag {
  key: string;
  value: string;
}

export interface LogBatchMetric {
  key: string;
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
}

/** The body of one `runs/log-batch` request, exactly as sent. */
export interface LogBatchRequest {
  run_id: string;
  metrics: LogBatchMetric[];
  params: LogBatchParam[];
  tags: LogBatchTag[];
}

export interface LogBatchEntities {
  params?: readonly LogBatchParam[];
  tags?: readonly LogBatchTag[];
  metrics?: readonly LogBatchMetric[];
}

type Kind = 'params' | 'tags' | 'metrics';

interface Chunk {
  request: LogBatchRequest;
  /** The byte length of `JSON.stringify(request)`, kept up to date as entities are added. */
  bytes: number;
}

function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** The bytes `entity` adds to `chunk`: its JSON, and a comma unless it is first in its array. */
function addedBytes(chunk: Chunk, kind: Kind, entityBytes: number): number {
  return entityBytes + (chunk.request[kind].length > 0 ? 1 : 0);
}

function fits(chunk: Chunk, kind: Kind, entityBytes: number): boolean {
  const { params, tags, metrics } = chunk.request;
  return (
    chunk.request[kind].length < LOG_BATCH_LIMITS[kind] &&
    params.length + tags.length + metrics.length < LOG_BATCH_LIMITS.entities &&
    chunk.bytes + addedBytes(chunk, kind, entityBytes) <= LOG_BATCH_LIMITS.bytes
  );
}

/**
 * Splits what to log into as few `runs/log-batch` requests as first-fit
 * finds, each within every one of MLflow's limits. Sent in turn, the requests
 * keep each kind's order, so a tag given twice ends with its later value.
 * Nothing to log, no requests.
 */
export function chunkLogBatch(runId: string, entities: LogBatchEntities): LogBatchRequest[] {
  const emptyBytes = byteLength({ run_id: runId, metrics: [], params: [], tags: [] } satisfies LogBatchRequest);
  const chunks: Chunk[] = [];
  for (const kind of ['params', 'tags', 'metrics'] as const) {
    // A later entity only goes into a chunk at or after the previous one's, which keeps the order.
    let from = 0;
    for (const entity of entities[kind] ?? []) {
      const entityBytes = byteLength(entity);
      let index = chunks.findIndex((chunk, i) => i >= from && fits(chunk, kind, entityBytes));
      if (index === -1) {
        const chunk: Chunk = { request: { run_id: runId, metrics: [], params: [], tags: [] }, bytes: emptyBytes };
        if (!fits(chunk, kind, entityBytes)) {
          throw new MlflowError(
            'MLFLOW_REQUEST_TOO_LARGE',
            `${kind} entry '${entity.key}' alone makes a log-batch request of ${emptyBytes + entityBytes} bytes, over MLflow's ${LOG_BATCH_LIMITS.bytes}`,
          );
        }
        index = chunks.push(chunk) - 1;
      }
      const chunk = chunks[index] as Chunk;
      chunk.bytes += addedBytes(chunk, kind, entityBytes);
      (chunk.request[kind] as unknown[]).push(entity);
      from = index;
    }
  }
  return chunks.map((chunk) => chunk.request);
}
