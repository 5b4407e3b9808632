import { spawn } from 'node:child_process';
import type { JobExit, JobSpec, LaunchedJob, TrainingBackend } from './training-backend.ts';

/** Runs the trainer as a child process of this service, in its own process group. */
export class LocalProcessBackend implements TrainingBackend {
  readonly name = 'local';
  readonly #python: string;

  constructor(python: string) {
    this.#python = python;
  }

  launch(spec: JobSpec, onOutput: (text: string) => void): LaunchedJob {
    const child = spawn(
      this.#python,
      [spec.entrypoint, '--dataset', spec.datasetLocation, '--recipe', spec.recipeFile, '--output', spec.workDir],
      {
        cwd: spec.workDir,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          PYTHONUNBUFFERED: '1',
          // stdin stays open and silent while this process lives; the trainer stops at its end (see training_contract.py).
          PL_PARENT_LIFELINE: 'stdin',
          ...spec.env,
        },
        // Its own process group, so cancelling also stops whatever the trainer started.
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    child.stdout.setEncoding('utf8').on('data', onOutput);
    child.stderr.setEncoding('utf8').on('data', onOutput);
    const exit = new Promise<JobExit>((resolve) => {
      child.once('error', (error) => {
        onOutput(`could not start ${this.#python}: ${error.message}\n`);
        resolve({ exitCode: null, signal: null });
      });
      child.once('close', (exitCode, signal) => resolve({ exitCode, signal }));
    });
    return {
      exit,
      cancel: () => {
        if (child.pid === undefined || child.exitCode !== null) return;
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
        // A trainer that ignores SIGTERM is killed after a grace period.
        setTimeout(() => {
          if (child.exitCode === null && child.pid !== undefined) {
            try {
              process.kill(-child.pid, 'SIGKILL');
            } catch {
              // Already gone.
            }
          }
        }, 5000).unref();
      },
    };
  }
}
