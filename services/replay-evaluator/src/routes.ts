import { randomUUID } from 'node:crypto';
import type { BusTables } from '@planner/bus';
import { policyVersionIdOf } from '@planner/domain';
import { METRICS } from '@planner/evaluation';
import { FIELD_LIMITS } from '@planner/schemas';
import { HttpError } from '@planner/service-kit';
import { continueTrace, SpanKind } from '@planner/telemetry';
import type { FastifyInstance } from 'fastify';
import type { Kysely, Selectable } from 'kysely';
import { HEURISTIC_BASELINE } from './baseline.ts';
import type { EvaluationSplitCache } from './evaluation-rows.ts';
import { ReplayError } from './replay-error.ts';
import { enqueueShard, planReplay, type ShardPlacement } from './replay-planner.ts';
import { replayRows } from './replay-rows.ts';
import type { PolicyRefRow, ReplayTables } from './tables.ts';

type Db = Kysely<ReplayTables & BusTables>;

const policyRef = {
  type: 'object',
  properties: {
    policy_version_id: { type: 'string' },
    model_name: { type: ['string', 'null'] },
    model_version: { type: ['string', 'null'] },
  },
} as const;

const replaySchema = {
  type: 'object',
  properties: {
    replay_id: { type: 'string' },
    candidate: policyRef,
    baseline: policyRef,
    dataset_version: { type: 'string' },
    seed: { type: 'integer' },
    shard_count: { type: 'integer' },
    shards_done: { type: 'integer' },
    row_count: { type: 'integer' },
    status: { type: 'string' },
    results_digest: { type: ['string', 'null'] },
    mlflow_run_id: { type: ['string', 'null'] },
    correlation_id: { type: 'string' },
    summary: {},
  },
} as const;

const modelPolicy = {
  type: 'object',
  required: ['model_name', 'model_version'],
  additionalProperties: false,
  properties: {
    model_name: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.name },
    model_version: { type: 'string', pattern: '^[0-9]+$', maxLength: FIELD_LIMITS.id },
    policy_id: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.name },
  },
} as const;

const replayIdParams = {
  type: 'object',
  properties: { replay_id: { type: 'string', maxLength: FIELD_LIMITS.id } },
} as const;

const rowResult = {
  type: 'object',
  required: ['metrics', 'offline_score'],
  properties: {
    metrics: {
      type: 'object',
      description: 'The per-row metrics of @planner/evaluation (RowMetrics).',
      required: METRICS.map((m) => m.name),
      properties: Object.fromEntries(METRICS.map((m) => [m.name, { type: 'number' }])),
    },
    offline_score: { type: 'number' },
  },
} as const;

const replayRowsSchema = {
  type: 'object',
  required: ['replay_id', 'results_digest', 'row_count', 'rows'],
  properties: {
    replay_id: { type: 'string' },
    results_digest: {
      type: 'string',
      description: "SHA-256 of exactly these rows' pinned results: replay.completed's results_digest when they are the rows it announced.",
    },
    row_count: { type: 'integer' },
    rows: {
      type: 'array',
      items: {
        type: 'object',
        required: ['row_id', 'candidate', 'baseline'],
        properties: { row_id: { type: 'string' }, candidate: rowResult, baseline: rowResult },
      },
    },
  },
} as const;

interface ModelPolicy {
  model_name: string;
  model_version: string;
  policy_id?: string;
}

function refOf(policy: ModelPolicy): PolicyRefRow {
  return {
    policy_version_id: policyVersionIdOf(policy.policy_id ?? 'planner', policy.model_name, policy.model_version),
    model_name: policy.model_name,
    model_version: policy.model_version,
  };
}

