import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mlflowConfigFromEnv } from '../../../packages/mlflow-client/src/index.ts';
import { openObjectStore } from '../../../packages/object-store/src/index.ts';
import { ROOT } from './tool-cache.ts';

/** The six services, by folder name: the names the images' entry point takes. */
export const SERVICES = readdirSync(join(ROOT, 'services'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

/**
 * Read at run time by code that starting a configuration does not reach: OpenTelemetry's SDK (OTEL_*),
 * the S3 client of dataset locations and the trainers (S3_ENDPOINT, AWS_*).
 */
const READ_AT_RUN_TIME = /^(OTEL_|AWS_)|^S3_ENDPOINT$/;

export interface ConfigCheck {
  /** What the service's own checks refused, as it would say at start-up. */
  problems: string[];
  /** Variables given to the service that nothing reads: a misspelt or stale setting. */
  unread: string[];
}

/**
 * Starts a service's configuration from `provided` the way main.ts does (readConfig), plus the MLflow and
 * object-store settings it reads beside it, without connecting to anything.
 */
export async function checkServiceConfig(service: string, provided: Record<string, string>): Promise<ConfigCheck> {
  const read = new Set<string>();
  const env = new Proxy<NodeJS.ProcessEnv>(
    { ...provided },
    {
      get(target, key) {
        if (typeof key === 'string') read.add(key);
        return target[key as string];
      },
    },
  );
  const problems: string[] = [];
  const attempt = (what: string, check: () => unknown) => {
    try {
      check();
    } catch (error) {
      problems.push(`${what}: ${(error as Error).message}`);
    }
  };
  const module = (await import(pathToFileURL(join(ROOT, 'services', service, 'src', 'config.ts')).href)) as {
    readConfig(env: NodeJS.ProcessEnv): unknown;
  };
  attempt('readConfig', () => module.readConfig(env));
  attempt('MLflow', () => mlflowConfigFromEnv(env));
  const objectStoreUrl = provided.OBJECT_STORE_URL;
  if (objectStoreUrl !== undefined) attempt('object store', () => openObjectStore(objectStoreUrl, env));
  const unread = Object.keys(provided).filter((name) => !read.has(name) && !READ_AT_RUN_TIME.test(name));
  return { problems, unread };
}
