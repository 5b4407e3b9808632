import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { StackError } from './stack-error.ts';

/** Versions of the servers the local stack runs; bump them here only. */
export const VERSIONS = {
  kafka: '4.4.0',
  log4j: '2.26.1',
  slf4j: '2.0.17',
  mlflow: '3.17.2',
  psycopg2: '2.9.13',
  /** DuckDB and its postgres extension from PyPI (the extension's version must be DuckDB's): the dataset bench's peer. */
  duckdb: '1.5.5',
  s3proxy: '3.0.0',
  /** Debian bookworm's package: see docs/decisions/0016-prometheus-from-debian.md. */
  prometheus: '2.42.0+ds-5+deb12u1',
} as const;

export type ComponentName = 'postgres' | 'kafka' | 'mlflow' | 's3' | 'prometheus';
/** What `stack up` starts when no component is named: the servers the lifecycle needs. */
export const COMPONENTS: readonly ComponentName[] = ['postgres', 'kafka', 'mlflow', 's3'];
/** Started only when named (`stack up prometheus`): nothing in the lifecycle depends on them. */
export const OPTIONAL_COMPONENTS: readonly ComponentName[] = ['prometheus'];
export const ALL_COMPONENTS: readonly ComponentName[] = [...COMPONENTS, ...OPTIONAL_COMPONENTS];

export interface StackConfig {
  /** The repository root: the checkout this stack belongs to. */
  root: string;
  /** State of every server (data, logs, pids) lives under this one folder. */
  stackDir: string;
  /** Downloads shared by every checkout on the machine: jars, virtualenv. */
  cacheDir: string;
  postgres: { external: boolean; url: string; port: number };
  kafka: { external: boolean; brokers: string[]; port: number; controllerPort: number };
  mlflow: { external: boolean; trackingUri: string; port: number };
  s3: {
    external: boolean;
    endpoint: string;
    port: number;
    accessKeyId: string;
    secretAccessKey: string;
    region: string;
    bucket: string;
  };
  prometheus: { external: boolean; url: string; port: number; scrapeIntervalSeconds: number };
}

type Env = Readonly<Record<string, string | undefined>>;

function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new StackError('CONFIG_INVALID', `${name} must be a TCP port (1-65535), got '${raw}'`);
  }
  return value;
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new StackError('CONFIG_INVALID', `${name} must be a whole number above 0, got '${raw}'`);
  return value;
}

function url(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  try {
    new URL(raw);
  } catch {
    throw new StackError('CONFIG_INVALID', `${name} must be a URL, got '${raw}'`);
  }
  return raw;
}

/**
 * Reads the stack's configuration from the environment. A server named by an
 * environment variable (KAFKA_BROKERS, DATABASE_URL, MLFLOW_TRACKING_URI,
 * S3_ENDPOINT, PROMETHEUS_URL) is treated as existing infrastructure: nothing
 * is started for it.
 */
export function loadStackConfig(env: Env = process.env): StackConfig {
  const root = resolve(import.meta.dirname, '..', '..', '..');
  const cacheDir = env.PL_CACHE_DIR || join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'planner-lifecycle');
  const stackDir = resolve(env.PL_STACK_DIR || join(root, '.local-stack'));

  const pgPort = port(env, 'PL_POSTGRES_PORT', 15432);
  const databaseUrl = url(env, 'DATABASE_URL');

  const kafkaPort = port(env, 'PL_KAFKA_PORT', 19092);
  const controllerPort = port(env, 'PL_KAFKA_CONTROLLER_PORT', 19093);
  const brokers = env.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers !== undefined) {
    for (const broker of brokers) {
      if (!/^[^:\s]+:\d+$/.test(broker)) {
        throw new StackError('CONFIG_INVALID', `KAFKA_BROKERS must be host:port[,host:port...], got '${broker}'`);
      }
    }
  }

  const mlflowPort = port(env, 'PL_MLFLOW_PORT', 15000);
  const trackingUri = url(env, 'MLFLOW_TRACKING_URI');

  const s3Port = port(env, 'PL_S3_PORT', 19000);
  const s3Endpoint = url(env, 'S3_ENDPOINT');

  const prometheusPort = port(env, 'PL_PROMETHEUS_PORT', 19090);
  const prometheusUrl = url(env, 'PROMETHEUS_URL');

  return {
    root,
    stackDir,
    cacheDir,
    postgres: {
      external: databaseUrl !== undefined,
      url: databaseUrl ?? `postgres://postgres:postgres@127.0.0.1:${pgPort}/planner`,
      port: pgPort,
    },
    kafka: {
      external: brokers !== undefined && brokers.length > 0,
      brokers: brokers?.length ? brokers : [`127.0.0.1:${kafkaPort}`],
      port: kafkaPort,
      controllerPort,
    },
    mlflow: {
      external: trackingUri !== undefined,
      trackingUri: trackingUri ?? `http://127.0.0.1:${mlflowPort}`,
      port: mlflowPort,
    },
    s3: {
      external: s3Endpoint !== undefined,
      endpoint: s3Endpoint ?? `http://127.0.0.1:${s3Port}`,
      port: s3Port,
      accessKeyId: env.AWS_ACCESS_KEY_ID || 'planner-local',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY || 'planner-local-secret',
      region: env.AWS_REGION || 'us-east-1',
      bucket: env.S3_BUCKET || 'planner-lifecycle',
    },
    prometheus: {
      external: prometheusUrl !== undefined,
      url: prometheusUrl ?? `http://127.0.0.1:${prometheusPort}`,
      port: prometheusPort,
      scrapeIntervalSeconds: positiveInt(env, 'PL_PROMETHEUS_SCRAPE_INTERVAL_SECONDS', 15),
    },
  };
}

/** The environment a client of the stack needs, as `export` lines would set it. */
export function clientEnv(config: StackConfig): Record<string, string> {
  return {
    KAFKA_BROKERS: config.kafka.brokers.join(','),
    DATABASE_URL: config.postgres.url,
    MLFLOW_TRACKING_URI: config.mlflow.trackingUri,
    S3_ENDPOINT: config.s3.endpoint,
    S3_BUCKET: config.s3.bucket,
    AWS_ACCESS_KEY_ID: config.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: config.s3.secretAccessKey,
    AWS_REGION: config.s3.region,
  };
}
