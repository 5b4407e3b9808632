import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { HttpError } from '../src/http-errors.ts';
import { createServiceApp } from '../src/service-app.ts';

let app: FastifyInstance;
let kafkaUp = true;
const TOKEN = 'operator-token-1';

before(async () => {
  app = await createServiceApp({
    name: 'example-service',
    version: '1.2.3',
    metrics: new Registry(),
    readiness: {
      postgres: async () => undefined,
      kafka: async () => {
        if (!kafkaUp) throw new Error('connection refused');
      },
    },
    authTokens: [TOKEN, 'second-token'],
  });
  app.post(
    '/v1/datasets',
    {
      schema: {
        body: {
          type: 'object',
          required: ['model_name', 'dataset_date'],
          additionalProperties: false,
          properties: { model_name: { type: 'string', minLength: 1 }, dataset_date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } },
        },
        response: { 202: { type: 'object', properties: { accepted: { type: 'boolean' } } }, 400: { $ref: 'ErrorResponse#' } },
      },
    },
    async (_request, reply) => reply.status(202).send({ accepted: true }),
  );
  app.get('/v1/datasets/:id', async (request) => {
    throw new HttpError('NOT_FOUND', `no dataset version '${(request.params as { id: string }).id}'`);
  });
  app.get('/v1/boom', async () => {
    throw new Error('secret internals');
  });
  await app.ready();
});
after(() => app.close());

const post = (body: unknown, token?: string) =>
  app.inject({ method: 'POST', url: '/v1/datasets', payload: body as object, headers: token ? { authorization: `Bearer ${token}` } : {} });

test('healthz answers while the process lives; readyz names the dependency that does not answer', async () => {
  assert.deepEqual((await app.inject('/healthz')).json(), { status: 'ok' });
  assert.deepEqual((await app.inject('/readyz')).json(), { status: 'ready', checks: { postgres: 'ok', kafka: 'ok' } });
  kafkaUp = false;
  const notReady = await app.inject('/readyz');
  kafkaUp = true;
  assert.equal(notReady.statusCode, 503);
  assert.equal(notReady.json().error.code, 'NOT_READY');
  assert.equal(notReady.json().error.message, 'not ready: kafka (connection refused)');
});

test('state changes need a bearer token from the configuration; reads stay open', async () => {
  const none = await post({ model_name: 'planner', dataset_date: '2026-11-26' });
  assert.equal(none.statusCode, 401);
  assert.deepEqual(none.json(), {
    error: { code: 'UNAUTHORIZED', message: 'POST /v1/datasets needs an Authorization: Bearer <token> header' },
  });
  const wrong = await post({ model_name: 'planner', dataset_date: '2026-11-26' }, 'guess');
  assert.equal(wrong.statusCode, 401);
  assert.equal(wrong.json().error.message, 'the bearer token is not accepted');
  assert.equal((await post({ model_name: 'planner', dataset_date: '2026-11-26' }, 'second-token')).statusCode, 202);
  assert.equal((await app.inject('/v1/datasets/x')).statusCode, 404, 'GET needs no token');
});

test('an invalid body gets a 400 naming every problem', async () => {
  const response = await post({ model_name: '', dataset_date: 'yesterday', extra: 1 }, TOKEN);
  assert.equal(response.statusCode, 400);
  const { error } = response.json();
  assert.equal(error.code, 'VALIDATION_FAILED');
  assert.match(error.message, /body has unknown property 'extra'/);
  assert.match(error.message, /body\/model_name must NOT have fewer than 1 characters/);
  assert.match(error.message, /body\/dataset_date must match pattern/);
});

test('errors share one format: coded 404s, unknown routes, and 500s that do not leak internals', async () => {
  assert.deepEqual((await app.inject('/v1/datasets/planner-2026')).json(), {
    error: { code: 'NOT_FOUND', message: "no dataset version 'planner-2026'" },
  });
  assert.deepEqual((await app.inject('/nowhere?x=1')).json(), { error: { code: 'NOT_FOUND', message: 'no route GET /nowhere' } });
  const boom = await app.inject('/v1/boom');
  assert.equal(boom.statusCode, 500);
  assert.deepEqual(boom.json(), { error: { code: 'INTERNAL', message: 'internal error; see the service log' } });
});

test('metrics and OpenAPI are served', async () => {
  const metrics = await app.inject('/metrics');
  assert.match(metrics.headers['content-type'] as string, /text\/plain/);
  assert.match(metrics.body, /process_cpu_seconds_total/);
  assert.match(metrics.body, /planner_http_request_duration_seconds_count\{method="POST",route="\/v1\/datasets",status="202"\}/);
  const spec = (await app.inject('/docs/json')).json();
  assert.equal(spec.info.title, 'example-service');
  assert.deepEqual(spec.paths['/v1/datasets'].post.requestBody.content['application/json'].schema.required, ['model_name', 'dataset_date']);
  assert.equal((await app.inject('/docs/')).statusCode, 200, 'the UI page');
});
