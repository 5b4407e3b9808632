import { randomBytes } from 'node:crypto';
import { ensureTopics, projectTopics, type StackConfig, toolsPython } from '@planner/local-stack';
import { experimentName } from '@planner/mlflow-client';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';

/**
 * One lifecycle environment on the shared stack, isolated from the demo and
 * from other suites: its own database, its own Kafka namespace (every topic and
 * consumer group prefixed), its own registered model name, and its own MLflow
 * experiments (the services name them after the namespace: `experimentName`).
 * The environment variables are what the services read.
 */
export async function isolatedLifecycle(stack: StackConfig, name: string) {
  // The creation time is part of the id, so removeIdleEnvironments can tell old environments from new ones.
  const id = `${name}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`.replaceAll('-', '_');
  const namespace = `${id}.`;
  const token = randomBytes(24).toString('hex');

  const admin = new pg.Client({ connectionString: stack.postgres.url });
  await admin.connect();
  await admin.query(`create database ${id}`);
  await admin.end();
  const databaseUrl = new URL(stack.postgres.url);
  databaseUrl.pathname = `/${id}`;

  const topics = projectTopics(stack.root).map((t) => ({ ...t, name: namespace + t.name }));
  try {
    await ensureTopics(stack.kafka.brokers, topics);
  } catch (error) {
    await removeEnvironment(stack, id, { force: true });
    throw error;
  }

  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl.href,
    KAFKA_BROKERS: stack.kafka.brokers.join(','),
    KAFKA_NAMESPACE: namespace,
    AUTH_TOKENS: token,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    MLFLOW_TRACKING_URI: stack.mlflow.trackingUri,
    S3_ENDPOINT: stack.s3.endpoint,
    S3_BUCKET: stack.s3.bucket,
    AWS_ACCESS_KEY_ID: stack.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: stack.s3.secretAccessKey,
    AWS_REGION: stack.s3.region,
    TRAINER_PYTHON: toolsPython(stack),
    REGISTERED_MODEL_NAME: `planner_model_${id}`,
    REGISTRY_POLL_SECONDS: '2',
  };

  return {
    id,
    namespace,
    token,
    env,
    /** The experiments the services log to here: their default names under the namespace. */
    experiments: {
      datasets: experimentName('planner-datasets', namespace),
      training: experimentName('planner-training', namespace),
      replays: experimentName('planner-replays', namespace),
    },
    databaseUrl: databaseUrl.href,
    /** Drops the database and the namespace's topics. */
    async cleanup() {
      await removeEnvironment(stack, id, { force: true });
    },
  };
}

/**
 * Removes earlier environments called `name` (their databases and Kafka
 * topics) that are older than `olderThanMs` and that nothing is connected to:
 * PostgreSQL refuses to drop a database in use, so an environment another
 * process is running in stays. Returns the ids removed.
 */
export async function removeIdleEnvironments(stack: StackConfig, name: string, options: { olderThanMs: number }): Promise<string[]> {
  const client = new pg.Client({ connectionString: stack.postgres.url });
  await client.connect();
  const { rows } = await client.query<{ datname: string }>('select datname from pg_database where datname like $1', [
    `${name.replaceAll('-', '_')}\\_%`,
  ]);
  await client.end();
  const ownId = new RegExp(`^${name.replaceAll('-', '_')}_([0-9a-z]+)_[0-9a-f]{6}$`);
  const removed: string[] = [];
  for (const { datname: id } of rows) {
    const created = ownId.exec(id)?.[1];
    if (created === undefined || Date.now() - Number.parseInt(created, 36) < options.olderThanMs) continue;
    if (await removeEnvironment(stack, id, { force: false })) removed.push(id);
  }
  return removed;
}

/** Drops the environment's database, then its topics; false when the database is in use and `force` is off. */
async function removeEnvironment(stack: StackConfig, id: string, options: { force: boolean }): Promise<boolean> {
  const client = new pg.Client({ connectionString: stack.postgres.url });
  await client.connect();
  try {
    await client.query(`drop database if exists ${id}${options.force ? ' with (force)' : ''}`);
  } catch (error) {
    // 55006 object_in_use: someone is connected, so the environment is alive.
    if ((error as { code?: string }).code === '55006') return false;
    throw error;
  } finally {
    await client.end();
  }
  const kafka = new Kafka({ clientId: 'isolated-lifecycle', brokers: stack.kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${id}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
  return true;
}
