import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { MlflowError } from '../src/mlflow-error.ts';
import { MlflowHttp } from '../src/mlflow-http.ts';

interface Answer {
  status: number;
  body: string;
}

/** A stand-in for a flaky network in front of MLflow: answers the scripted replies in turn, recording each request. */
async function scriptedServer(
  answers: Answer[],
): Promise<{ url: string; requests: { url: string; headers: IncomingHttpHeaders; body: string }[] }> {
  const requests: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    requests.push({ url: request.url ?? '', headers: request.headers, body });
    const answer = answers[Math.min(requests.length, answers.length) - 1] as Answer;
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const FAST = { backoffMs: 1, maxBackoffMs: 5 };
const unavailable = { status: 503, body: '{"error_code":"TEMPORARILY_UNAVAILABLE","message":"busy"}' };

test('503 twice then 200: retried until it succeeds, the same request each time', async () => {
  const server = await scriptedServer([unavailable, unavailable, { status: 200, body: '{"experiment_id":"7"}' }]);
  const http = new MlflowHttp({ trackingUri: server.url, auth: { kind: 'bearer', token: 'tok' } }, FAST);
  const answer = await http.json<{ experiment_id: string }>({
    method: 'POST',
    path: '/api/2.0/mlflow/experiments/create',
    json: { name: 'x' },
  });
  assert.deepEqual(answer, { experiment_id: '7' });
  assert.equal(server.requests.length, 3);
  for (const request of server.requests) {
    assert.equal(request.url, '/api/2.0/mlflow/experiments/create');
    assert.equal(request.body, '{"name":"x"}');
    assert.equal(request.headers.authorization, 'Bearer tok');
    assert.equal(request.headers['content-type'], 'application/json');
  }
});

test("400 is not retried; the error names method, path, status and MLflow's error code and message", async () => {
  const server = await scriptedServer([
    { status: 400, body: '{"error_code":"INVALID_PARAMETER_VALUE","message":"Param value too long"}' },
    { status: 200, body: '{}' },
  ]);
  const http = new MlflowHttp({ trackingUri: server.url }, FAST);
  const error = await http.json({ method: 'GET', path: '/api/2.0/mlflow/runs/get', query: { run_id: 'r 1' } }).then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof MlflowError);
  assert.equal(error.code, 'MLFLOW_REQUEST_FAILED');
  assert.equal(error.status, 400);
  assert.equal(error.mlflowErrorCode, 'INVALID_PARAMETER_VALUE');
  assert.equal(error.message, 'MLflow GET /api/2.0/mlflow/runs/get answered 400 INVALID_PARAMETER_VALUE: Param value too long');
  assert.equal(server.requests.length, 1);
  assert.equal(server.requests[0]?.url, '/api/2.0/mlflow/runs/get?run_id=r+1');
});

test('a 404 is MLFLOW_NOT_FOUND; retries stop after maxAttempts, saying so', async () => {
  const missing = await scriptedServer([{ status: 404, body: '{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"no run"}' }]);
  await assert.rejects(
    new MlflowHttp({ trackingUri: missing.url }, FAST).send({ method: 'GET', path: '/x' }),
    (e: unknown) => e instanceof MlflowError && e.code === 'MLFLOW_NOT_FOUND' && e.status === 404,
  );

  const down = await scriptedServer([{ status: 502, body: '<html>bad gateway</html>' }]);
  await assert.rejects(new MlflowHttp({ trackingUri: down.url }, { ...FAST, maxAttempts: 3 }).send({ method: 'GET', path: '/x' }), {
    code: 'MLFLOW_REQUEST_FAILED',
    message: 'MLflow GET /x answered 502: <html>bad gateway</html> (after 3 attempts)',
  });
  assert.equal(down.requests.length, 3);
});

test('a request marked once is tried once, even on a retryable answer', async () => {
  const server = await scriptedServer([unavailable, { status: 200, body: '{}' }]);
  await assert.rejects(new MlflowHttp({ trackingUri: server.url }, FAST).send({ method: 'GET', path: '/probe', once: true }), {
    code: 'MLFLOW_REQUEST_FAILED',
    status: 503,
  });
  assert.equal(server.requests.length, 1);
});

test('basic auth is sent as MLflow sends it', async () => {
  const server = await scriptedServer([{ status: 200, body: '' }]);
  await new MlflowHttp({ trackingUri: server.url, auth: { kind: 'basic', username: 'ann', password: 'pw' } }).send({
    method: 'GET',
    path: '/x',
  });
  assert.equal(server.requests[0]?.headers.authorization, `Basic ${Buffer.from('ann:pw').toString('base64')}`);
});

test('no server listening, or one that never answers: MLFLOW_UNREACHABLE after every attempt', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  await assert.rejects(
    new MlflowHttp({ trackingUri: `http://127.0.0.1:${port}` }, { ...FAST, maxAttempts: 2 }).send({ method: 'GET', path: '/health' }),
    {
      code: 'MLFLOW_UNREACHABLE',
      message: new RegExp(
        `^MLflow GET /health: no answer from http://127\\.0\\.0\\.1:${port} after 2 attempt\\(s\\): fetch failed \\(ECONNREFUSED\\)$`,
      ),
    },
  );

  let received = 0;
  const silent = createServer(() => {
    received++;
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  after(() => {
    silent.closeAllConnections();
    return new Promise((resolve) => silent.close(resolve));
  });
  const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  await assert.rejects(
    new MlflowHttp({ trackingUri: url }, { ...FAST, maxAttempts: 2, timeoutMs: 50 }).send({ method: 'GET', path: '/slow' }),
    {
      code: 'MLFLOW_UNREACHABLE',
      message: /no answer .* after 2 attempt\(s\): .*timeout/,
    },
  );
  assert.equal(received, 2);
});