export function replayRoutes(
  app: FastifyInstance,
  db: Db,
  deps: ShardPlacement & { splits: EvaluationSplitCache; shardSize: number; seed: number },
): void {
  const view = async (replay: Selectable<ReplayTables['exp.replays']>) => {
    const done = await db
      .selectFrom('exp.replay_shards')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('replay_id', '=', replay.replay_id)
      .where('done_at', 'is not', null)
      .executeTakeFirstOrThrow();
    return { ...replay, shards_done: Number(done.n) };
  };

  app.post<{
    Body: { candidate: ModelPolicy; baseline?: ModelPolicy | 'heuristic'; dataset_version: string; seed?: number; correlation_id?: string };
  }>(
    '/v1/replays',
    {
      schema: {
        description:
          'Replay any registered model version against a baseline (another version, or the heuristic) on a dataset version. The id follows from the pins; asking twice returns the same replay. Needs a bearer token.',
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          required: ['candidate', 'dataset_version'],
          additionalProperties: false,
          properties: {
            candidate: modelPolicy,
            baseline: { oneOf: [modelPolicy, { type: 'string', enum: ['heuristic'] }] },
            dataset_version: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.id },
            seed: { type: 'integer', minimum: 0, maximum: 2147483647 },
            correlation_id: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.id },
          },
        },
        response: { 202: replaySchema, 400: { $ref: 'ErrorResponse#' }, 404: { $ref: 'ErrorResponse#' } },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const baseline = body.baseline === undefined || body.baseline === 'heuristic' ? HEURISTIC_BASELINE : refOf(body.baseline);
      const pins = { candidate: refOf(body.candidate), baseline, datasetVersion: body.dataset_version, seed: body.seed ?? deps.seed };
      const correlationId = body.correlation_id ?? randomUUID();
      let replayId: string;
      try {
        // The shards carry the caller's trace (or a new one), as events staged by a consumer carry its message's.
        ({ replayId } = await continueTrace('POST /v1/replays', request.headers, { kind: SpanKind.SERVER, correlationId }, () =>
          db.transaction().execute((trx) => planReplay(deps, trx, pins, correlationId)),
        ));
      } catch (error) {
        if (error instanceof ReplayError && error.code === 'REPLAY_DATASET_UNKNOWN') throw new HttpError('NOT_FOUND', error.message);
        if (error instanceof ReplayError && error.code === 'REPLAY_EMPTY') throw new HttpError('VALIDATION_FAILED', error.message);
        throw error;
      }
      const replay = await db.selectFrom('exp.replays').selectAll().where('replay_id', '=', replayId).executeTakeFirstOrThrow();
      return reply.status(202).send(await view(replay));
    },
  );

  app.post<{ Params: { replay_id: string } }>(
    '/v1/replays/:replay_id/rerun',
    {
      schema: {
        description:
          'Recompute a finished replay from scratch — every row of both policies — to audit determinism: the new results digest must equal the old one. Needs a bearer token.',
        security: [{ bearer: [] }],
        params: replayIdParams,
        response: { 202: replaySchema, 404: { $ref: 'ErrorResponse#' }, 409: { $ref: 'ErrorResponse#' } },
      },
    },
    async (request, reply) => {
      const replay = await continueTrace('POST /v1/replays/{id}/rerun', request.headers, { kind: SpanKind.SERVER }, () =>
        db.transaction().execute(async (trx) => {
          const found = await trx
            .selectFrom('exp.replays')
            .selectAll()
            .where('replay_id', '=', request.params.replay_id)
            .forUpdate()
            .executeTakeFirst();
          if (!found) throw new HttpError('NOT_FOUND', `no replay ${request.params.replay_id}`);
          if (found.status === 'running') throw new HttpError('CONFLICT', `replay ${found.replay_id} is still running`);
          await trx
            .deleteFrom('exp.offline_replay_results')
            .where('result_key', 'in', [found.candidate_key, found.baseline_key])
            .where('dataset_version', '=', found.dataset_version)
            .execute();
          await trx
            .updateTable('exp.replays')
            .set({ status: 'running', results_digest: null, summary: null, completed_at: null })
            .where('replay_id', '=', found.replay_id)
            .execute();
          await trx.updateTable('exp.replay_shards').set({ done_at: null }).where('replay_id', '=', found.replay_id).execute();
          const shards = await trx
            .selectFrom('exp.replay_shards')
            .selectAll()
            .where('replay_id', '=', found.replay_id)
            .orderBy('shard_index')
            .execute();
          for (const shard of shards) {
            const pins = {
              candidate: found.candidate as unknown as PolicyRefRow,
              baseline: found.baseline as unknown as PolicyRefRow,
              datasetVersion: found.dataset_version,
              seed: found.seed,
            };
            await enqueueShard(
              deps,
              trx,
              { replayId: found.replay_id, shardCount: found.shard_count, pins, correlationId: found.correlation_id },
              { shard_index: shard.shard_index, row_offset: shard.row_offset, row_limit: shard.row_limit },
            );
          }
          return trx.selectFrom('exp.replays').selectAll().where('replay_id', '=', found.replay_id).executeTakeFirstOrThrow();
        }),
      );
      return reply.status(202).send(await view(replay));
    },
  );

  app.get<{ Params: { replay_id: string } }>(
    '/v1/replays/:replay_id',
    {
      schema: {
        description: 'A replay: its pins, progress (shards done), digest and summary.',
        params: replayIdParams,
        response: { 200: replaySchema, 404: { $ref: 'ErrorResponse#' } },
      },
    },
    async (request) => {
      const replay = await db.selectFrom('exp.replays').selectAll().where('replay_id', '=', request.params.replay_id).executeTakeFirst();
      if (!replay) throw new HttpError('NOT_FOUND', `no replay ${request.params.replay_id}`);
      return view(replay);
    },
  );

  app.get<{ Params: { replay_id: string } }>(
    '/v1/replays/:replay_id/rows',
    {
      schema: {
        description:
          "A completed replay's results, candidate and baseline paired by row in row-id order, with the digest of exactly these rows: " +
          'what the promotion-gate judges. The whole replay in one answer (about 1 KB a row). 409 while the replay runs, and while a rerun ' +
          'of a replay sharing its rows recomputes them.',
        params: replayIdParams,
        response: { 200: replayRowsSchema, 404: { $ref: 'ErrorResponse#' }, 409: { $ref: 'ErrorResponse#' } },
      },
    },
    async (request) => {
      const outcome = await replayRows(db, request.params.replay_id);
      if (!outcome.found) throw new HttpError('NOT_FOUND', `no replay ${request.params.replay_id}`);
      if (!outcome.ready) throw new HttpError('CONFLICT', outcome.reason);
      return outcome.rows;
    },
  );

  app.get<{ Querystring: { limit?: number } }>(
    '/v1/replays',
    {
      schema: {
        description: 'Replays, newest first.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
        },
        response: { 200: { type: 'array', items: replaySchema } },
      },
    },
    async (request) => {
      const replays = await db
        .selectFrom('exp.replays')
        .selectAll()
        .orderBy('created_at', 'desc')
        .limit(request.query.limit ?? 50)
        .execute();
      return Promise.all(replays.map(view));
    },
  );
}
