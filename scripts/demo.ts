/**
 * The README's main command (`./lifecycle demo`). Until the lifecycle services
 * exist it brings up the local stack and runs a smoke job across every server:
 * the topic catalogue on Kafka, a PostgreSQL query, an MLflow run with an
 * artifact uploaded through the server, and an object in S3.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { loadStackConfig, projectTopics, StackError, s3Client, stackUp } from '@planner/local-stack';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';

const config = loadStackConfig();

async function mlflow<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(`${config.mlflow.trackingUri}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`MLflow ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

async function main(): Promise<void> {
  console.log('== local stack');
  const started = performance.now();
  await stackUp(config, undefined, (s, seconds) => console.log(`${s.name.padEnd(8)} ready  ${s.endpoint}  (${seconds.toFixed(1)} s)`));
  const startSeconds = (performance.now() - started) / 1000;

  console.log('\n== smoke run');
  const kafka = new Kafka({ clientId: 'demo', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const present = new Set(await admin.listTopics());
  await admin.disconnect();
  const topics = projectTopics(config.root);
  const missing = topics.filter((t) => !present.has(t.name)).map((t) => t.name);
  if (missing.length > 0) throw new Error(`topics missing on Kafka: ${missing.join(', ')}`);
  console.log(`kafka    ${topics.length} project topics present (dead-letter topics included)`);

  const db = new pg.Client({ connectionString: config.postgres.url });
  await db.connect();
  const { rows } = await db.query<{ version: string }>('select version()');
  await db.end();
  console.log(`postgres ${rows[0]?.version.split(' on ')[0]}`);

  const experiment = await fetch(
    `${config.mlflow.trackingUri}/api/2.0/mlflow/experiments/get-by-name?experiment_name=planner-lifecycle-smoke`,
  );
  const experimentId =
    experiment.status === 200
      ? ((await experiment.json()) as { experiment: { experiment_id: string } }).experiment.experiment_id
      : (await mlflow<{ experiment_id: string }>('experiments/create', { name: 'planner-lifecycle-smoke' })).experiment_id;
  const { run } = await mlflow<{ run: { info: { run_id: string; artifact_uri: string } } }>('runs/create', {
    experiment_id: experimentId,
    run_name: `stack-smoke-${new Date().toISOString()}`,
    start_time: Date.now(),
    tags: [{ key: 'task', value: 'smoke' }],
  });
  await mlflow('runs/log-batch', {
    run_id: run.info.run_id,
    metrics: [{ key: 'stack_start_seconds', value: startSeconds, timestamp: Date.now(), step: 0 }],
    params: [{ key: 'kafka_topics', value: String(topics.length) }],
  });
  const artifactPath = run.info.artifact_uri.replace(/^mlflow-artifacts:\/*/, '');
  const report = `stack started in ${startSeconds.toFixed(1)} s\n`;
  const upload = await fetch(`${config.mlflow.trackingUri}/api/2.0/mlflow-artifacts/artifacts/${artifactPath}/smoke.txt`, {
    method: 'PUT',
    body: report,
  });
  if (!upload.ok) throw new Error(`MLflow artifact upload answered ${upload.status}`);
  await mlflow('runs/update', { run_id: run.info.run_id, status: 'FINISHED', end_time: Date.now() });
  console.log(`mlflow   run ${run.info.run_id} with a metric and an artifact`);

  const s3 = s3Client(config);
  const key = `smoke/${run.info.run_id}.txt`;
  await s3.send(new PutObjectCommand({ Bucket: config.s3.bucket, Key: key, Body: report }));
  s3.destroy();
  console.log(`s3       s3://${config.s3.bucket}/${key}`);

  console.log('\n== report');
  console.log(`MLflow UI:      ${config.mlflow.trackingUri}/#/experiments/${experimentId}/runs/${run.info.run_id}`);
  console.log(`data and logs:  ${config.stackDir}`);
  console.log('stop the stack: ./lifecycle stack down');
}

try {
  await main();
  process.exit(0);
} catch (error) {
  if (!(error instanceof StackError)) throw error;
  console.error(`demo: ${error.message}`);
  process.exit(1);
}
