import type { BusTables } from '@planner/bus';
import { FIELD_LIMITS } from '@planner/schemas';
import { HttpError } from '@planner/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Kysely, Selectable } from 'kysely';
import type { GateTables } from './tables.ts';

type Db = Kysely<GateTables & BusTables>;

const iso = (d: Date) => d.toISOString();
const list = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
} as const;
const policyVersion = {
  type: 'object',
  properties: {
    policy_version_id: { type: 'string' },
    policy_id: { type: 'string' },
    version: { type: 'integer' },
    config_defaults: { type: 'object', additionalProperties: true },
    mlflow_model_name: { type: ['string', 'null'] },
    mlflow_model_version: { type: ['string', 'null'] },
    model_uri: { type: ['string', 'null'] },
    dataset_version: { type: ['string', 'null'] },
    status: { type: 'string' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const;
const decision = {
  type: 'object',
  properties: {
    decision_id: { type: 'string' },
    replay_id: { type: 'string' },
    policy_version_id: { type: 'string' },
    outcome: { type: 'string' },
    rules: { type: 'array', items: { type: 'object', additionalProperties: true } },
    config: { type: 'object', additionalProperties: true },
    config_version: { type: 'string' },
    created_at: { type: 'string' },
  },
} as const;
const variant = {
  type: 'object',
  properties: {
    variant_id: { type: 'string' },
    policy_version_id: { type: 'string' },
    role: { type: 'string' },
    allocation: { type: 'number' },
  },
} as const;
const experiment = {
  type: 'object',
  properties: {
    experiment_id: { type: 'string' },
    policy_id: { type: 'string' },
    status: { type: 'string' },
    decision_id: { type: 'string' },
    created_at: { type: 'string' },
    variants: { type: 'array', items: variant },
  },
} as const;
const notFound = { $ref: 'ErrorResponse#' } as const;
const byId = { type: 'object', properties: { id: { type: 'string', maxLength: FIELD_LIMITS.id } } } as const;

/** Read endpoints, open on the internal network: decisions with their evidence, experiments, policy versions. */
export function gateRoutes(app: FastifyInstance, db: Db): void {
  const policyView = (p: Selectable<GateTables['exp.policy_versions']>) => ({
    ...p,
    created_at: iso(p.created_at),
    updated_at: iso(p.updated_at),
  });
  const decisionView = (d: Selectable<GateTables['exp.gate_decisions']>) => ({ ...d, created_at: iso(d.created_at) });
  const experimentView = async (e: Selectable<GateTables['exp.experiments']>) => ({
    ...e,
    created_at: iso(e.created_at),
    variants: await db
      .selectFrom('exp.variants')
      .select(['variant_id', 'policy_version_id', 'role', 'allocation'])
      .where('experiment_id', '=', e.experiment_id)
      .orderBy('role')
      .execute(),
  });

  app.get<{ Querystring: { limit?: number } }>(
    '/v1/policy-versions',
    {
      schema: {
        description: 'Policy versions, newest first.',
        querystring: list,
        response: { 200: { type: 'array', items: policyVersion } },
      },
    },
    async (request) =>
      (
        await db
          .selectFrom('exp.policy_versions')
          .selectAll()
          .orderBy('created_at', 'desc')
          .limit(request.query.limit ?? 50)
          .execute()
      ).map(policyView),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/policy-versions/:id',
    { schema: { description: 'One policy version (seed §5.1).', params: byId, response: { 200: policyVersion, 404: notFound } } },
    async (request) => {
      const found = await db
        .selectFrom('exp.policy_versions')
        .selectAll()
        .where('policy_version_id', '=', request.params.id)
        .executeTakeFirst();
      if (!found) throw new HttpError('NOT_FOUND', `no policy version ${request.params.id}`);
      return policyView(found);
    },
  );
  app.get<{ Querystring: { limit?: number } }>(
    '/v1/decisions',
    {
      schema: {
        description: 'Gate decisions with every rule and its evidence, newest first.',
        querystring: list,
        response: { 200: { type: 'array', items: decision } },
      },
    },
    async (request) =>
      (
        await db
          .selectFrom('exp.gate_decisions')
          .selectAll()
          .orderBy('created_at', 'desc')
          .limit(request.query.limit ?? 50)
          .execute()
      ).map(decisionView),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/decisions/:id',
    { schema: { description: 'One gate decision with all its evidence.', params: byId, response: { 200: decision, 404: notFound } } },
    async (request) => {
      const found = await db.selectFrom('exp.gate_decisions').selectAll().where('decision_id', '=', request.params.id).executeTakeFirst();
      if (!found) throw new HttpError('NOT_FOUND', `no decision ${request.params.id}`);
      return decisionView(found);
    },
  );
  app.get<{ Querystring: { limit?: number } }>(
    '/v1/experiments',
    {
      schema: {
        description: 'Experiments with their variants, newest first.',
        querystring: list,
        response: { 200: { type: 'array', items: experiment } },
      },
    },
    async (request) =>
      Promise.all(
        (
          await db
            .selectFrom('exp.experiments')
            .selectAll()
            .orderBy('created_at', 'desc')
            .limit(request.query.limit ?? 50)
            .execute()
        ).map(experimentView),
      ),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/experiments/:id',
    {
      schema: {
        description: 'One experiment and its variants (control = the active policy version, treatment ≤ 10%).',
        params: byId,
        response: { 200: experiment, 404: notFound },
      },
    },
    async (request) => {
      const found = await db.selectFrom('exp.experiments').selectAll().where('experiment_id', '=', request.params.id).executeTakeFirst();
      if (!found) throw new HttpError('NOT_FOUND', `no experiment ${request.params.id}`);
      return experimentView(found);
    },
  );
}
