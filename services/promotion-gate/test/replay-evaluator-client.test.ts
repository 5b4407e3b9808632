/**
 * The gate's client of the replay-evaluator against a stand-in HTTP peer that
 * serves the documented answer of GET /v1/replays/{replay_id}/rows, or fails
 * as a peer can: every failure a later try can cure is retryable (the consumer
 * then retries the event), the rest is not. The real route is exercised in
 * handlers/replay-completed.test.ts.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { isTransient } from '@planner/errors';
import type { RowMetrics } from '@planner/evaluation';
import { rowMetrics } from '../../../tests/support/recorded-replay.ts';
import { ReplayEvaluatorClient } from '../src/replay-evaluator-client.ts';
import { ReplayRowsError } from '../src/replay-rows-error.ts';

const DIGEST = 'a'.repeat(64);
const answer = (replayId: string) => ({
  replay_id: replayId,
  results_digest: DIGEST,
  row_count: 2,
  rows: ['r0', 'r1'].map((row_id) => ({
    row_id,
    candidate: { metrics: rowMetrics(0.8), offline_score: 0.8 },
    baseline: { metrics: rowMetrics(0.7), offline_score: 0.7 },
  })),
});

type Peer = (request: IncomingMessage, response: ServerResponse, nth: number) => void;
const servers: Server[] = [];
after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

/** A peer answering the nth request (from 1) with `behave`; its base URL and the paths it was asked for. */
async function peer(behave: Peer) {
  const paths: string[] = [];
  const server = createServer((request, response) => {
    paths.push(request.url ?? '');
    behave(request, response, paths.length);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
}

const json = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

/** Asserts `promise` fails with a ReplayRowsError of `code`, retryable or not, whose message matches. */
async function fails(promise: Promise<unknown>, code: string, retryable: boolean, message: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ReplayRowsError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    assert.equal(isTransient(error), retryable, 'retryable for the consumer');
    return true;
  });
}

test('the paired rows of a replay, asked for at its documented path under the configured base', async () => {
  const { url, paths } = await peer((_q, response) => json(response, 200, answer('replay/1')));
  const rows = await new ReplayEvaluatorClient(`${url}/evaluator/`).pairedRows('replay/1', DIGEST);
  assert.deepEqual(rows, answer('replay/1').rows);
  assert.deepEqual(paths, ['/evaluator/v1/replays/replay%2F1/rows']);
});

test('a connection reset is tried again at once: the GET is idempotent', async () => {
  const { url, paths } = await peer((request, response, nth) => {
    if (nth === 1) request.socket.destroy();
    else json(response, 200, answer('replay-1'));
  });
  assert.equal((await new ReplayEvaluatorClient(url).pairedRows('replay-1', DIGEST))?.length, 2);
  assert.equal(paths.length, 2);
});

test('a peer that keeps resetting, or is not there, is a retryable REPLAY_EVALUATOR_UNREACHABLE after the tries', async () => {
  const { url, paths } = await peer((request) => request.socket.destroy());
  await fails(
    new ReplayEvaluatorClient(url, { attempts: 3 }).pairedRows('replay-1', DIGEST),
    'REPLAY_EVALUATOR_UNREACHABLE',
    true,
    new RegExp(`^GET ${url}/v1/replays/replay-1/rows failed 3 times, last with \\S+`),
  );
  assert.equal(paths.length, 3);
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise((resolve) => closed.close(resolve));
  await fails(
    new ReplayEvaluatorClient(`http://127.0.0.1:${port}`).pairedRows('replay-1', DIGEST),
    'REPLAY_EVALUATOR_UNREACHABLE',
    true,
    /failed 3 times, last with ECONNREFUSED$/,
  );
});

test('no answer within the timeout is retryable', async () => {
  const { url } = await peer(() => undefined);
  await fails(
    new ReplayEvaluatorClient(url, { timeoutMs: 200 }).pairedRows('replay-1', DIGEST),
    'REPLAY_EVALUATOR_UNREACHABLE',
    true,
    /gave no answer within 200 ms$/,
  );
});

test("409 and 5xx are retryable, with the peer's message; another 4xx is not; 404 is no such replay", async () => {
  const statuses = [409, 503, 400, 404];
  const { url } = await peer((_q, response, nth) =>
    json(response, statuses[nth - 1] as number, { error: { code: 'X', message: `said ${statuses[nth - 1]}` } }),
  );
  const client = new ReplayEvaluatorClient(url);
  await fails(client.pairedRows('r', DIGEST), 'REPLAY_ROWS_NOT_READY', true, /answered 409: said 409$/);
  await fails(client.pairedRows('r', DIGEST), 'REPLAY_EVALUATOR_UNREACHABLE', true, /answered 503: said 503$/);
  await fails(client.pairedRows('r', DIGEST), 'REPLAY_ROWS_REFUSED', false, /answered 400: said 400$/);
  assert.equal(await client.pairedRows('r', DIGEST), undefined);
});

test('rows whose digest is not the announced one are a retryable REPLAY_DIGEST_MISMATCH naming both digests', async () => {
  const { url } = await peer((_q, response) => json(response, 200, answer('replay-1')));
  const announced = 'b'.repeat(64);
  await fails(
    new ReplayEvaluatorClient(url).pairedRows('replay-1', announced),
    'REPLAY_DIGEST_MISMATCH',
    true,
    new RegExp(`^the replay-evaluator's rows of replay replay-1 digest to ${DIGEST}, but replay.completed announced ${announced}`),
  );
});

test('an answer outside the contract is a permanent REPLAY_ROWS_INVALID naming what is wrong', async () => {
  const broken = answer('replay-1');
  const { edit_rate: _, ...withoutEditRate } = rowMetrics(0.7);
  broken.rows[1] = {
    row_id: 'r1',
    candidate: { metrics: rowMetrics(0.8), offline_score: 0.8 },
    baseline: { metrics: withoutEditRate as RowMetrics, offline_score: 0.7 },
  };
  const bodies: unknown[] = [broken, { ...answer('replay-1'), replay_id: 'replay-2' }, 'not json'];
  const { url } = await peer((_q, response, nth) => {
    const body = bodies[nth - 1];
    if (typeof body === 'string') response.end(body);
    else json(response, 200, body);
  });
  const client = new ReplayEvaluatorClient(url);
  await fails(
    client.pairedRows('replay-1', DIGEST),
    'REPLAY_ROWS_INVALID',
    false,
    /: rows\[1\]\.baseline has no numeric metrics\.edit_rate$/,
  );
  await fails(client.pairedRows('replay-1', DIGEST), 'REPLAY_ROWS_INVALID', false, /: replay_id is "replay-2"$/);
  await fails(client.pairedRows('replay-1', DIGEST), 'REPLAY_ROWS_INVALID', false, /: the body is not a JSON object$/);
});
