import type { DatasetInput } from './mlflow-entities.ts';

/** MLflow refuses a dataset digest over 36 characters. */
export const DATASET_DIGEST_LIMIT = 36;

/** The run tag and dataset input tag that carry a dataset's whole digest, which the input's own digest field cannot. */
export const DATASET_DIGEST_TAG = 'dataset_digest';

/** One dataset version a run used, as the lifecycle names and digests them. */
export interface DatasetVersionRef {
  /** E.g. `planner/2026-11-26`: the input's name. */
  version: string;
  /** The whole digest, e.g. SHA-256 in hex. */
  digest: string;
  /** The data the run read, e.g. `s3://bucket/datasets/planner/2026-11-26/training.parquet`. */
  uri: string;
  /** The dataset's role in the run: `training`, `evaluation`, ... */
  context: string;
  /** MLflow's JSON schema of the columns, when known. */
  schema?: string;
  /** A JSON profile (row counts, ...), when known. */
  profile?: string;
}

/** The run input of a dataset version: its digest cut to MLflow's limit, the whole one in a tag beside it. */
export function datasetVersionInput(dataset: DatasetVersionRef): DatasetInput {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(dataset.uri)?.[1]?.toLowerCase();
  return {
    name: dataset.version,
    digest: dataset.digest.slice(0, DATASET_DIGEST_LIMIT),
    sourceType: scheme === undefined || scheme === 'file' ? 'local' : scheme,
    source: JSON.stringify({ uri: dataset.uri }),
    ...(dataset.schema === undefined ? {} : { schema: dataset.schema }),
    ...(dataset.profile === undefined ? {} : { profile: dataset.profile }),
    context: dataset.context,
    tags: { [DATASET_DIGEST_TAG]: dataset.digest },
  };
}
