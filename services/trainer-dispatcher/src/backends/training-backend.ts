/** What a backend needs to start one training job. */
export interface JobSpec {
  jobId: string;
  /** The MLflow run the dispatcher created; the trainer attaches to it (MLFLOW_RUN_ID). */
  runId: string;
  datasetLocation: string;
  /** The trainer script, resolved to an absolute path. */
  entrypoint: string;
  /** The recipe file handed to the trainer (`--recipe`). */
  recipeFile: string;
  /** Scratch folder for the trainer's outputs (`--output`). */
  workDir: string;
  /** Environment for the trainer: MLflow and object-store settings, MLFLOW_RUN_ID. */
  env: Record<string, string>;
}

export interface JobExit {
  exitCode: number | null;
  signal: string | null;
}

export interface LaunchedJob {
  readonly exit: Promise<JobExit>;
  /** Stops the job (and everything it started); `exit` then resolves. */
  cancel(): void;
}

/**
 * Where training runs. `local` runs the trainer as a child process; a GPU
 * backend (a Kubernetes Job, a Slurm or Ray submission) implements the same
 * three things: start with this spec, stream output, stop on request.
 */
export interface TrainingBackend {
  readonly name: string;
  launch(spec: JobSpec, onOutput: (text: string) => void): LaunchedJob;
}
