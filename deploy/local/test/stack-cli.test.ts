import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const CLI = join(import.meta.dirname, '..', 'src', 'cli.ts');
const scratch = mkdtempSync(join(tmpdir(), 'pl-stack-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// A scratch stack of our own: local servers only, whatever the suite itself runs against.
const EXTERNAL = ['KAFKA_BROKERS', 'DATABASE_URL', 'MLFLOW_TRACKING_URI', 'S3_ENDPOINT'];
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !EXTERNAL.includes(key)));

function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...baseEnv, PL_STACK_DIR: join(scratch, 'stack'), ...env },
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.trim() };
}

test('an occupied port stops start-up with one line naming the port and the variable', async () => {
  const squatter = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => squatter.once('listening', resolve));
  const port = (squatter.address() as { port: number }).port;
  try {
    const result = cli(['up', 's3'], { PL_S3_PORT: String(port) });
    assert.equal(result.status, 1);
    assert.equal(result.stderr.split('\n').length, 1, `one line, got: ${result.stderr}`);
    assert.match(result.stderr, new RegExp(`port ${port} is already in use.*PL_S3_PORT`));
  } finally {
    squatter.close();
  }
});

test('a missing prerequisite is named in one line', () => {
  const result = cli(['up', 'kafka'], { JAVA_HOME: join(scratch, 'no-such-jdk') });
  assert.equal(result.status, 1);
  assert.equal(result.stderr.split('\n').length, 1, `one line, got: ${result.stderr}`);
  assert.match(result.stderr, /Kafka needs Java 17\+, but '.*no-such-jdk\/bin\/java' was not found/);
});

test('an invalid variable is named in one line', () => {
  const result = cli(['status'], { PL_MLFLOW_PORT: 'http' });
  assert.equal(result.status, 1);
  assert.equal(result.stderr, "stack: PL_MLFLOW_PORT must be a TCP port (1-65535), got 'http'");
});

test('status reports a server that is not running and exits non-zero', () => {
  const result = cli(['status'], { PL_S3_PORT: '1', PL_KAFKA_PORT: '2', PL_POSTGRES_PORT: '3', PL_MLFLOW_PORT: '4' });
  assert.equal(result.status, 3);
  assert.match(result.stdout, /s3\s+down\s+http:\/\/127\.0\.0\.1:1 .*local, not running/);
});

test('up is idempotent and down stops only the processes this stack started', () => {
  // A second S3 server in its own stack folder, beside whatever stack the suite runs on.
  const env = { PL_S3_PORT: '19701' };
  const first = cli(['up', 's3'], env);
  assert.equal(first.status, 0, first.stderr);
  const pidFile = join(scratch, 'stack', 'run', 's3.pid');
  const pid = Number(readFileSync(pidFile, 'utf8'));

  const second = cli(['up', 's3'], env);
  assert.equal(second.status, 0, second.stderr);
  assert.equal(Number(readFileSync(pidFile, 'utf8')), pid, 'the second up reuses the running server');
  assert.match(second.stdout, new RegExp(`s3\\s+ready .*pid ${pid}`));

  const down = cli(['down'], env);
  assert.equal(down.stdout.trim(), 'stopped: s3');
  assert.throws(() => process.kill(pid, 0), 'the server is gone');
  assert.equal(cli(['down'], env).stdout.trim(), 'nothing was running');
});

test('prometheus is a component to name, not one that status reports down when nobody started it', () => {
  const result = cli(['status'], {
    PL_S3_PORT: '1',
    PL_KAFKA_PORT: '2',
    PL_POSTGRES_PORT: '3',
    PL_MLFLOW_PORT: '4',
    PL_PROMETHEUS_PORT: '5',
  });
  assert.doesNotMatch(result.stdout, /prometheus/);
  assert.match(cli(['up', 'grafana']).stderr, /unknown component 'grafana' \(known: postgres, kafka, mlflow, s3, prometheus\)/);
});
