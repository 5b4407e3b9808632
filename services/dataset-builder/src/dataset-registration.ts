import { readFile } from 'node:fs/promises';
import { DATASET_DIGEST_TAG, type MlflowClient, runIdentity } from '@planner/mlflow-client';
import { DatasetError } from './dataset-error.ts';
import type { DatasetFiles } from './dataset-files.ts';
import { TRAINING_COLUMNS } from './training-columns.ts';

export const DATASET_VERSION_TAG = 'dataset_version';
/** The service MLflow shows as the run's user and source (the SERVICE_NAME of service.ts, which imports this module). */
const CREATED_BY = 'dataset-builder';

/** MLflow's column types for a dataset schema (mlflow.types.Schema's JSON form). */
const MLFLOW_TYPES = { STRING: 'string', INT32: 'integer', TIMESTAMP: 'datetime' } as const;

/**
 * Registers a dataset version in MLflow (seed §2.3 step 5): one run per
 * version in the datasets experiment, with the dataset as a run input (name,
 * digest, source, schema, profile), the summary and schema as artifacts, and a
 * `dataset_version` tag. Looks before it writes: a version already registered
 * with the same digest returns its run; a different digest is refused, since
 * the same pins must give the same bytes.
 */
export async function registerDataset(
  mlflow: MlflowClient,
  experimentName: string,
  version: { datasetVersion: string; modelName: string; location: string },
  built: DatasetFiles,
): Promise<string> {
  const experimentId = await mlflow.getOrCreateExperiment(experimentName);
  const existing = await mlflow.searchRuns([experimentId], `tags.${DATASET_VERSION_TAG} = '${version.datasetVersion}'`, 1);
  const previous = existing[0];
  if (previous) {
    const digest = previous.tags[DATASET_DIGEST_TAG];
    if (digest === built.digest && previous.info.status === 'FINISHED') return previous.info.runId;
    if (digest !== undefined && digest !== built.digest) {
      throw new DatasetError(
        'DATASET_DIGEST_MISMATCH',
        `${version.datasetVersion} is registered in MLflow run ${previous.info.runId} with digest ${digest}, but this build gave ${built.digest}`,
      );
    }
  }

  const runId =
    previous?.info.runId ??
    (
      await mlflow.createRun({
        experimentId,
        runName: `dataset ${version.datasetVersion}`,
        // The digest tag goes on at creation: it is what a retry looks the run up by.
        tags: { [DATASET_VERSION_TAG]: version.datasetVersion, task: 'planner', [DATASET_DIGEST_TAG]: built.digest },
        identity: runIdentity(CREATED_BY),
      })
    ).info.runId;
  const profile = built.profile.toJSON();
  await mlflow.logDatasetVersion(runId, {
    version: version.datasetVersion,
    digest: built.digest,
    uri: `${version.location}training.parquet`,
    context: 'training',
    schema: JSON.stringify({
      mlflow_colspec: TRAINING_COLUMNS.map((c) => ({ name: c.name, type: MLFLOW_TYPES[c.type], required: !c.nullable })),
    }),
    profile: JSON.stringify(profile),
  });
  await mlflow.logBatch(runId, {
    params: {
      dataset_version: version.datasetVersion,
      model_name: version.modelName,
      location: version.location,
      digest: built.digest,
      field_count: String(built.fieldCount),
    },
    metrics: Object.entries({
      rows: profile.num_rows,
      households: profile.num_households,
      train_rows: profile.splits.train,
      validation_rows: profile.splits.validation,
      evaluation_rows: profile.splits.evaluation,
      recipes: built.recipeCount,
    }).map(([key, value]) => ({ key, value })),
    tags: { dataset_location: version.location },
  });
  for (const file of built.files.filter((f) => f.name === 'schema.json' || f.name === 'dataset_summary.md')) {
    await mlflow.uploadArtifact(runId, file.name, await readFile(file.path), file.contentType);
  }
  await mlflow.updateRun(runId, 'FINISHED');
  return runId;
}
