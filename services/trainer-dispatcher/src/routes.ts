import { randomUUID } from 'node:crypto';
import type { BusTables } from '@planner/bus';
import { FIELD_LIMITS } from '@planner/schemas';
import { HttpError } from '@planner/service-kit';
import { continueTrace, SpanKind } from '@planner/telemetry';
import type { FastifyInstance } from 'fastify';
import type { Kysely, Selectable } from 'kysely';
import { queueTrainingJob } from './queue-training-job.ts';
import type { TrainerTables } from './tables.ts';
import type { TrainingRecipe } from './training-recipes.ts';

type Db = Kysely<TrainerTables & BusTables>;

const jobSchema = {
  type: 'object',
  properties: {
    job_id: { type: 'string' },
    dataset_version: { type: 'string' },
    recipe_id: { type: 'string' },
    backend: { type: 'string' },
    model_name: { type: 'string' },
    policy_id: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'] },
    correlation_id: { type: 'string' },
    mlflow_run_id: { type: ['string', 'null'] },
    timeout_seconds: { type: 'integer' },
    cancel_requested: { type: 'boolean' },
    exit_code: { type: ['integer', 'null'] },
    error_code: { type: ['string', 'null'] },
    error_message: { type: ['string', 'null'] },
    log_tail: { type: 'string' },
    created_at: { type: 'string' },
    started_at: { type: ['string', 'null'] },
    finished_at: { type: ['string', 'null'] },
  },
} as const;

/**
 * job_id is a PostgreSQL uuid column: anything else must be a 400, not a
 * database error. The bound refuses the `urn:uuid:` form, which the uuid
 * format allows and PostgreSQL does not read.
 */
const jobIdParams = {
  type: 'object',
  properties: { job_id: { type: 'string', format: 'uuid', maxLength: 36 } },
} as const;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function view(job: Selectable<TrainerTables['exp.training_jobs']>) {
  const { log, recipe: _recipe, request_key: _key, heartbeat_at: _hb, ...rest } = job;
  return {
    ...rest,
    log_tail: log.trimEnd().split('\n').slice(-40).join('\n'),
    created_at: iso(job.created_at),
    started_at: iso(job.started_at),
    finished_at: iso(job.finished_at),
  };
}

