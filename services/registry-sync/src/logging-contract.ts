import type { MlflowClient, MlflowRun } from '@planner/mlflow-client';

/** Seed §3.2: what every training run must log before its model may be registered. */
export const LOGGING_CONTRACT = {
  params: ['learning_rate', 'batch_size', 'epochs', 'dataset_version', 'model_architecture'],
  metrics: ['training_loss', 'validation_loss'],
  artifacts: ['model', 'tokenizer', 'config'],
  /** The registered source is the run's model/ folder: it must be an MLflow model, loadable with `mlflow.pyfunc.load_model`. */
  mlflowModel: 'model/MLmodel',
  tags: { task: 'planner', dataset_version: undefined, policy_id: undefined } as Record<string, string | undefined>,
} as const;

/**
 * Every item of the contract the run misses, named as `params.epochs`,
 * `metrics.validation_loss`, `artifacts.tokenizer`, `tags.task=planner`; empty
 * when the run honours it. `artifacts` are the run's top-level artifact
 * folders that hold at least one file and the paths of the entries directly
 * in them (`model/MLmodel`), as `nonEmptyArtifactFolders` lists them.
 */
export function contractViolations(run: Pick<MlflowRun, 'params' | 'metrics' | 'tags'>, artifacts: ReadonlySet<string>): string[] {
  const missing: string[] = [];
  for (const param of LOGGING_CONTRACT.params) if (!run.params[param]) missing.push(`params.${param}`);
  for (const metric of LOGGING_CONTRACT.metrics) if (!Number.isFinite(run.metrics[metric])) missing.push(`metrics.${metric}`);
  for (const artifact of LOGGING_CONTRACT.artifacts) {
    if (!artifacts.has(artifact)) missing.push(`artifacts.${artifact}`);
    // A model/ folder without it would register raw files that no MLflow client can load.
    else if (artifact === 'model' && !artifacts.has(LOGGING_CONTRACT.mlflowModel)) {
      missing.push(`artifacts.${LOGGING_CONTRACT.mlflowModel} (model/ is not an MLflow model: save it with an MLflow flavour)`);
    }
  }
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

/**
 * The artifact folders of a run that are non-empty (a folder with nothing in
 * it does not count), and the paths of the entries directly in them.
 */
export async function nonEmptyArtifactFolders(mlflow: MlflowClient, runId: string): Promise<Set<string>> {
  const found = new Set<string>();
  for (const entry of await mlflow.listArtifacts(runId)) {
    if (!entry.isDir) continue;
    const inside = await mlflow.listArtifacts(runId, entry.path);
    if (inside.length > 0) found.add(entry.path);
    for (const child of inside) found.add(child.path);
  }
  return found;
}
