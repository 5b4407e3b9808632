import { MlflowClient, mlflowConfigFromEnv } from '@planner/mlflow-client';
import { openObjectStore } from '@planner/object-store';
import { ServiceRuntime } from '@planner/service-kit';
import type { Logger } from 'pino';
import type { DatasetBuilderConfig } from './config.ts';
import { DatasetBuilds } from './dataset-builds.ts';
import { eventsIngestion } from './events-ingestion.ts';
import { datasetRequestedHandler } from './handlers/dataset-requested.ts';
import { ingestEvent } from './handlers/exp-events.ts';
import { datasetRoutes } from './routes.ts';
import { type DatasetBuilderTables, datasetBuilderMigrations } from './tables.ts';

export const SERVICE_NAME = 'dataset-builder';

/** Consumer groups, named after the service so `lifecycle topics replay` can address them. */
export const GROUPS = { events: `${SERVICE_NAME}.exp-events`, requests: `${SERVICE_NAME}.dataset-requested` } as const;

/** Wires the dataset-builder: ingestion and request consumers, the build worker and the HTTP API. */
export async function startDatasetBuilder(config: DatasetBuilderConfig, env: NodeJS.ProcessEnv = process.env, logger?: Logger) {
  const mlflow = new MlflowClient(mlflowConfigFromEnv(env));
  const store = openObjectStore(config.objectStoreUrl, env, 'OBJECT_STORE_URL');
  const runtime = new ServiceRuntime<DatasetBuilderTables>({ name: SERVICE_NAME, config: config.common, ...(logger ? { logger } : {}) });
  await runtime.migrate(datasetBuilderMigrations);

  runtime.subscribe({ groupId: GROUPS.events, topic: 'exp.events', handler: ingestEvent });
  runtime.subscribe({ groupId: GROUPS.requests, topic: 'dataset.requested', handler: datasetRequestedHandler(runtime.bus) });
  runtime.addWorker(
    new DatasetBuilds({
      db: runtime.db,
      databaseUrl: config.common.databaseUrl,
      bus: runtime.bus,
      store,
      mlflow,
      mlflowExperiment: config.mlflowExperiment,
      logger: runtime.logger,
      maxAttempts: config.maxBuildAttempts,
      dependencyBudgetSeconds: config.common.dependencyBudgetSeconds,
      ingestion: eventsIngestion(runtime.topics, GROUPS.events),
      ingestWaitSeconds: config.ingestWaitSeconds,
    }),
  );
  const app = await runtime.app({ mlflow: () => mlflow.ping(), objectStore: () => store.ping() });
  datasetRoutes(app, runtime.db, runtime.bus);
  const address = await runtime.start();
  return { address, runtime, stop: () => runtime.stop() };
}
