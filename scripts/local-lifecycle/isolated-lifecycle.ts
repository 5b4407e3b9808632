import { randomBytes } from 'node:crypto';
import { ensureTopics, projectTopics, type StackConfig, toolsPython } from '@planner/local-stack';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';

/**
 * One lifecycle environment on the shared stack, isolated from the demo and
 * from other suites: its own database, its own Kafka namespace (every topic and
 * consumer group prefixed), its own registered model name. The environment
 * variables are what the services read.
 */
export async function isolatedLifecycle(stack: StackConfig, name: string) {
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
  await ensureTopics(stack.kafka.brokers, topics);

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
    DATASET_MLFLOW_EXPERIMENT: `planner-datasets-${id}`,
    TRAINING_MLFLOW_EXPERIMENT: `planner-training-${id}`,
    REGISTRY_POLL_SECONDS: '2',
  };

  return {
    id,
    namespace,
    token,
    env,
    databaseUrl: databaseUrl.href,
    /** Drops the database and the namespace's topics. */
    async cleanup() {
      const kafka = new Kafka({ clientId: 'isolated-lifecycle', brokers: stack.kafka.brokers, logLevel: logLevel.NOTHING });
      const kafkaAdmin = kafka.admin();
      await kafkaAdmin.connect();
      await kafkaAdmin.deleteTopics({ topics: topics.map((t) => t.name) }).catch(() => undefined);
      await kafkaAdmin.disconnect();
      const client = new pg.Client({ connectionString: stack.postgres.url });
      await client.connect();
      await client.query(`drop database if exists ${id} with (force)`);
      await client.end();
    },
  };
}
