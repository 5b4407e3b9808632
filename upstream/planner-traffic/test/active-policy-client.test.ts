import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ActivePolicyClient } from '../src/active-policy-client.ts';

const production = { policy_version_id: 'heuristic-baseline-v1', model_uri: null, runtime: { kind: 'heuristic' } };
const v1 = { policy_id: 'planner', production, experiment: null };
const v2 = { policy_id: 'planner', production: { ...production, policy_version_id: 'planner:m:v2' }, experiment: null };

// A stand-in for the gate's GET /v1/experiments/active: the document, its ETag, and switches to misbehave.
let document: unknown = v1;
let status = 200;
const seen: { ifNoneMatch: string | undefined }[] = [];
let server: Server;
let url: string;

before(async () => {
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    seen.push({ ifNoneMatch: request.headers['if-none-match'] });
    const etag = `"${JSON.stringify(document).length}"`;
    if (status !== 200) response.writeHead(status).end(JSON.stringify({ code: 'NOT_FOUND', message: 'no policy' }));
    else if (request.headers['if-none-match'] === etag) response.writeHead(304, { etag }).end();
    else response.writeHead(200, { etag, 'content-type': 'application/json' }).end(JSON.stringify(document));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

function client(changes: unknown[] = [], errors: Error[] = []) {
  return new ActivePolicyClient({
    gateUrl: url,
    policyId: 'planner',
    refreshMs: 3_600_000,
    onRefreshError: (error) => errors.push(error),
    onChange: (policy) => changes.push(policy),
  });
}

test('a refresh sends the last ETag; 304 keeps the document, a new one replaces it and is announced', async () => {
  document = v1;
  status = 200;
  const changes: unknown[] = [];
  const c = client(changes);
  assert.deepEqual(await c.start(1000), v1);
  await c.refresh();
  assert.ok(seen.at(-1)?.ifNoneMatch, 'the second read is conditional');
  assert.deepEqual(changes, []);
  document = v2;
  await c.refresh();
  assert.deepEqual(c.current(), v2);
  assert.deepEqual(changes, [v2]);
  c.stop();
});

test('while the gate is away the last document keeps serving', async () => {
  document = v1;
  status = 200;
  const c = client();
  await c.start(1000);
  status = 503;
  await assert.rejects(c.refresh(), /answered 503/);
  assert.deepEqual(c.current(), v1);
  c.stop();
});

test('an unknown policy is refused at start without waiting; a malformed document is refused', async () => {
  status = 404;
  const started = Date.now();
  await assert.rejects(
    client().start(20_000),
    (error: Error & { code?: string }) => error.code === 'TRAFFIC_GATE_UNAVAILABLE' && /404/.test(error.message),
  );
  assert.ok(Date.now() - started < 5000, 'a 404 is not retried');
  status = 200;
  document = { policy_id: 'planner', production: { ...production, policy_version_id: '' } };
  await assert.rejects(client().start(1000), /production\.policy_version_id must be a non-empty string/);
});
