/** Who creates a run, as MLflow's UI shows it in its User and Source columns. */
export interface RunIdentity {
  /** The service creating the run: the run's user and its source name. */
  service: string;
  /** The commit of the code the service runs, when the deployment says (GIT_COMMIT). */
  gitCommit?: string;
}

/** The identity of `service`, with the commit from GIT_COMMIT when it is set. */
export function runIdentity(service: string, env: NodeJS.ProcessEnv = process.env): RunIdentity {
  const gitCommit = env.GIT_COMMIT?.trim();
  return gitCommit ? { service, gitCommit } : { service };
}

/**
 * The system tags MLflow's own clients set on a run they create (`mlflow.user`,
 * `mlflow.source.*`). A service is a job, not a person, so it is both the user
 * and the source.
 */
export function runIdentityTags(identity: RunIdentity): Record<string, string> {
  return {
    'mlflow.user': identity.service,
    'mlflow.source.type': 'JOB',
    'mlflow.source.name': identity.service,
    ...(identity.gitCommit === undefined ? {} : { 'mlflow.source.git.commit': identity.gitCommit }),
  };
}
