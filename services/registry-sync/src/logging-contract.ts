import type { MlflowClient, MlflowRun } from '@planner/mlflow-client';

/** Seed §3.2: what every training run must log before its model may be registered. */
export const LOGGING_CONTRACT = {
  params: ['learning_rate', 'batch_size', 'epochs', 'dataset_version', 'model_architecture'],
  metrics: ['training_loss', 'validation_loss'],
  artifacts: ['model', 'tokenizer', 'config'],
  tags: { task: 'planner', dataset_version: undefined, policy_id: undefined } as Record<string, string | undefined>,
} as const;

/**
 * Every item of the contract the run misses, named as `params.epochs`,
 * `metrics.validation_loss`, `artifacts.tokenizer`, `tags.task=planner`; empty
 * when the run honours it. `artifactFolders` are the run's top-level artifact
 * folders that hold at least one file.
 */
export function contractViolations(run: Pick<MlflowRun, 'params' | 'metrics' | 'tags'>, artifactFolders: ReadonlySet<string>): string[] {
  const missing: string[] = [];
  for (const param of LOGGING_CONTRACT.params) if (!run.params[param]) missing.push(`params.${param}`);
  for (const metric of LOGGING_CONTRACT.metrics) if (!Number.isFinite(run.metrics[metric])) missing.push(`metrics.${metric}`);
  for (const artifact of LOGGING_CONTRACT.artifacts) if (!artifactFolders.has(artifact)) missing.push(`artifacts.${artifact}`);
  for (const [tag, required] of Object.entries(LOGGING_CONTRACT.tags)) {
    const value = run.tags[tag];
    if (!value) missing.push(required ? `tags.${tag}=${required}` : `tags.${tag}`);
    else if (required && value !== required) missing.push(`tags.${tag}=${required} (found '${value}')`);
  }
  if (run.params.dataset_version && run.tags.dataset_version && run.params.dataset_version !== run.tags.dataset_version) {
    missing.push(`tags.dataset_version=${run.params.dataset_version} (found '${run.tags.dataset_version}')`);
  }
  return missing;
}

/** The artifact folders of a run that are non-empty (a folder with nothing in it does not count). */
export async function nonEmptyArtifactFolders(mlflow: MlflowClient, runId: string): Promise<Set<string>> {
  const folders = new Set<string>();
  for (const entry of await mlflow.listArtifacts(runId)) {
    if (!entry.isDir) continue;
    if ((await mlflow.listArtifacts(runId, entry.path)).length > 0) folders.add(entry.path);
  }
  return folders;
}
