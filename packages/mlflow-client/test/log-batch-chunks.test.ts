import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkLogBatch, type LogBatchMetric, type LogBatchParam, type LogBatchRequest } from '../src/log-batch-chunks.ts';
import { MlflowError } from '../src/mlflow-error.ts';

// With run id 'r1' an empty request is {"run_id":"r1","metrics":[],"params":[],"tags":[]}: 50 bytes.
const RUN = 'r1';

const pad = (i: number) => String(i).padStart(2, '0');
const params = (n: number, valueLength = 1): LogBatchParam[] =>
  Array.from({ length: n }, (_, i) => ({ key: `p${pad(i)}`, value: 'x'.repeat(valueLength) }));
const metrics = (n: number): LogBatchMetric[] => Array.from({ length: n }, (_, i) => ({ key: 'loss', value: i, timestamp: 1, step: i }));
const sizes = (requests: LogBatchRequest[]) => requests.map((r) => [r.params.length, r.tags.length, r.metrics.length]);
const bytes = (request: LogBatchRequest) => Buffer.byteLength(JSON.stringify(request));

test('nothing to log means no request', () => {
  assert.deepEqual(chunkLogBatch(RUN, {}), []);
  assert.deepEqual(chunkLogBatch(RUN, { params: [], tags: [], metrics: [] }), []);
});

test('250 params make three requests of 100, 100 and 50, in order', () => {
  const all = params(250);
  const requests = chunkLogBatch(RUN, { params: all });
  assert.deepEqual(sizes(requests), [
    [100, 0, 0],
    [100, 0, 0],
    [50, 0, 0],
  ]);
  assert.deepEqual(
    requests.flatMap((r) => r.params),
    all,
  );
  assert.ok(requests.every((r) => r.run_id === RUN));
});

test('1000 metrics and 5 params respect the 1000 entities a request may hold', () => {
  const requests = chunkLogBatch(RUN, { params: params(5), metrics: metrics(1000) });
  assert.deepEqual(sizes(requests), [
    [5, 0, 995],
    [0, 0, 5],
  ]);
  assert.deepEqual(
    requests.flatMap((r) => r.metrics).map((m) => m.step),
    metrics(1000).map((m) => m.step),
  );
});

test('250 params, 120 tags and 1500 metrics fit in three requests, each within every count limit', () => {
  const tags = Array.from({ length: 120 }, (_, i) => ({ key: `t${i}`, value: 'v' }));
  const requests = chunkLogBatch(RUN, { params: params(250), tags, metrics: metrics(1500) });
  // Params fill 100/100/50; tags go first-fit 100 then 20; metrics fill what the 1000-entity limit leaves: 800, then 700.
  assert.deepEqual(sizes(requests), [
    [100, 100, 800],
    [100, 20, 700],
    [50, 0, 0],
  ]);
});

test('large params split by bytes: 50 024-byte params go 19 to a request', () => {
  // Each param {"key":"p00","value":"x...x"} is 8 + 3 + 11 + 50 000 + 2 = 50 024 bytes, plus a comma after the first.
  // 19 of them: 50 + 19 * 50 024 + 18 = 950 524 bytes; 20 would be 1 000 549, over 1 000 000.
  const requests = chunkLogBatch(RUN, { params: params(60, 50_000) });
  assert.deepEqual(
    requests.map((r) => r.params.length),
    [19, 19, 19, 3],
  );
  assert.equal(bytes(requests[0] as LogBatchRequest), 950_524);
});

test("MLflow's longest params and tags do not fit one request together: 100 params and 49 tags, then 51 tags", () => {
  // Params of 6000 characters are 6024 bytes: 50 + 100 * 6024 + 99 = 602 549 bytes.
  // Tags of 8000 characters are 8024 bytes: 49 more make 602 549 + 49 * 8024 + 48 = 995 773; a 50th would pass 1 000 000.
  const tags = Array.from({ length: 100 }, (_, i) => ({ key: `t${pad(i)}`, value: 'x'.repeat(8000) }));
  const requests = chunkLogBatch(RUN, { params: params(100, 6000), tags });
  assert.deepEqual(sizes(requests), [
    [100, 49, 0],
    [0, 51, 0],
  ]);
  assert.equal(bytes(requests[0] as LogBatchRequest), 995_773);
});

test('the limit is on bytes, not characters', () => {
  // 'é' is 2 bytes: each param is 8 + 3 + 11 + 2 * 50 000 + 2 = 100 024 bytes; 9 of them plus 8 commas and 50 make 900 274.
  const wide = Array.from({ length: 10 }, (_, i) => ({ key: `p${pad(i)}`, value: 'é'.repeat(50_000) }));
  assert.deepEqual(
    chunkLogBatch(RUN, { params: wide }).map((r) => r.params.length),
    [9, 1],
  );
});

test('one entry too big for any request is refused, naming it', () => {
  assert.throws(
    () => chunkLogBatch(RUN, { tags: [{ key: 'huge', value: 'x'.repeat(1_000_000) }] }),
    (error: unknown) => error instanceof MlflowError && error.code === 'MLFLOW_REQUEST_TOO_LARGE' && error.message.includes("'huge'"),
  );
});
