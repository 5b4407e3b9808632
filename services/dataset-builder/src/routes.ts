import { randomUUID } from 'node:crypto';
import type { BusTables, EventBus } from '@planner/bus';
import { datasetVersionOf } from '@planner/domain';
import { FIELD_LIMITS } from '@planner/schemas';
import { HttpError } from '@planner/service-kit';
import { continueTrace, SpanKind } from '@planner/telemetry';
import type { FastifyInstance } from 'fastify';
import type { Kysely, Selectable } from 'kysely';
import { requestProblems } from './handlers/dataset-requested.ts';
import type { DatasetBuilderTables } from './tables.ts';

type Db = Kysely<DatasetBuilderTables & BusTables>;

/** A dataset date is YYYY-MM-DD; the bound keeps an oversized value out of error messages and events. */
const DATE_LENGTH = 10;

const datasetSchema = {
  type: 'object',
  properties: {
    dataset_version: { type: 'string' },
    model_name: { type: 'string' },
    dataset_date: { type: 'string' },
    window_start: { type: 'string', format: 'date-time' },
    window_end: { type: 'string', format: 'date-time' },
    split_seed: { type: 'integer' },
    status: { type: 'string', enum: ['pending', 'building', 'ready', 'failed'] },
    location: { type: ['string', 'null'] },
    digest: { type: ['string', 'null'] },
    row_count: { type: ['integer', 'null'] },
    field_count: { type: ['integer', 'null'] },
    split_counts: { type: ['object', 'null'], additionalProperties: { type: 'integer' } },
    mlflow_run_id: { type: ['string', 'null'] },
    attempts: { type: 'integer' },
    error: { type: ['string', 'null'] },
    correlation_id: { type: 'string' },
  },
} as const;

interface RequestBody {
  model_name: string;
  window_start: string;
  window_end: string;
  dataset_date?: string;
  split_seed?: number;
  correlation_id?: string;
}

function view(row: Selectable<DatasetBuilderTables['exp.datasets']>) {
  return {
    ...row,
    window_start: new Date(row.window_start).toISOString(),
    window_end: new Date(row.window_end).toISOString(),
  };
}

export function datasetRoutes(app: FastifyInstance, db: Db, bus: EventBus): void {
  app.post<{ Body: RequestBody }>(
    '/v1/datasets',
    {
      schema: {
        description:
          'Request a dataset version for a model over a window of product events; publishes dataset.requested. Needs a bearer token.',
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          required: ['model_name', 'window_start', 'window_end'],
          additionalProperties: false,
          properties: {
            model_name: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.name },
            window_start: { type: 'string', format: 'date-time' },
            window_end: { type: 'string', format: 'date-time' },
            dataset_date: { type: 'string', maxLength: DATE_LENGTH, description: 'YYYY-MM-DD; defaults to the date of window_end.' },
            split_seed: { type: 'integer', minimum: 0, maximum: 2147483647, default: 42 },
            correlation_id: {
              type: 'string',
              minLength: 1,
              maxLength: FIELD_LIMITS.id,
              description: 'The lifecycle run this request belongs to; a new one by default.',
            },
          },
        },
        response: {
          202: {
            type: 'object',
            properties: { dataset_version: { type: 'string' }, correlation_id: { type: 'string' }, status_url: { type: 'string' } },
          },
          400: { $ref: 'ErrorResponse#' },
          409: { $ref: 'ErrorResponse#' },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const windowStart = Date.parse(body.window_start);
      const windowEnd = Date.parse(body.window_end);
      const datasetDate = body.dataset_date ?? new Date(windowEnd - 1).toISOString().slice(0, 10);
      const problems = requestProblems({
        model_name: body.model_name,
        dataset_date: datasetDate,
        window_start: windowStart,
        window_end: windowEnd,
      });
      if (problems.length > 0) throw new HttpError('VALIDATION_FAILED', problems.join('; '));
      const version = datasetVersionOf(body.model_name, datasetDate);
      const splitSeed = body.split_seed ?? 42;
      const existing = await db.selectFrom('exp.datasets').selectAll().where('dataset_version', '=', version).executeTakeFirst();
      if (
        existing &&
        (new Date(existing.window_start).getTime() !== windowStart ||
          new Date(existing.window_end).getTime() !== windowEnd ||
          existing.split_seed !== splitSeed)
      ) {
        throw new HttpError('CONFLICT', `${version} already exists with other pins (window or split seed); choose another dataset_date`);
      }
      const correlationId = body.correlation_id ?? randomUUID();
      const event = bus.event(
        'dataset.requested',
        {
          model_name: body.model_name,
          window_start: windowStart,
          window_end: windowEnd,
          dataset_date: datasetDate,
          split_seed: splitSeed,
          requested_by: 'http',
        },
        correlationId,
      );
      // The request starts the lifecycle's trace, or continues the caller's when it sent a traceparent.
      await continueTrace('POST /v1/datasets', request.headers, { kind: SpanKind.SERVER, correlationId }, () =>
        db.transaction().execute((trx) => bus.enqueue(trx, 'dataset.requested', event, version)),
      );
      return reply.status(202).send({ dataset_version: version, correlation_id: correlationId, status_url: `/v1/datasets/${version}` });
    },
  );

  app.get<{ Params: { model_name: string; dataset_date: string } }>(
    '/v1/datasets/:model_name/:dataset_date',
    {
      schema: {
        description: 'One dataset version and its build status.',
        params: {
          type: 'object',
          properties: {
            model_name: { type: 'string', maxLength: FIELD_LIMITS.name },
            dataset_date: { type: 'string', maxLength: DATE_LENGTH },
          },
        },
        response: { 200: datasetSchema, 404: { $ref: 'ErrorResponse#' } },
      },
    },
    async (request) => {
      const { model_name: model, dataset_date: date } = request.params;
      // Parts no request could name (a malformed date) name no version either.
      if (requestProblems({ model_name: model, dataset_date: date, window_start: 0, window_end: 1 }).length > 0) {
        throw new HttpError('NOT_FOUND', `no dataset version ${model}/${date}`);
      }
      const version = datasetVersionOf(model, date);
      const row = await db.selectFrom('exp.datasets').selectAll().where('dataset_version', '=', version).executeTakeFirst();
      if (!row) throw new HttpError('NOT_FOUND', `no dataset version ${version}`);
      return view(row);
    },
  );

  app.get<{ Querystring: { model_name?: string; limit?: number } }>(
    '/v1/datasets',
    {
      schema: {
        description: 'Dataset versions, newest request first.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            model_name: { type: 'string', maxLength: FIELD_LIMITS.name },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          },
        },
        response: { 200: { type: 'array', items: datasetSchema } },
      },
    },
    async (request) => {
      let query = db
        .selectFrom('exp.datasets')
        .selectAll()
        .orderBy('requested_at', 'desc')
        .limit(request.query.limit ?? 50);
      if (request.query.model_name) query = query.where('model_name', '=', request.query.model_name);
      return (await query.execute()).map(view);
    },
  );
}
