import { AssignmentError, assign, MAX_UNIT_ID_LENGTH, parseUnitId } from '@planner/assignment';
import { FIELD_LIMITS } from '@planner/schemas';
import { HttpError } from '@planner/service-kit';
import type { FastifyInstance } from 'fastify';
import type { ActivePolicyCache, CachedPolicy } from './active-policy-cache.ts';

const policyQuery = {
  type: 'object',
  required: ['policy_id'],
  additionalProperties: false,
  properties: { policy_id: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.name } },
} as const;
const serving = {
  policy_version_id: { type: 'string' },
  model_uri: { type: ['string', 'null'] },
  runtime: { type: 'object', additionalProperties: true },
} as const;
const range = { type: 'object', properties: { from: { type: 'integer' }, to: { type: 'integer' } } } as const;
const activePolicy = {
  type: 'object',
  properties: {
    policy_id: { type: 'string' },
    production: { type: 'object', properties: serving },
    experiment: {
      type: ['object', 'null'],
      properties: {
        experiment_id: { type: 'string' },
        salt: { type: 'string' },
        hash_version: { type: 'integer' },
        variants: {
          type: 'array',
          items: { type: 'object', properties: { variant_id: { type: 'string' }, role: { type: 'string' }, buckets: range, ...serving } },
        },
      },
    },
  },
} as const;
const assignment = {
  type: 'object',
  properties: {
    policy_id: { type: 'string' },
    experiment_id: { type: ['string', 'null'] },
    variant_id: { type: ['string', 'null'] },
    hash_version: { type: ['integer', 'null'] },
    ...serving,
  },
} as const;
const errorResponse = { $ref: 'ErrorResponse#' } as const;

async function activeOrNotFound(cache: ActivePolicyCache, policyId: string): Promise<CachedPolicy> {
  const found = await cache.get(policyId);
  if (!found) throw new HttpError('NOT_FOUND', `no policy '${policyId}': it has no active version`);
  return found;
}

/**
 * Assignment, served by the service that owns experiments and variants. Upstream
 * services fetch the active document once (and again only when its ETag
 * changes) and assign in-process with @planner/assignment; the per-unit route
 * is for callers that would rather ask.
 */
export function assignmentRoutes(app: FastifyInstance, cache: ActivePolicyCache): void {
  app.get<{ Querystring: { policy_id: string } }>(
    '/v1/experiments/active',
    {
      schema: {
        description:
          "Everything needed to assign a policy's units in-process: the production version and the running experiment with each variant's buckets. Send If-None-Match with the last ETag: 304 while nothing changed.",
        querystring: policyQuery,
        response: { 200: activePolicy, 304: { type: 'null' }, 404: errorResponse },
      },
    },
    async (request, reply) => {
      const { policy, etag } = await activeOrNotFound(cache, request.query.policy_id);
      reply.header('etag', etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === etag) return reply.status(304).send();
      return policy;
    },
  );
  app.get<{ Params: { unit_id: string }; Querystring: { policy_id: string } }>(
    '/v1/assignments/:unit_id',
    {
      schema: {
        description:
          'The variant and policy version a unit (household) gets, with the model and runtime to serve it. A read with no effect: the service that serves the plan logs the exposure (decision 0013).',
        params: {
          type: 'object',
          properties: { unit_id: { type: 'string', minLength: 1, maxLength: MAX_UNIT_ID_LENGTH } },
        },
        querystring: policyQuery,
        response: { 200: assignment, 400: errorResponse, 404: errorResponse },
      },
    },
    async (request) => {
      let unitId: string;
      try {
        unitId = parseUnitId(request.params.unit_id);
      } catch (error) {
        if (error instanceof AssignmentError) throw new HttpError('VALIDATION_FAILED', `params/unit_id: ${error.message}`);
        throw error;
      }
      return assign(unitId, (await activeOrNotFound(cache, request.query.policy_id)).policy);
    },
  );
}
