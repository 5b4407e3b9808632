import { pathToFileURL } from 'node:url';
import { experimentName } from '@planner/mlflow-client';
import { type CommonConfig, ConfigReader, readCommonConfig } from '@planner/service-kit';

export interface DatasetBuilderConfig {
  common: CommonConfig;
  /** Where dataset versions are written: `file:///folder` (default) or `s3://bucket[/prefix]`. */
  objectStoreUrl: string;
  /** MLflow experiment holding one run per dataset version: DATASET_MLFLOW_EXPERIMENT under the namespace's rule (`experimentName`). */
  mlflowExperiment: string;
  /** Tries for a build that fails on infrastructure (data problems fail at once). */
  maxBuildAttempts: number;
  /** How long a build waits for the ingestion of exp.events to catch up with the topic (DATASET_INGEST_WAIT_SECONDS). */
  ingestWaitSeconds: number;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): DatasetBuilderConfig {
  const reader = new ConfigReader(env);
  const common = readCommonConfig(reader, 8081);
  const config = {
    common,
    objectStoreUrl: reader.string('OBJECT_STORE_URL', pathToFileURL(`${process.cwd()}/object-store`).href),
    mlflowExperiment: experimentName(reader.string('DATASET_MLFLOW_EXPERIMENT', 'planner-datasets'), common.kafkaNamespace),
    maxBuildAttempts: reader.int('DATASET_MAX_BUILD_ATTEMPTS', 3, { min: 1, max: 20 }),
    ingestWaitSeconds: reader.int('DATASET_INGEST_WAIT_SECONDS', 600, { min: 1, max: 86_400 }),
  };
  reader.done();
  return config;
}
