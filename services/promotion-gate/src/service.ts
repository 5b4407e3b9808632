import { ServiceRuntime } from '@planner/service-kit';
import type { Logger } from 'pino';
import { ActivePolicyCache } from './active-policy-cache.ts';
import { assignmentRoutes } from './assignment-routes.ts';
import { bootstrapBaseline } from './baseline-policy.ts';
import type { PromotionGateConfig } from './config.ts';
import { experimentCheckedHandler } from './handlers/experiment-checked.ts';
import { createPolicyVersion } from './handlers/model-registered.ts';
import { replayCompletedHandler } from './handlers/replay-completed.ts';
import { datasetReadyFact, datasetRequestedFact, trainingCompletedFact } from './lineage/lineage-handlers.ts';
import { lineageRoutes } from './lineage/lineage-routes.ts';
import { onlineRoutes } from './online-routes.ts';
import { ReplayEvaluatorClient } from './replay-evaluator-client.ts';
import { gateRoutes } from './routes.ts';
import { type GateTables, gateMigrations } from './tables.ts';

export const SERVICE_NAME = 'promotion-gate';
export const GROUPS = {
  modelRegistered: `${SERVICE_NAME}.model-registered`,
  replayCompleted: `${SERVICE_NAME}.replay-completed`,
  experimentChecked: `${SERVICE_NAME}.experiment-checked`,
  datasetRequested: `${SERVICE_NAME}.dataset-requested`,
  datasetReady: `${SERVICE_NAME}.dataset-ready`,
  trainingCompleted: `${SERVICE_NAME}.training-completed`,
} as const;

export async function startPromotionGate(config: PromotionGateConfig, _env: NodeJS.ProcessEnv = process.env, logger?: Logger) {
  const runtime = new ServiceRuntime<GateTables>({ name: SERVICE_NAME, config: config.common, ...(logger ? { logger } : {}) });
  await runtime.migrate(gateMigrations);
  await bootstrapBaseline(runtime.db, config.policyId);
  runtime.subscribe({ groupId: GROUPS.modelRegistered, topic: 'model.registered', handler: createPolicyVersion });
  runtime.subscribe({
    groupId: GROUPS.replayCompleted,
    topic: 'replay.completed',
    // Reads the replay's rows over HTTP: one event per transaction, as for every handler that calls out.
    maxBatchSize: 1,
    handler: replayCompletedHandler({
      bus: runtime.bus,
      config: config.gate,
      replays: new ReplayEvaluatorClient(config.replayEvaluatorUrl),
    }),
  });
  const online = { bus: runtime.bus, ramp: config.ramp };
  // One check at a time per transaction: each decision locks its experiment and reads what the previous one wrote.
  runtime.subscribe({
    groupId: GROUPS.experimentChecked,
    topic: 'experiment.checked',
    maxBatchSize: 1,
    handler: experimentCheckedHandler(online),
  });
  // Lineage: the upstream steps of each version, learned from their events (GET /v1/lineage/{policy_version_id}).
  runtime.subscribe({ groupId: GROUPS.datasetRequested, topic: 'dataset.requested', handler: datasetRequestedFact });
  runtime.subscribe({ groupId: GROUPS.datasetReady, topic: 'dataset.ready', handler: datasetReadyFact });
  runtime.subscribe({ groupId: GROUPS.trainingCompleted, topic: 'training.completed', handler: trainingCompletedFact });
  const app = await runtime.app();
  gateRoutes(app, runtime.db);
  onlineRoutes(app, runtime.db, online);
  lineageRoutes(app, runtime.db);
  assignmentRoutes(app, new ActivePolicyCache(runtime.db, config.assignmentCacheMs));
  const address = await runtime.start();
  return { address, runtime, stop: () => runtime.stop() };
}
