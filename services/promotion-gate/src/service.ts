import { ServiceRuntime } from '@planner/service-kit';
import type { Logger } from 'pino';
import { ActivePolicyCache } from './active-policy-cache.ts';
import { assignmentRoutes } from './assignment-routes.ts';
import { bootstrapBaseline } from './baseline-policy.ts';
import type { PromotionGateConfig } from './config.ts';
import { createPolicyVersion } from './handlers/model-registered.ts';
import { replayCompletedHandler } from './handlers/replay-completed.ts';
import { gateRoutes } from './routes.ts';
import { type GateTables, gateMigrations } from './tables.ts';

export const SERVICE_NAME = 'promotion-gate';
export const GROUPS = { modelRegistered: `${SERVICE_NAME}.model-registered`, replayCompleted: `${SERVICE_NAME}.replay-completed` } as const;

export async function startPromotionGate(config: PromotionGateConfig, _env: NodeJS.ProcessEnv = process.env, logger?: Logger) {
  const runtime = new ServiceRuntime<GateTables>({ name: SERVICE_NAME, config: config.common, ...(logger ? { logger } : {}) });
  await runtime.migrate(gateMigrations);
  await bootstrapBaseline(runtime.db, config.policyId);
  runtime.subscribe({ groupId: GROUPS.modelRegistered, topic: 'model.registered', handler: createPolicyVersion });
  runtime.subscribe({
    groupId: GROUPS.replayCompleted,
    topic: 'replay.completed',
    handler: replayCompletedHandler({ bus: runtime.bus, config: config.gate }),
  });
  const app = await runtime.app();
  gateRoutes(app, runtime.db);
  assignmentRoutes(app, new ActivePolicyCache(runtime.db, config.assignmentCacheMs));
  const address = await runtime.start();
  return { address, runtime, stop: () => runtime.stop() };
}
