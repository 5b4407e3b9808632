import { FIELD_LIMITS } from '@planner/schemas';
import { HttpError } from '@planner/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { type CheckDeps, checkExperiment } from './run-checks.ts';
import type { MonitorTables } from './tables.ts';

const byId = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.id } },
} as const;
const list = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
} as const;
const errorResponse = { $ref: 'ErrorResponse#' } as const;
const check = {
  type: 'object',
  properties: {
    check_id: { type: 'string' },
    experiment_id: { type: 'string' },
    checked_at: { type: 'string' },
    status: { type: 'string' },
    evidence: { type: 'object', additionalProperties: true },
  },
} as const;
const bucket = {
  type: 'object',
  properties: {
    variant_id: { type: 'string' },
    bucket_start: { type: 'string' },
    exposures: { type: 'integer' },
    plans: { type: 'integer' },
    accepted: { type: 'integer' },
    rejected: { type: 'integer' },
    edits: { type: 'integer' },
    edits_sq: { type: 'integer' },
    interventions: { type: 'integer' },
    fallbacks: { type: 'integer' },
    cost_usd: { type: 'number' },
    cost_usd_sq: { type: 'number' },
    latency_ms_sum: { type: 'number' },
    latency_counts: { type: 'array', items: { type: 'integer' } },
  },
} as const;

async function experimentOr404(db: Kysely<MonitorTables>, id: string) {
  const found = await db.selectFrom('monitor.experiments').selectAll().where('experiment_id', '=', id).executeTakeFirst();
  if (!found) throw new HttpError('NOT_FOUND', `no experiment ${id}: the monitor has seen no experiment.started for it`);
  return found;
}

export function monitorRoutes(app: FastifyInstance, deps: CheckDeps): void {
  const { db } = deps;
  app.get<{ Params: { id: string }; Querystring: { limit?: number } }>(
    '/v1/experiments/:id/checks',
    {
      schema: {
        description: "The experiment's checks, newest first, each with its full evidence (what experiment.checked carried).",
        params: byId,
        querystring: list,
        response: { 200: { type: 'array', items: check }, 404: errorResponse },
      },
    },
    async (request) => {
      await experimentOr404(db, request.params.id);
      const rows = await db
        .selectFrom('monitor.checks')
        .selectAll()
        .where('experiment_id', '=', request.params.id)
        .orderBy('checked_at', 'desc')
        .orderBy('check_id')
        .limit(request.query.limit ?? 50)
        .execute();
      return rows.map((r) => ({ ...r, checked_at: r.checked_at.toISOString() }));
    },
  );
  app.get<{ Params: { id: string } }>(
    '/v1/experiments/:id/metrics',
    {
      schema: {
        description:
          "Per variant and time bucket (MONITOR_BUCKET_SECONDS), the sufficient statistics: counts, sums and sums of squares, and the latency histogram's counts per bucket of LATENCY_HISTOGRAM.",
        params: byId,
        response: {
          200: {
            type: 'object',
            properties: {
              experiment_id: { type: 'string' },
              status: { type: 'string' },
              started_at: { type: 'string' },
              control_variant_id: { type: 'string' },
              treatment_variant_id: { type: 'string' },
              buckets: { type: 'array', items: bucket },
            },
          },
          404: errorResponse,
        },
      },
    },
    async (request) => {
      const experiment = await experimentOr404(db, request.params.id);
      const buckets = await db
        .selectFrom('monitor.variant_buckets')
        .selectAll()
        .where('experiment_id', '=', request.params.id)
        .orderBy('bucket_start')
        .orderBy('variant_id')
        .execute();
      return {
        experiment_id: experiment.experiment_id,
        status: experiment.status,
        started_at: experiment.started_at.toISOString(),
        control_variant_id: experiment.control_variant_id,
        treatment_variant_id: experiment.treatment_variant_id,
        buckets: buckets.map((b) => ({
          ...b,
          bucket_start: b.bucket_start.toISOString(),
          exposures: Number(b.exposures),
          plans: Number(b.plans),
          accepted: Number(b.accepted),
          rejected: Number(b.rejected),
          edits: Number(b.edits),
          edits_sq: Number(b.edits_sq),
          interventions: Number(b.interventions),
          fallbacks: Number(b.fallbacks),
          latency_counts: b.latency_counts.map(Number),
        })),
      };
    },
  );
  app.post<{ Params: { id: string } }>(
    '/v1/experiments/:id/checks',
    {
      schema: {
        description: 'Checks the experiment now (besides the schedule) and answers the new check. Needs a bearer token.',
        params: byId,
        response: { 201: check, 404: errorResponse },
      },
    },
    async (request, reply) => {
      await experimentOr404(db, request.params.id);
      const evidence = await checkExperiment(deps, request.params.id);
      const stored = await db
        .selectFrom('monitor.checks')
        .selectAll()
        .where('experiment_id', '=', request.params.id)
        .orderBy('checked_at', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();
      reply.status(201);
      return { ...stored, checked_at: stored.checked_at.toISOString(), evidence };
    },
  );
}
