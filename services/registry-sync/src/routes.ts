import type { BusTables } from '@planner/bus';
import { FIELD_LIMITS } from '@planner/schemas';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { RegistryTables } from './tables.ts';

export function registryRoutes(app: FastifyInstance, db: Kysely<RegistryTables & BusTables>): void {
  app.get<{ Querystring: { model_name?: string; limit?: number } }>(
    '/v1/registry/versions',
    {
      schema: {
        description: 'Registry versions this service has checked and announced (registered or rejected), newest first.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            model_name: { type: 'string', maxLength: FIELD_LIMITS.name },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          },
        },
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                model_name: { type: 'string' },
                model_version: { type: 'string' },
                run_id: { type: ['string', 'null'] },
                dataset_version: { type: ['string', 'null'] },
                origin: { type: 'string' },
                outcome: { type: 'string' },
                missing: { type: 'array', items: { type: 'string' } },
                seen_at: { type: 'string' },
              },
            },
          },
        },
      },
    },
    async (request) => {
      let query = db
        .selectFrom('exp.registry_versions')
        .selectAll()
        .orderBy('seen_at', 'desc')
        .limit(request.query.limit ?? 50);
      if (request.query.model_name) query = query.where('model_name', '=', request.query.model_name);
      return (await query.execute()).map((row) => ({ ...row, seen_at: row.seen_at.toISOString() }));
    },
  );
}
