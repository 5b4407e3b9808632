import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { uniqueName, useStack } from '../support/stack.ts';

const config = useStack('mlflow');
const base = config.mlflow.trackingUri.replace(/\/$/, '');

async function call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

interface RunInfo {
  run_id: string;
  experiment_id: string;
  artifact_uri: string;
  status: string;
}
interface Run {
  info: RunInfo;
  data: { params?: { key: string; value: string }[]; metrics?: { key: string; value: number }[]; tags?: { key: string; value: string }[] };
}

test('MLflow over REST: experiment, run, batched params/metrics/tags, and an artifact uploaded through the server', async () => {
  const { experiment_id } = await call<{ experiment_id: string }>('POST', '/api/2.0/mlflow/experiments/create', {
    name: uniqueName('smoke'),
  });
  const { run } = await call<{ run: Run }>('POST', '/api/2.0/mlflow/runs/create', {
    experiment_id,
    run_name: 'smoke',
    start_time: Date.now(),
    tags: [{ key: 'task', value: 'planner' }],
  });
  const runId = run.info.run_id;

  const now = Date.now();
  await call('POST', '/api/2.0/mlflow/runs/log-batch', {
    run_id: runId,
    params: [
      { key: 'learning_rate', value: '0.05' },
      { key: 'epochs', value: '3' },
    ],
    metrics: [0.9, 0.6, 0.4].map((value, step) => ({ key: 'training_loss', value, timestamp: now + step, step })),
    tags: [{ key: 'dataset_version', value: 'planner/2026-11-26' }],
  });

  const { run: stored } = await call<{ run: Run }>('GET', `/api/2.0/mlflow/runs/get?run_id=${runId}`);
  const params = Object.fromEntries((stored.data.params ?? []).map((p) => [p.key, p.value]));
  const tags = Object.fromEntries((stored.data.tags ?? []).map((t) => [t.key, t.value]));
  assert.deepEqual(params, { learning_rate: '0.05', epochs: '3' });
  assert.equal(tags.task, 'planner');
  assert.equal(tags.dataset_version, 'planner/2026-11-26');
  assert.equal(stored.data.metrics?.find((m) => m.key === 'training_loss')?.value, 0.4, 'the latest value is the last step');

  const history = await call<{ metrics: { value: number; step: number }[] }>(
    'GET',
    `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=training_loss`,
  );
  assert.deepEqual(
    history.metrics.map((m) => [m.step, m.value]),
    [
      [0, 0.9],
      [1, 0.6],
      [2, 0.4],
    ],
  );

  // The run's artifacts live behind the server (mlflow-artifacts:/...), so the client needs no storage credentials.
  assert.match(run.info.artifact_uri, /^mlflow-artifacts:\//);
  const artifactRoot = run.info.artifact_uri.replace(/^mlflow-artifacts:\/*/, '');
  const content = `{"vocabulary": ["tofu", "lentils"]}\n`;
  const put = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/${artifactRoot}/model/tokenizer.json`, {
    method: 'PUT',
    body: content,
  });
  assert.ok(put.ok, `artifact upload answered ${put.status}`);

  const listed = await call<{ files?: { path: string; is_dir: boolean; file_size?: number }[] }>(
    'GET',
    `/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=model`,
  );
  assert.deepEqual(
    listed.files?.map((f) => [f.path, f.file_size]),
    [['model/tokenizer.json', Buffer.byteLength(content)]],
  );

  const got = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/${artifactRoot}/model/tokenizer.json`);
  assert.equal(got.status, 200);
  assert.equal(await got.text(), content);

  await call('POST', '/api/2.0/mlflow/runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() });
  const { run: finished } = await call<{ run: Run }>('GET', `/api/2.0/mlflow/runs/get?run_id=${runId}`);
  assert.equal(finished.info.status, 'FINISHED');
});

test('MLflow refuses to change a param once written (params are immutable)', async () => {
  const { experiment_id } = await call<{ experiment_id: string }>('POST', '/api/2.0/mlflow/experiments/create', {
    name: uniqueName('smoke'),
  });
  const { run } = await call<{ run: Run }>('POST', '/api/2.0/mlflow/runs/create', { experiment_id, start_time: Date.now() });
  await call('POST', '/api/2.0/mlflow/runs/log-parameter', { run_id: run.info.run_id, key: 'epochs', value: '3' });
  const response = await fetch(`${base}/api/2.0/mlflow/runs/log-parameter`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ run_id: run.info.run_id, key: 'epochs', value: '4' }),
  });
  assert.equal(response.status, 400);
  assert.equal(((await response.json()) as { error_code: string }).error_code, 'INVALID_PARAMETER_VALUE');
});

test('MLflow keeps an idle keep-alive connection open longer than any client keeps it (no "other side closed" race)', async () => {
  const { hostname, port } = new URL(base);
  const socket = connect({ host: hostname, port: Number(port) });
  let closedAt: number | undefined;
  socket.on('close', () => {
    closedAt = Date.now();
  });
  const answered = (): Promise<string> =>
    new Promise((resolve, reject) => {
      let text = '';
      const onData = (chunk: Buffer) => {
        text += chunk.toString('latin1');
        // /health answers a tiny body; the response is complete once the body after the blank line arrived.
        const [head, body = ''] = text.split('\r\n\r\n');
        const length = Number(/content-length: (\d+)/i.exec(head ?? '')?.[1] ?? Number.NaN);
        if (body.length >= length) {
          socket.off('data', onData);
          resolve(head ?? '');
        }
      };
      socket.on('data', onData);
      socket.once('error', reject);
    });
  const request = `GET /health HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: keep-alive\r\n\r\n`;
  try {
    socket.write(request);
    assert.match(await answered(), /^HTTP\/1\.1 200/);
    // Idle past uvicorn's default (5 s) and undici's client default (4 s): the server must still hold the socket.
    const idleUntil = Date.now() + 6_500;
    await new Promise<void>((resolve) => setTimeout(resolve, idleUntil - Date.now()));
    assert.equal(closedAt, undefined, 'the server closed an idle keep-alive connection within 6.5 s');
    socket.write(request);
    assert.match(await answered(), /^HTTP\/1\.1 200/);
  } finally {
    socket.destroy();
  }
});
