/**
 * The optional Prometheus on a scratch stack folder and port of its own:
 * started from Debian's package, it scrapes a target as soon as one is
 * registered, drops it once unregistered, loads the repository's alert
 * rules, and stops by pid.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { registerScrapeTarget } from '../src/scrape-targets.ts';
import { stackDown, stackStatus, stackUp } from '../src/stack.ts';
import { loadStackConfig } from '../src/stack-config.ts';

const scratch = mkdtempSync(join(tmpdir(), 'pl-prometheus-'));
const exporter = createServer((_request, response) => {
  response.setHeader('content-type', 'text/plain; version=0.0.4');
  response.end('# TYPE scrape_test_value gauge\nscrape_test_value 42\n');
});
let config: ReturnType<typeof loadStackConfig>;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const response = await fetch(`${config.prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as { status: string; data: { result: [] } };
  assert.equal(body.status, 'success');
  return body.data.result;
}

/** Polls until `check` holds, for at most `ms`. */
async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what} within ${ms / 1000} s`);
    await sleep(250);
  }
}

before(async () => {
  exporter.listen(0, '127.0.0.1');
  await new Promise((resolve) => exporter.once('listening', resolve));
  config = loadStackConfig({
    ...process.env,
    PROMETHEUS_URL: '',
    PL_STACK_DIR: join(scratch, 'stack'),
    PL_PROMETHEUS_PORT: String(await freePort()),
    PL_PROMETHEUS_SCRAPE_INTERVAL_SECONDS: '1',
  });
  await stackUp(config, ['prometheus']);
});

after(async () => {
  await stackDown(config, ['prometheus']);
  exporter.close();
  rmSync(scratch, { recursive: true, force: true });
});

test('a registered target is scraped with its service and environment; unregistered, it is dropped', async () => {
  const { port } = exporter.address() as { port: number };
  const unregister = registerScrapeTarget(config, { service: 'scrape-test', address: `http://127.0.0.1:${port}`, environment: 'env_a.' });
  await until(
    'the target scraped',
    async () => (await query('scrape_test_value{job="planner",service="scrape-test",environment="env_a"}')).length === 1,
  );
  const [up] = await query('up{service="scrape-test"}');
  assert.equal(up?.value[1], '1');
  assert.equal(up?.metric.instance, `127.0.0.1:${port}`);

  unregister();
  await until('the target dropped', async () => {
    const response = await fetch(`${config.prometheus.url}/api/v1/targets`);
    const body = (await response.json()) as { data: { activeTargets: { labels: Record<string, string> }[] } };
    return !body.data.activeTargets.some((t) => t.labels.service === 'scrape-test');
  });
});

test("the repository's alert rules are loaded and evaluate without error", async () => {
  await until('every rule evaluated once', async () => {
    const response = await fetch(`${config.prometheus.url}/api/v1/rules`);
    const body = (await response.json()) as { data: { groups: { rules: { health: string }[] }[] } };
    const rules = body.data.groups.flatMap((g) => g.rules);
    return rules.length > 0 && rules.every((r) => r.health === 'ok');
  });
});

test('status reports the optional server once it runs, and up is idempotent', async () => {
  const [before] = await stackStatus(config, ['prometheus']);
  assert.equal(before?.ready, true);
  assert.ok(
    (await stackStatus(config)).some((s) => s.name === 'prometheus'),
    'a running optional server is listed by default',
  );
  await stackUp(config, ['prometheus']);
  const [again] = await stackStatus(config, ['prometheus']);
  assert.equal(again?.pid, before?.pid);
});
