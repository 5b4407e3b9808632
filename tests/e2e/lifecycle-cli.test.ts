/**
 * The project CLI on the real stack: `generate` publishes a synthetic world as
 * an upstream service would, `dataset request` asks for a version, and the
 * dataset-builder answers on dataset.ready.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { eventually } from '../../scripts/local-lifecycle/eventually.ts';
import { isolatedLifecycle } from '../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { clientBus, type RunningService, readTopic, startService } from '../../scripts/local-lifecycle/lifecycle-services.ts';
import { useStack } from '../support/stack.ts';

const stack = useStack('postgres', 'kafka', 'mlflow');
process.env.LOG_LEVEL ??= 'warn';
const folder = mkdtempSync(join(tmpdir(), 'pl-cli-'));
let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let service: RunningService;
let client: ReturnType<typeof clientBus>;

before(async () => {
  life = await isolatedLifecycle(stack, 'cli');
  client = clientBus(life.env, 'cli-test');
  service = await startService('dataset-builder', { ...life.env, OBJECT_STORE_URL: pathToFileURL(folder).href });
});

after(async () => {
  await service?.stop();
  await client?.transport.close();
  await life?.cleanup();
  rmSync(folder, { recursive: true, force: true });
});

function lifecycle(...args: string[]) {
  const result = spawnSync(join(stack.root, 'lifecycle'), args, {
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: life.databaseUrl, KAFKA_BROKERS: life.env.KAFKA_BROKERS, KAFKA_NAMESPACE: life.namespace },
    timeout: 120_000,
  });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

test('generate publishes a world, dataset request builds a version from it', async () => {
  const generated = lifecycle('generate', '--households', '40', '--weeks', '2', '--seed', '3');
  assert.equal(generated.status, 0, generated.err);
  const events = Number(/([\d,]+) events published to exp\.events/.exec(generated.out)?.[1]?.replaceAll(',', ''));
  assert.ok(events > 300, generated.out);

  const requested = lifecycle('dataset', 'request', '--model', 'planner', '--from', '2026-01-01T00:00:00Z', '--to', '2026-02-01T00:00:00Z');
  assert.equal(requested.status, 0, requested.err);
  const correlationId = /correlation id ([0-9a-f-]{36})/.exec(requested.out)?.[1];
  assert.ok(correlationId, requested.out);
  const built = await eventually(
    'the dataset-builder to build planner/2026-01-31',
    async () => {
      const response = await fetch(`${service.address}/v1/datasets/planner/2026-01-31`);
      const body = (await response.json()) as { status?: string; error?: string };
      if (body.status === 'failed') throw new Error(`the build failed: ${body.error}`);
      return body.status === 'ready' ? body : undefined;
    },
    90_000,
  );
  assert.equal(built.status, 'ready');
  const ready = await eventually(
    'dataset.ready for the CLI request',
    async () => (await readTopic(client.transport, 'dataset.ready')).find((m) => m.event.correlation_id === correlationId),
    90_000,
  );
  assert.equal(ready.event.dataset_version, 'planner/2026-01-31');
  assert.ok(ready.event.row_count > 50);
});

test('bad arguments stop with one line naming the flag', () => {
  const bad = lifecycle('generate', '--households', 'many');
  assert.equal(bad.status, 1);
  assert.equal(bad.err.trim(), "generate: --households must be a whole number from 1 to 10000000, got 'many'");
  const missing = lifecycle('dataset', 'request', '--model', 'planner');
  assert.equal(missing.status, 1);
  assert.match(missing.err, /^dataset request: --from and --to need ISO 8601 times/);
});
