import { FIELD_LIMITS } from '@planner/schemas';
import { HttpError } from '@planner/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { GateTables } from '../tables.ts';
import { lineageOf, renderLineage } from './lineage.ts';
import type { LineageTables } from './lineage-tables.ts';

/** A policy version id: visible ASCII without spaces (`planner:planner_model:v3`, `heuristic-baseline-v1`). */
const VISIBLE = /^[\x21-\x7e]+$/;

const params = {
  type: 'object',
  required: ['policy_version_id'],
  properties: { policy_version_id: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.id } },
} as const;
const querystring = {
  type: 'object',
  additionalProperties: false,
  properties: {
    format: { type: 'string', enum: ['json', 'text'], default: 'json', description: 'json (default), or text: a readable table.' },
  },
} as const;

const str = { type: 'string' } as const;
const strOrNull = { type: ['string', 'null'] } as const;
const num = { type: 'number' } as const;
const numOrNull = { type: ['number', 'null'] } as const;
const integer = { type: 'integer' } as const;
const obj = <P extends Record<string, unknown>>(properties: P) => ({ type: 'object', properties }) as const;
const nullableObj = <P extends Record<string, unknown>>(properties: P) => ({ type: ['object', 'null'], properties }) as const;

const gateDecision = nullableObj({
  decision_id: str,
  outcome: str,
  rules: { type: 'array', items: obj({ rule: str, passed: { type: 'boolean' }, detail: str }) },
  config_version: str,
  decided_at: str,
});
const onlineDecision = obj({
  decision_id: str,
  kind: str,
  from_allocation: num,
  to_allocation: num,
  check_id: strOrNull,
  check_status: strOrNull,
  config_version: str,
  actor: str,
  reason: str,
  at: str,
});
/** The answer's schema: serialises it and documents it in OpenAPI. */
export const lineageAnswerSchema = obj({
  policy_version_id: str,
  policy_id: str,
  version: integer,
  status: str,
  dataset_request: nullableObj({
    dataset_version: str,
    model_name: str,
    window_start: str,
    window_end: str,
    dataset_date: str,
    split_seed: integer,
    requested_by: str,
    correlation_id: str,
    requested_at: str,
  }),
  dataset: nullableObj({
    dataset_version: str,
    digest: str,
    location: str,
    row_count: integer,
    field_count: integer,
    split: obj({ train: integer, validation: integer, evaluation: integer }),
    mlflow_run_id: str,
    correlation_id: str,
    ready_at: str,
  }),
  training: nullableObj({
    job_id: str,
    run_id: str,
    dataset_version: str,
    recipe: str,
    backend: str,
    duration_seconds: num,
    correlation_id: str,
    completed_at: str,
  }),
  model: nullableObj({
    model_name: str,
    model_version: str,
    model_uri: strOrNull,
    run_id: strOrNull,
    dataset_version: strOrNull,
    registered_outside_pipeline: { type: ['boolean', 'null'] },
    correlation_id: strOrNull,
    registered_at: str,
  }),
  replays: {
    type: 'array',
    items: obj({
      replay_id: str,
      baseline_policy_version_id: strOrNull,
      dataset_version: strOrNull,
      seed: { type: ['integer', 'null'] },
      row_count: { type: ['integer', 'null'] },
      results_digest: strOrNull,
      offline_score_candidate: numOrNull,
      offline_score_baseline: numOrNull,
      score_version: strOrNull,
      mlflow_run_id: strOrNull,
      correlation_id: strOrNull,
      completed_at: strOrNull,
      gate_decision: gateDecision,
    }),
  },
  experiments: {
    type: 'array',
    items: obj({
      experiment_id: str,
      status: str,
      gate_decision_id: str,
      opened_at: str,
      control_policy_version_id: strOrNull,
      treatment_variant_id: str,
      initial_allocation: num,
      treatment_allocation: num,
      decisions: { type: 'array', items: onlineDecision },
    }),
  },
  end_state: obj({ status: str, outcome: str, decision_id: strOrNull, experiment_id: strOrNull, at: strOrNull, detail: str }),
  notes: { type: 'array', items: str },
});

/** GET /v1/lineage/:policy_version_id: a policy version's whole history, as JSON or a readable table. */
export function lineageRoutes<DB extends GateTables & LineageTables>(app: FastifyInstance, db: Kysely<DB>): void {
  app.get<{ Params: { policy_version_id: string }; Querystring: { format?: 'json' | 'text' } }>(
    '/v1/lineage/:policy_version_id',
    {
      schema: {
        description:
          "A policy version's lineage in one answer: the event window, the dataset version and its digest, the training job and its MLflow run, " +
          'the model version, its replays with their digests and the gate decisions, the experiments that treated it with every allocation ' +
          'change and check, and its end state (promoted, rolled back, rejected…). Steps the gate never saw are null, with a note. ' +
          '?format=text answers a readable table (text/plain).',
        params,
        querystring,
        response: {
          200: {
            content: {
              'application/json': { schema: lineageAnswerSchema },
              'text/plain': { schema: { type: 'string' } },
            },
          },
          400: { $ref: 'ErrorResponse#' },
          404: { $ref: 'ErrorResponse#' },
        },
      },
    },
    async (request, reply) => {
      const id = request.params.policy_version_id;
      if (!VISIBLE.test(id)) {
        throw new HttpError(
          'VALIDATION_FAILED',
          `params/policy_version_id: a policy version id is visible ASCII without spaces (e.g. planner:planner_model:v3), got ${JSON.stringify(id)}`,
        );
      }
      const answer = await lineageOf(db, id);
      if (!answer) throw new HttpError('NOT_FOUND', `no policy version ${id}`);
      if (request.query.format === 'text') return reply.type('text/plain; charset=utf-8').send(renderLineage(answer));
      return reply.type('application/json; charset=utf-8').send(answer);
    },
  );
}
