import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FIELD_LIMITS } from '@planner/schemas';
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
  app.get(
    '/v1/jobs/:job_id',
    {
      schema: {
        params: { type: 'object', properties: { job_id: { type: 'string', format: 'uuid', maxLength: 36 } } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, verbose: { type: 'boolean' } },
        },
        headers: { type: 'object', properties: { 'x-page': { type: 'integer' } } },
      },
    },
    async (request) => ({ params: request.params, query: request.query, page: request.headers['x-page'] ?? null }),
  );
  app.post(
    '/v1/counts',
    { schema: { body: { type: 'object', additionalProperties: false, properties: { n: { type: 'integer' } } } } },
    async (request) => request.body,
  );
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

const JOB = '0b9e4c1e-5d1f-4a0b-9c3e-2f6a7d8e9f01';

test('query strings, path params and headers are coerced to their schema types; defaults apply', async () => {
  const response = await app.inject({ url: `/v1/jobs/${JOB}?limit=10&verbose=true`, headers: { 'x-page': '3' } });
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), { params: { job_id: JOB }, query: { limit: 10, verbose: true }, page: 3 });
  assert.deepEqual((await app.inject(`/v1/jobs/${JOB}`)).json().query, { limit: 50 });
});

test('text that is not of the schema type gets a precise 400', async () => {
  const message = async (url: string) => (await app.inject(url)).json().error.message;
  assert.equal(await message(`/v1/jobs/${JOB}?limit=ten`), 'querystring/limit must be integer');
  assert.equal(
    await message(`/v1/jobs/${JOB}?limit=0&other=1`),
    "querystring has unknown property 'other'; querystring/limit must be >= 1",
  );
  assert.equal(await message(`/v1/jobs/${'-'.repeat(36)}`), 'params/job_id must match format "uuid"');
  assert.equal(await message(`/v1/jobs/urn:uuid:${JOB}`), 'params/job_id must NOT have more than 36 characters');
});

test('JSON bodies stay strict: nothing is coerced, nothing unknown is dropped', async () => {
  const strict = await app.inject({
    method: 'POST',
    url: '/v1/counts',
    payload: { n: '10' },
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(strict.statusCode, 400);
  assert.equal(strict.json().error.message, 'body/n must be integer');
  const exact = await app.inject({ method: 'POST', url: '/v1/counts', payload: { n: 10 }, headers: { authorization: `Bearer ${TOKEN}` } });
  assert.deepEqual(exact.json(), { n: 10 });
});

test('a path parameter past what the router passes on is refused in the one error format, without echoing it', async () => {
  const response = await app.inject(`/v1/datasets/${'x'.repeat(FIELD_LIMITS.text + 1)}`);
  assert.equal(response.statusCode, 414);
  assert.deepEqual(response.json(), {
    error: { code: 'VALIDATION_FAILED', message: `a path parameter is longer than ${FIELD_LIMITS.text} characters` },
  });
  assert.equal((await app.inject(`/v1/datasets/${'x'.repeat(FIELD_LIMITS.text)}`)).statusCode, 404, 'up to the limit, the route answers');
});
