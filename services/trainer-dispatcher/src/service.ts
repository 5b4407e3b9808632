import { join } from 'node:path';
import { MlflowClient, mlflowConfigFromEnv, runIdentity } from '@planner/mlflow-client';
import { ServiceRuntime } from '@planner/service-kit';
import type { Logger } from 'pino';
import { LocalProcessBackend } from './backends/local-process-backend.ts';
import type { TrainingBackend } from './backends/training-backend.ts';
import type { TrainerDispatcherConfig } from './config.ts';
import { datasetReadyHandler } from './handlers/dataset-ready.ts';
import { trainingRoutes } from './routes.ts';
import { type TrainerTables, trainerMigrations } from './tables.ts';
import { TrainingError } from './training-error.ts';
import { TrainingJobs } from './training-jobs.ts';
import { loadRecipes } from './training-recipes.ts';

export const SERVICE_NAME = 'trainer-dispatcher';
/** Recipe entrypoints are relative to the service folder (`trainers/planner_ranker.py`). */
const TRAINERS_ROOT = join(import.meta.dirname, '..');
export const GROUPS = { datasetReady: `${SERVICE_NAME}.dataset-ready` } as const;

/** Settings a trainer needs to reach MLflow and the object store; passed through when set. */
const TRAINER_ENV = [
  'MLFLOW_TRACKING_URI',
  'MLFLOW_TRACKING_USERNAME',
  'MLFLOW_TRACKING_PASSWORD',
  'MLFLOW_TRACKING_TOKEN',
  'S3_ENDPOINT',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
];

export async function startTrainerDispatcher(config: TrainerDispatcherConfig, env: NodeJS.ProcessEnv = process.env, logger?: Logger) {
  const recipes = loadRecipes(config.recipesDir);
  const autoRecipe = recipes.get(config.autoRecipe);
  if (!autoRecipe) throw new TrainingError('RECIPE_UNKNOWN', `TRAINING_AUTO_RECIPE names '${config.autoRecipe}', which is not in recipes/`);
  const mlflow = new MlflowClient(mlflowConfigFromEnv(env));
  const runtime = new ServiceRuntime<TrainerTables>({ name: SERVICE_NAME, config: config.common, ...(logger ? { logger } : {}) });
  await runtime.migrate(trainerMigrations);

  runtime.subscribe({
    groupId: GROUPS.datasetReady,
    topic: 'dataset.ready',
    handler: datasetReadyHandler({ models: new Set(config.autoModels), recipe: autoRecipe, timeoutSeconds: config.timeoutSeconds }),
  });
  const backends = new Map<string, TrainingBackend>([['local', new LocalProcessBackend(config.python)]]);
  runtime.addWorker(
    new TrainingJobs({
      db: runtime.db,
      bus: runtime.bus,
      mlflow,
      mlflowExperiment: config.mlflowExperiment,
      identity: runIdentity(SERVICE_NAME, env),
      backends,
      trainersRoot: TRAINERS_ROOT,
      trainerEnv: Object.fromEntries(TRAINER_ENV.flatMap((name) => (env[name] ? [[name, env[name] as string]] : []))),
      maxConcurrent: config.maxConcurrentJobs,
      maxAttempts: config.maxAttempts,
      lostAfterSeconds: config.lostAfterSeconds,
      dependencyBudgetSeconds: config.common.dependencyBudgetSeconds,
      logger: runtime.logger,
    }),
  );
  const app = await runtime.app({ mlflow: () => mlflow.ping() });
  trainingRoutes(app, runtime.db, recipes, config.timeoutSeconds);
  const address = await runtime.start();
  return { address, runtime, stop: () => runtime.stop() };
}
