import { MlflowClient, mlflowConfigFromEnv } from '@planner/mlflow-client';
import { ServiceRuntime } from '@planner/service-kit';
import type { Logger } from 'pino';
import type { RegistrySyncConfig } from './config.ts';
import { experimentRolledBackHandler } from './handlers/experiment-rolled-back.ts';
import { gatePassedHandler } from './handlers/gate-passed.ts';
import { gateRejectedHandler } from './handlers/gate-rejected.ts';
import { modelPromotedHandler } from './handlers/model-promoted.ts';
import { trainingCompletedHandler } from './handlers/training-completed.ts';
import { OutsideRegistrations } from './outside-registrations.ts';
import { registryRoutes } from './routes.ts';
import { type RegistryTables, registryMigrations } from './tables.ts';

export const SERVICE_NAME = 'registry-sync';
export const GROUPS = {
  trainingCompleted: `${SERVICE_NAME}.training-completed`,
  gatePassed: `${SERVICE_NAME}.gate-passed`,
  gateRejected: `${SERVICE_NAME}.gate-rejected`,
  modelPromoted: `${SERVICE_NAME}.model-promoted`,
  experimentRolledBack: `${SERVICE_NAME}.experiment-rolled-back`,
} as const;

export async function startRegistrySync(config: RegistrySyncConfig, env: NodeJS.ProcessEnv = process.env, logger?: Logger) {
  const mlflow = new MlflowClient(mlflowConfigFromEnv(env));
  const runtime = new ServiceRuntime<RegistryTables>({ name: SERVICE_NAME, config: config.common, ...(logger ? { logger } : {}) });
  await runtime.migrate(registryMigrations);
  // Both handlers call MLflow (registration waits for READY): one event per transaction,
  // so a backlog never holds a transaction open across many remote calls without a heartbeat.
  runtime.subscribe({
    groupId: GROUPS.trainingCompleted,
    topic: 'training.completed',
    maxBatchSize: 1,
    handler: trainingCompletedHandler({ mlflow, bus: runtime.bus, modelName: config.modelName }),
  });
  // Seed §6.1: the gate's decisions, as tags and the candidate alias. Setting a tag or an alias twice is harmless,
  // so a redelivered decision needs no bookkeeping.
  runtime.subscribe({
    groupId: GROUPS.gatePassed,
    topic: 'gate.passed',
    maxBatchSize: 1,
    handler: gatePassedHandler({ mlflow, logger: runtime.logger }),
  });
  runtime.subscribe({
    groupId: GROUPS.gateRejected,
    topic: 'gate.rejected',
    maxBatchSize: 1,
    handler: gateRejectedHandler({ mlflow, logger: runtime.logger }),
  });
  // Seed §6.3: promotion moves the production alias and retires the version it replaces; a rollback tags the candidate.
  // Both take the candidate alias off the version when it holds it.
  // Both set the same values when redelivered; each event's MLflow calls get a transaction of their own.
  runtime.subscribe({
    groupId: GROUPS.modelPromoted,
    topic: 'model.promoted',
    maxBatchSize: 1,
    handler: modelPromotedHandler({ mlflow, productionAlias: config.productionAlias, logger: runtime.logger }),
  });
  runtime.subscribe({
    groupId: GROUPS.experimentRolledBack,
    topic: 'experiment.rolled_back',
    maxBatchSize: 1,
    handler: experimentRolledBackHandler({ mlflow, logger: runtime.logger }),
  });
  if (config.pollSeconds > 0) {
    runtime.addWorker(
      new OutsideRegistrations({
        db: runtime.db,
        mlflow,
        bus: runtime.bus,
        modelName: config.modelName,
        pollMs: config.pollSeconds * 1000,
        logger: runtime.logger,
      }),
    );
  }
  const app = await runtime.app({ mlflow: () => mlflow.ping() });
  registryRoutes(app, runtime.db);
  const address = await runtime.start();
  return { address, runtime, stop: () => runtime.stop() };
}
