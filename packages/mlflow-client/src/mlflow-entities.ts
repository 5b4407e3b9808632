/**
 * MLflow's entities twice over: as the REST API sends them (`Wire*`,
 * snake_case, empty fields left out) and as this client returns them
 * (camelCase, key/value lists as records, no deprecated stages).
 */

export interface WireKeyValue {
  key: string;
  value: string;
}

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface WireDataset {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema?: string;
  profile?: string;
}

export interface WireDatasetInput {
  tags?: WireKeyValue[];
  dataset: WireDataset;
}

export interface WireRun {
  info: {
    run_id: string;
    experiment_id: string;
    run_name?: string;
    status: RunStatus;
    start_time?: number;
    end_time?: number;
    artifact_uri: string;
    lifecycle_stage: string;
  };
  data: { params?: WireKeyValue[]; metrics?: WireMetric[]; tags?: WireKeyValue[] };
  inputs?: { dataset_inputs?: WireDatasetInput[] };
}

export interface WireMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';

export interface WireModelVersion {
  name: string;
  version: string;
  source: string;
  run_id?: string;
  status: ModelVersionStatus;
  status_message?: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  tags?: WireKeyValue[];
  aliases?: string[];
}

/** The tag MLflow reads a dataset's role from (`training`, `validation`, ...). */
export const DATASET_CONTEXT_TAG = 'mlflow.data.context';

export interface DatasetInput {
  name: string;
  /** MLflow allows at most 36 characters. */
  digest: string;
  /** E.g. `s3`, `http`, `local`. */
  sourceType: string;
  /** JSON describing where the data is, e.g. `{"uri": "s3://bucket/key"}`. */
  source: string;
  schema?: string;
  profile?: string;
  /** Written as the `mlflow.data.context` tag. */
  context?: string;
  tags?: Record<string, string>;
}

export interface RunInfo {
  runId: string;
  experimentId: string;
  runName: string;
  status: RunStatus;
  startTime?: number;
  endTime?: number;
  /** E.g. `mlflow-artifacts:/1/<run id>/artifacts`. */
  artifactUri: string;
  lifecycleStage: string;
}

export interface MlflowRun {
  info: RunInfo;
  params: Record<string, string>;
  /** Each metric's latest value. */
  metrics: Record<string, number>;
  tags: Record<string, string>;
  inputs: DatasetInput[];
}

export interface ModelVersion {
  name: string;
  version: string;
  source: string;
  runId?: string;
  status: ModelVersionStatus;
  statusMessage?: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  tags: Record<string, string>;
  aliases: string[];
}

export function toRecord(entries: readonly { key: string; value: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((entries ?? []).map((e) => [e.key, e.value]));
}

export function toWireKeyValues(record: Record<string, string> | undefined): WireKeyValue[] {
  return Object.entries(record ?? {}).map(([key, value]) => ({ key, value }));
}

export function datasetInputToWire(input: DatasetInput): WireDatasetInput {
  const tags = { ...input.tags, ...(input.context === undefined ? {} : { [DATASET_CONTEXT_TAG]: input.context }) };
  return {
    tags: toWireKeyValues(tags),
    dataset: {
      name: input.name,
      digest: input.digest,
      source_type: input.sourceType,
      source: input.source,
      ...(input.schema === undefined ? {} : { schema: input.schema }),
      ...(input.profile === undefined ? {} : { profile: input.profile }),
    },
  };
}

function datasetInputFromWire(wire: WireDatasetInput): DatasetInput {
  const { [DATASET_CONTEXT_TAG]: context, ...tags } = toRecord(wire.tags);
  const { dataset } = wire;
  return {
    name: dataset.name,
    digest: dataset.digest,
    sourceType: dataset.source_type,
    source: dataset.source,
    ...(dataset.schema === undefined ? {} : { schema: dataset.schema }),
    ...(dataset.profile === undefined ? {} : { profile: dataset.profile }),
    ...(context === undefined ? {} : { context }),
    tags,
  };
}

export function runFromWire(wire: WireRun): MlflowRun {
  const { info, data } = wire;
  return {
    info: {
      runId: info.run_id,
      experimentId: info.experiment_id,
      runName: info.run_name ?? '',
      status: info.status,
      ...(info.start_time === undefined ? {} : { startTime: info.start_time }),
      ...(info.end_time === undefined ? {} : { endTime: info.end_time }),
      artifactUri: info.artifact_uri,
      lifecycleStage: info.lifecycle_stage,
    },
    params: toRecord(data.params),
    metrics: Object.fromEntries((data.metrics ?? []).map((m) => [m.key, m.value])),
    tags: toRecord(data.tags),
    inputs: (wire.inputs?.dataset_inputs ?? []).map(datasetInputFromWire),
  };
}

export function modelVersionFromWire(wire: WireModelVersion): ModelVersion {
  return {
    name: wire.name,
    version: wire.version,
    source: wire.source,
    ...(wire.run_id ? { runId: wire.run_id } : {}),
    status: wire.status,
    ...(wire.status_message ? { statusMessage: wire.status_message } : {}),
    creationTimestamp: wire.creation_timestamp,
    lastUpdatedTimestamp: wire.last_updated_timestamp,
    tags: toRecord(wire.tags),
    aliases: wire.aliases ?? [],
  };
}
