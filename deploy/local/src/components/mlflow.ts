import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Component, componentPaths } from '../component.ts';
import { requirePython } from '../prerequisites.ts';
import { runningPid, spawnDetached, stopByPidFile } from '../processes.ts';
import { assertPortFree, httpOk, waitUntil } from '../readiness.ts';
import { type StackConfig, VERSIONS } from '../stack-config.ts';
import { StackError } from '../stack-error.ts';

/** How long the server keeps an idle keep-alive connection: well above any client's idle timeout (undici: 4 s). */
export const MLFLOW_KEEP_ALIVE_SECONDS = 75;

const TOOLS_REQUIREMENTS = [
  `mlflow==${VERSIONS.mlflow}`,
  `psycopg2-binary==${VERSIONS.psycopg2}`,
  `duckdb==${VERSIONS.duckdb}`,
  `duckdb-extension-postgres==${VERSIONS.duckdb}`,
];

/**
 * The virtualenv holding the pinned MLflow server, shared by every checkout on
 * the machine. It is also the Python the local trainers and the dataset bench's
 * peers run with (MLflow brings numpy and pyarrow).
 */
function ensureVirtualenv(config: StackConfig, installLog: string): string {
  const venv = join(config.cacheDir, `mlflow-${VERSIONS.mlflow}`);
  const mlflow = join(venv, 'bin', 'mlflow');
  const marker = join(venv, '.installed');
  const requirements = `${TOOLS_REQUIREMENTS.join('\n')}\n`;
  const installed = existsSync(marker) ? readFileSync(marker, 'utf8') : undefined;
  if (installed === requirements) return mlflow;
  mkdirSync(config.cacheDir, { recursive: true });
  const log = openSync(installLog, 'a');
  try {
    // A finished virtualenv whose marker lists other requirements gets them installed in place: the MLflow server
    // may be running from it. An unfinished one (no marker) starts again from scratch.
    const steps: [string, string[]][] = [];
    if (installed === undefined) steps.push([requirePython(10, 'MLflow'), ['-m', 'venv', '--clear', venv]]);
    steps.push([join(venv, 'bin', 'pip'), ['install', '--disable-pip-version-check', '--quiet', ...TOOLS_REQUIREMENTS]]);
    for (const [command, args] of steps) {
      const result = spawnSync(command, args, { stdio: ['ignore', log, log] });
      if (result.status !== 0) {
        throw new StackError('START_FAILED', `installing ${TOOLS_REQUIREMENTS.join(' ')} into ${venv} failed; see ${installLog}`);
      }
    }
  } finally {
    closeSync(log);
  }
  writeFileSync(marker, requirements);
  return mlflow;
}

/** The virtualenv's Python, installing the virtualenv first when it is missing. */
export function toolsPython(config: StackConfig): string {
  mkdirSync(config.stackDir, { recursive: true });
  const mlflow = ensureVirtualenv(config, join(config.stackDir, 'mlflow-install.log'));
  return join(mlflow, '..', 'python');
}

/**
 * MLflow's backend store: its own database on the stack's PostgreSQL, or SQLite
 * in the stack folder when PostgreSQL is external (we do not create databases
 * on someone else's server). PL_MLFLOW_BACKEND_STORE_URI overrides both.
 */
function backendStoreUri(config: StackConfig, home: string): string {
  if (process.env.PL_MLFLOW_BACKEND_STORE_URI) return process.env.PL_MLFLOW_BACKEND_STORE_URI;
  if (config.postgres.external) return `sqlite:///${join(home, 'mlflow.db')}`;
  return `postgresql+psycopg2://postgres:postgres@127.0.0.1:${config.postgres.port}/mlflow`;
}

export function mlflowComponent(config: StackConfig): Component {
  const paths = componentPaths(config, 'mlflow');
  const health = `${config.mlflow.trackingUri.replace(/\/$/, '')}/health`;

  return {
    name: 'mlflow',

    async up() {
      if (!config.mlflow.external && runningPid(paths.pidFile) === undefined) {
        await assertPortFree(config.mlflow.port, 'MLflow', 'PL_MLFLOW_PORT');
        mkdirSync(join(config.stackDir, 'logs'), { recursive: true });
        const mlflow = ensureVirtualenv(config, join(config.stackDir, 'logs', 'mlflow-install.log'));
        const artifacts = join(paths.home, 'artifacts');
        mkdirSync(artifacts, { recursive: true });
        spawnDetached({
          command: mlflow,
          args: [
            'server',
            '--host',
            '127.0.0.1',
            '--port',
            String(config.mlflow.port),
            '--backend-store-uri',
            backendStoreUri(config, paths.home),
            // Clients upload and download artifacts through the server (mlflow-artifacts:/).
            '--serve-artifacts',
            '--artifacts-destination',
            artifacts,
            '--workers',
            '2',
            // uvicorn closes an idle connection after 5 s by default, barely above Node's fetch (4 s): a request sent on
            // a socket as the server closes it fails with "other side closed". Servers must outlive their clients' idle sockets.
            '--uvicorn-opts',
            `--timeout-keep-alive ${MLFLOW_KEEP_ALIVE_SECONDS}`,
          ],
          cwd: paths.home,
          logFile: paths.logFile,
          pidFile: paths.pidFile,
        });
      }
      // The first start migrates an empty backend store, which takes a while.
      await waitUntil(`MLflow at ${config.mlflow.trackingUri}`, () => httpOk(health), {
        timeoutMs: config.mlflow.external ? 10_000 : 180_000,
        logFile: config.mlflow.external ? 'MLFLOW_TRACKING_URI' : paths.logFile,
        ...(config.mlflow.external ? {} : { stillRunning: () => runningPid(paths.pidFile) !== undefined }),
      });
    },

    down: () => (config.mlflow.external ? Promise.resolve(false) : stopByPidFile(paths.pidFile)),

    async status() {
      const pid = config.mlflow.external ? undefined : runningPid(paths.pidFile);
      return {
        name: 'mlflow',
        mode: config.mlflow.external ? 'external' : 'local',
        endpoint: config.mlflow.trackingUri,
        ...(pid === undefined ? {} : { pid }),
        ready: await httpOk(health),
      };
    },
  };
}