export function trainingRoutes(
  app: FastifyInstance,
  db: Db,
  recipes: ReadonlyMap<string, TrainingRecipe>,
  defaultTimeoutSeconds: number,
): void {
  const find = async (jobId: string) => {
    const job = await db.selectFrom('exp.training_jobs').selectAll().where('job_id', '=', jobId).executeTakeFirst();
    if (!job) throw new HttpError('NOT_FOUND', `no training job ${jobId}`);
    return job;
  };

  app.get('/v1/training-recipes', { schema: { description: 'The versioned training recipes this dispatcher can run.' } }, async () => [
    ...recipes.values(),
  ]);

  app.post<{
    Body: { dataset_version: string; recipe_id: string; policy_id?: string; timeout_seconds?: number; correlation_id?: string };
    Headers: { 'idempotency-key'?: string };
  }>(
    '/v1/training-jobs',
    {
      schema: {
        description: 'Train a recipe on an announced dataset version. Needs a bearer token; an Idempotency-Key header makes retries safe.',
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          required: ['dataset_version', 'recipe_id'],
          additionalProperties: false,
          properties: {
            dataset_version: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.id },
            recipe_id: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.name },
            policy_id: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.name },
            timeout_seconds: { type: 'integer', minimum: 1, maximum: 604800 },
            correlation_id: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.id },
          },
        },
        // Lower case: fastify matches header names in lower case and leaves a custom compiler's schemas as written.
        headers: {
          type: 'object',
          properties: { 'idempotency-key': { type: 'string', maxLength: FIELD_LIMITS.id } },
        },
        response: { 202: jobSchema, 400: { $ref: 'ErrorResponse#' }, 404: { $ref: 'ErrorResponse#' } },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const recipe = recipes.get(body.recipe_id);
      if (!recipe) throw new HttpError('NOT_FOUND', `no training recipe '${body.recipe_id}'; known: ${[...recipes.keys()].join(', ')}`);
      const dataset = await db
        .selectFrom('exp.training_datasets')
        .selectAll()
        .where('dataset_version', '=', body.dataset_version)
        .executeTakeFirst();
      if (!dataset) throw new HttpError('NOT_FOUND', `dataset version '${body.dataset_version}' has not been announced on dataset.ready`);
      const key = request.headers['idempotency-key'];
      const correlationId = body.correlation_id ?? randomUUID();
      // The request starts the job's trace, or continues the caller's when it sent a traceparent.
      const { jobId } = await continueTrace('POST /v1/training-jobs', request.headers, { kind: SpanKind.SERVER, correlationId }, () =>
        db.transaction().execute((trx) =>
          queueTrainingJob(trx, {
            requestKey: key ? `http:${key}` : `http:${randomUUID()}`,
            datasetVersion: dataset.dataset_version,
            recipe,
            modelName: dataset.model_name,
            policyId: body.policy_id ?? dataset.model_name,
            correlationId,
            timeoutSeconds: body.timeout_seconds ?? defaultTimeoutSeconds,
          }),
        ),
      );
      return reply.status(202).send(view(await find(jobId)));
    },
  );

  app.get<{ Params: { job_id: string } }>(
    '/v1/training-jobs/:job_id',
    {
      schema: {
        description: 'A training job: status, MLflow run, exit and the tail of its log.',
        params: jobIdParams,
        response: { 200: jobSchema, 404: { $ref: 'ErrorResponse#' } },
      },
    },
    async (request) => view(await find(request.params.job_id)),
  );

  app.get<{ Params: { job_id: string } }>(
    '/v1/training-jobs/:job_id/log',
    { schema: { description: "The job's captured output (the last 256 KiB), as text.", params: jobIdParams } },
    async (request, reply) => reply.type('text/plain; charset=utf-8').send((await find(request.params.job_id)).log),
  );

  app.post<{ Params: { job_id: string } }>(
    '/v1/training-jobs/:job_id/cancel',
    {
      schema: {
        description: 'Cancel a queued or running job. Needs a bearer token.',
        security: [{ bearer: [] }],
        params: jobIdParams,
        response: { 202: jobSchema, 404: { $ref: 'ErrorResponse#' }, 409: { $ref: 'ErrorResponse#' } },
      },
    },
    async (request, reply) => {
      const job = await find(request.params.job_id);
      if (!['queued', 'running'].includes(job.status)) throw new HttpError('CONFLICT', `job ${job.job_id} already ended: ${job.status}`);
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('exp.training_jobs').set({ cancel_requested: true }).where('job_id', '=', job.job_id).execute();
        // A queued job never started: it ends here. A running one is stopped by its worker.
        await trx
          .updateTable('exp.training_jobs')
          .set({
            status: 'cancelled',
            error_code: 'TRAINING_CANCELLED',
            error_message: 'cancelled before it started',
            finished_at: new Date(),
          })
          .where('job_id', '=', job.job_id)
          .where('status', '=', 'queued')
          .execute();
      });
      return reply.status(202).send(view(await find(job.job_id)));
    },
  );

  app.get<{ Querystring: { status?: string; limit?: number } }>(
    '/v1/training-jobs',
    {
      schema: {
        description: 'Training jobs, newest first.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'] },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          },
        },
        response: { 200: { type: 'array', items: jobSchema } },
      },
    },
    async (request) => {
      let query = db
        .selectFrom('exp.training_jobs')
        .selectAll()
        .orderBy('created_at', 'desc')
        .limit(request.query.limit ?? 50);
      if (request.query.status) query = query.where('status', '=', request.query.status as never);
      return (await query.execute()).map(view);
    },
  );
}
