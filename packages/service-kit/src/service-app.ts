import { timingSafeEqual } from 'node:crypto';
import AjvCompiler, { type ValidatorFactory } from '@fastify/ajv-compiler';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { FIELD_LIMITS } from '@planner/schemas';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { collectDefaultMetrics, Histogram, type Registry } from 'prom-client';
import { errorResponseSchema, HttpError } from './http-errors.ts';

export interface ServiceAppOptions {
  name: string;
  version: string;
  /** The service's Prometheus registry; process metrics and HTTP timings are added to it. */
  metrics: Registry;
  /** Named dependency checks for /readyz; each rejects when its dependency cannot serve. */
  readiness: Record<string, () => Promise<void>>;
  /** Bearer tokens accepted on requests that change state (every method but GET, HEAD, OPTIONS). */
  authTokens: readonly string[];
  logger?: FastifyServerOptions['loggerInstance'];
}

const OPEN_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const READINESS_TIMEOUT_MS = 2000;

/**
 * The longest path parameter the router passes on to a route (fastify's
 * default is 100). Above every documented limit, so an over-long id reaches
 * its route's params schema and gets a 400 naming it; only absurd paths stop
 * at the router.
 */
const MAX_PARAM_LENGTH = FIELD_LIMITS.text;

/** Report every problem at once, and refuse unknown properties instead of dropping them silently. */
const AJV_OPTIONS = { allErrors: true, removeAdditional: false } as const;
/** The request parts that arrive as text (`?limit=10`, `/jobs/:id`, headers); everything else is JSON. */
const TEXT_PARTS = new Set(['querystring', 'params', 'headers']);

/**
 * Fastify's own Ajv compiler (with its formats, such as `uuid`), in two
 * configurations: JSON bodies stay strict — `"10"` is not a number there —
 * while query strings, path params and headers, which can only be text, are
 * coerced to their schema's types. One Ajv instance cannot do both (issue 17,
 * item 8). One pool per app, as fastify's default has.
 */
function requestValidators(): ValidatorFactory {
  const pool = AjvCompiler();
  return (externalSchemas) => {
    const strict = pool(externalSchemas, { customOptions: { ...AJV_OPTIONS, coerceTypes: false } });
    const coercing = pool(externalSchemas, { customOptions: { ...AJV_OPTIONS, coerceTypes: 'array' } });
    return (route) => (route.httpPart !== undefined && TEXT_PARTS.has(route.httpPart) ? coercing(route) : strict(route));
  };
}

/** The router's own refusals (a malformed or over-long path) in the one error format, without echoing the path. */
function answerRouterError(error: FastifyError, reply: FastifyReply): FastifyReply {
  const status = error.statusCode ?? 400;
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? `a path parameter is longer than ${MAX_PARAM_LENGTH} characters` : error.message;
  return reply.status(status).send({ error: { code: status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED', message } });
}

function tokenMatches(given: string, tokens: readonly string[]): boolean {
  const a = Buffer.from(given);
  // Compare against every token, in constant time per token, so timing tells nothing.
  return tokens.reduce((found, token) => {
    const b = Buffer.from(token);
    return (a.length === b.length && timingSafeEqual(a, b)) || found;
  }, false);
}

function withTimeout(check: () => Promise<void>): Promise<void> {
  return Promise.race([
    check(),
    new Promise<void>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer within ${READINESS_TIMEOUT_MS} ms`)), READINESS_TIMEOUT_MS).unref(),
    ),
  ]);
}

/**
 * The fastify app every service starts from: /healthz, /readyz, /metrics,
 * OpenAPI at /docs, JSON-schema validation with precise 400s, one error
 * format, and bearer-token authentication on every state-changing request.
 */
export async function createServiceApp(options: ServiceAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    schemaController: { compilersFactory: { buildValidator: requestValidators() } },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (error, _request, reply) => answerRouterError(error, reply),
  });

  if (!options.metrics.getSingleMetric('process_cpu_seconds_total')) collectDefaultMetrics({ register: options.metrics });
  const requestDuration =
    (options.metrics.getSingleMetric('planner_http_request_duration_seconds') as Histogram<'method' | 'route' | 'status'> | undefined) ??
    new Histogram({
      name: 'planner_http_request_duration_seconds',
      help: 'HTTP request duration by method, route and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [options.metrics],
    });

  await app.register(swagger, {
    openapi: {
      info: { title: options.name, version: options.version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.addHook('onRequest', async (request) => {
    if (OPEN_METHODS.has(request.method)) return;
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!token) throw new HttpError('UNAUTHORIZED', `${request.method} ${request.url} needs an Authorization: Bearer <token> header`);
    if (!tokenMatches(token, options.authTokens)) throw new HttpError('UNAUTHORIZED', 'the bearer token is not accepted');
  });

  app.addHook('onResponse', async (request, reply) => {
    requestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpError) {
      return reply
        .status(error.status)
        .send({ error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } });
    }
    if (error.validation) {
      const problems = error.validation.map((v) => {
        const where = `${error.validationContext ?? 'request'}${v.instancePath || ''}`;
        const unknown = (v.params as { additionalProperty?: string }).additionalProperty;
        return unknown === undefined ? `${where} ${v.message ?? 'is invalid'}` : `${where} has unknown property '${unknown}'`;
      });
      return reply.status(400).send({ error: { code: 'VALIDATION_FAILED', message: problems.join('; '), details: error.validation } });
    }
    const status = error.statusCode ?? 500;
    if (status < 500)
      return reply.status(status).send({ error: { code: status === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED', message: error.message } });
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error; see the service log' } });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );

  app.addSchema({ $id: 'ErrorResponse', ...errorResponseSchema });

  app.get(
    '/healthz',
    { schema: { description: 'The process is alive.', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } },
    async () => ({
      status: 'ok',
    }),
  );

  app.get('/readyz', { schema: { description: 'Every dependency answers; 503 names the ones that do not.' } }, async (_request, reply) => {
    const names = Object.keys(options.readiness);
    const results = await Promise.allSettled(names.map((name) => withTimeout(options.readiness[name] as () => Promise<void>)));
    const checks = Object.fromEntries(
      names.map((name, i) => [
        name,
        results[i]?.status === 'fulfilled' ? 'ok' : String((results[i] as PromiseRejectedResult).reason?.message ?? results[i]),
      ]),
    );
    const failing = names.filter((name) => checks[name] !== 'ok');
    if (failing.length > 0) {
      return reply.status(503).send({
        error: { code: 'NOT_READY', message: `not ready: ${failing.map((n) => `${n} (${checks[n]})`).join(', ')}`, details: checks },
      });
    }
    return { status: 'ready', checks };
  });

  app.get('/metrics', { schema: { description: 'Prometheus metrics.' } }, async (_request, reply) => {
    reply.header('content-type', options.metrics.contentType);
    return options.metrics.metrics();
  });

  return app;
}
