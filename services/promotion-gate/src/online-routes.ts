import type { BusTables } from '@planner/bus';
import { FIELD_LIMITS } from '@planner/schemas';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { OnlineDeps } from './online-decisions.ts';
import { type OperatorAction, operate } from './operator-controls.ts';
import type { GateTables } from './tables.ts';

const byId = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.id } } } as const;
const errorResponse = { $ref: 'ErrorResponse#' } as const;
const decision = {
  type: 'object',
  properties: {
    decision_id: { type: 'string' },
    experiment_id: { type: 'string' },
    kind: { type: 'string' },
    from_allocation: { type: 'number' },
    to_allocation: { type: 'number' },
    check_id: { type: ['string', 'null'] },
    check_status: { type: ['string', 'null'] },
    config_version: { type: 'string' },
    actor: { type: 'string' },
    reason: { type: 'string' },
    created_at: { type: 'string' },
  },
} as const;
const operatorBody = {
  type: 'object',
  required: ['actor', 'reason'],
  additionalProperties: false,
  properties: {
    actor: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.name, description: 'Who acts (a person or a tool): recorded.' },
    reason: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.text, description: 'Why: recorded, and published on an abort.' },
  },
} as const;
const DESCRIPTIONS: Record<OperatorAction, string> = {
  pause: 'Pauses a running experiment: everyone gets the production version until it resumes. Needs a bearer token.',
  resume: 'Resumes a paused experiment at the allocation it had; the dwell time starts again. Needs a bearer token.',
  abort: 'Rolls the treatment back now (allocation 0, version rolled_back, experiment.rolled_back with this reason). Needs a bearer token.',
  approve:
    "Approves the schedule's next step (when GATE_RAMP_REQUIRES_APPROVAL): the next qualifying check takes it. Needs a bearer token.",
};

/** The online decision path over HTTP: its record, and the operator's controls, each recorded with who and why. */
export function onlineRoutes(app: FastifyInstance, db: Kysely<GateTables & BusTables>, deps: OnlineDeps): void {
  app.get<{ Params: { id: string } }>(
    '/v1/experiments/:id/decisions',
    {
      schema: {
        description: "Every online decision on the experiment, oldest first: starts, ramps, rollbacks, promotion, operators' actions.",
        params: byId,
        response: { 200: { type: 'array', items: decision } },
      },
    },
    async (request) => {
      const rows = await db
        .selectFrom('exp.online_decisions')
        .selectAll()
        .where('experiment_id', '=', request.params.id)
        .orderBy('created_at')
        .orderBy('decision_id')
        .execute();
      return rows.map(({ txid: _txid, evidence: _evidence, ...row }) => ({ ...row, created_at: row.created_at.toISOString() }));
    },
  );
  for (const action of ['pause', 'resume', 'abort', 'approve'] as const) {
    app.post<{ Params: { id: string }; Body: { actor: string; reason: string } }>(
      `/v1/experiments/:id/${action}`,
      {
        schema: {
          description: DESCRIPTIONS[action],
          params: byId,
          body: operatorBody,
          response: { 200: decision, 400: errorResponse, 404: errorResponse, 409: errorResponse },
        },
      },
      async (request) => operate(db, deps, { experimentId: request.params.id, action, ...request.body }),
    );
  }
}
