/**
 * One trace from the request to dataset.ready, on the real stack: the build
 * runs in a loop after the request's handler, and continues the request's
 * trace from the row (issue point 5).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { eventually } from '../../../scripts/local-lifecycle/eventually.ts';
import { clientBus, publishSyntheticWorld, readTopic } from '../../../scripts/local-lifecycle/lifecycle-services.ts';
import { serviceUnderTest } from '../../../tests/support/service-under-test.ts';

const folder = mkdtempSync(join(tmpdir(), 'pl-dataset-trace-'));
const service = serviceUnderTest('dataset-builder', 'dataset_trace', { OBJECT_STORE_URL: pathToFileURL(folder).href });
let client: ReturnType<typeof clientBus>;

after(async () => {
  await client?.transport.close();
  rmSync(folder, { recursive: true, force: true });
});

const traceOf = (headers: Record<string, string>) => headers.traceparent?.split('-')[1];

/** Requests a version over the world's weeks; the answer's correlation id. */
async function request(datasetDate: string, headers: Record<string, string> = {}): Promise<string> {
  const window = { window_start: '2026-01-01T00:00:00Z', window_end: '2026-02-01T00:00:00Z' };
  const response = await service.call('/v1/datasets', { body: { model_name: 'planner', dataset_date: datasetDate, ...window }, headers });
  assert.equal(response.status, 202, JSON.stringify(response.body));
  return response.body.correlation_id as string;
}

/** The traces of a run's dataset.requested and dataset.ready, once dataset.ready is on its topic. */
async function traces(correlationId: string) {
  const ready = await eventually(
    `dataset.ready for ${correlationId}`,
    async () => (await readTopic(client.transport, 'dataset.ready')).find((m) => m.event.correlation_id === correlationId),
    90_000,
  );
  const requested = (await readTopic(client.transport, 'dataset.requested')).find((m) => m.event.correlation_id === correlationId);
  assert.ok(requested, 'dataset.requested of the run');
  return { requested: traceOf(requested.headers), ready: traceOf(ready.headers) };
}

// Inside a suite: root-level hooks run side by side, and this one needs the service started.
describe('traces through the dataset-builder', () => {
  before(async () => {
    client = clientBus(service.env(), 'dataset-trace-test');
    const loaded = await publishSyntheticWorld(service.env(), client.bus, { seed: 5, households: 40, weeks: 2 });
    await eventually('the events ingested', async () => ((await service.rows('exp.events')) >= loaded.events ? true : undefined), 60_000);
  });

  test("a caller's traceparent is continued by dataset.requested and, after the build, by dataset.ready", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const correlationId = await request('2026-01-31', { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    assert.deepEqual(await traces(correlationId), { requested: traceId, ready: traceId });
  });

  test('a request without a traceparent starts one trace, which its build continues', async () => {
    const { requested, ready } = await traces(await request('2026-01-30'));
    assert.match(String(requested), /^[0-9a-f]{32}$/);
    assert.equal(ready, requested);
  });

  test('a version already built is announced again in the trace of the request that asked again', async () => {
    const traceId = 'a3ce929d0e0e47364bf92f3577b34da6';
    const correlationId = await request('2026-01-31', { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    assert.deepEqual(await traces(correlationId), { requested: traceId, ready: traceId });
  });
});
