import { experimentName } from '@planner/mlflow-client';
import { type CommonConfig, ConfigReader, readCommonConfig } from '@planner/service-kit';
import { RECIPES_DIR } from './training-recipes.ts';

export interface TrainerDispatcherConfig {
  common: CommonConfig;
  /** Models whose dataset.ready starts a job at once (TRAINING_AUTO_MODELS, comma-separated; empty turns it off). */
  autoModels: string[];
  /** The recipe auto-training uses. */
  autoRecipe: string;
  /** The Python that runs local trainers (needs numpy, pyarrow, mlflow). */
  python: string;
  timeoutSeconds: number;
  maxConcurrentJobs: number;
  /** Runs of a job whose dispatcher died, the first included (TRAINING_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Seconds without a heartbeat after which a running job's dispatcher is taken as dead (TRAINING_LOST_AFTER_SECONDS). */
  lostAfterSeconds: number;
  /** MLflow experiment of the training runs: TRAINING_MLFLOW_EXPERIMENT under the namespace's rule (`experimentName`). */
  mlflowExperiment: string;
  /** Folder of versioned recipe files (TRAINING_RECIPES_DIR; default the shipped recipes/). */
  recipesDir: string;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): TrainerDispatcherConfig {
  const reader = new ConfigReader(env);
  const autoModels = env.TRAINING_AUTO_MODELS?.trim() === '' ? [] : reader.list('TRAINING_AUTO_MODELS', ['planner']);
  const common = readCommonConfig(reader, 8082);
  const config = {
    common,
    autoModels,
    autoRecipe: reader.string('TRAINING_AUTO_RECIPE', 'planner-ranker@1'),
    python: reader.string('TRAINER_PYTHON', 'python3'),
    timeoutSeconds: reader.int('TRAINING_TIMEOUT_SECONDS', 3600, { min: 1, max: 7 * 24 * 3600 }),
    maxConcurrentJobs: reader.int('TRAINING_MAX_CONCURRENT_JOBS', 1, { min: 1, max: 64 }),
    maxAttempts: reader.int('TRAINING_MAX_ATTEMPTS', 3, { min: 1, max: 10 }),
    lostAfterSeconds: reader.int('TRAINING_LOST_AFTER_SECONDS', 60, { min: 3, max: 3600 }),
    mlflowExperiment: experimentName(reader.string('TRAINING_MLFLOW_EXPERIMENT', 'planner-training'), common.kafkaNamespace),
    recipesDir: reader.string('TRAINING_RECIPES_DIR', RECIPES_DIR),
  };
  reader.done();
  return config;
}
