import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { BusMetrics } from '../src/bus-metrics.ts';

async function lastProcessed(registry: Registry): Promise<Map<string, number>> {
  const metric = await registry.getSingleMetric('planner_bus_last_processed_timestamp_seconds')?.get();
  return new Map(metric?.values.map((v) => [String(v.labels.topic), v.value]));
}

test("a topic's last success is stamped at the first scrape that sees its processed count grow, and only then", async () => {
  const registry = new Registry();
  const metrics = new BusMetrics(registry);
  assert.deepEqual(await lastProcessed(registry), new Map());

  metrics.consumed.inc({ topic: 'dataset.ready', outcome: 'processed' });
  metrics.consumed.inc({ topic: 'exp.events', outcome: 'dead_lettered' });
  metrics.consumed.inc({ topic: 'exp.events', outcome: 'duplicate' });
  const before = Date.now() / 1000;
  const first = await lastProcessed(registry);
  assert.deepEqual([...first.keys()], ['dataset.ready'], 'dead letters and duplicates are not successes');
  const stamped = first.get('dataset.ready') ?? 0;
  assert.ok(stamped >= before && stamped <= Date.now() / 1000);

  // Nothing new processed: the next scrape keeps the time.
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal((await lastProcessed(registry)).get('dataset.ready'), stamped);
  metrics.consumed.inc({ topic: 'dataset.ready', outcome: 'processed' });
  assert.ok(((await lastProcessed(registry)).get('dataset.ready') ?? 0) > stamped);
});
