import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { registerScrapeTarget, scrapeTargetsDir } from '../src/scrape-targets.ts';
import { loadStackConfig } from '../src/stack-config.ts';

const scratch = mkdtempSync(join(tmpdir(), 'pl-scrape-targets-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const config = loadStackConfig({ PL_STACK_DIR: scratch });

const targets = () =>
  readdirSync(scrapeTargetsDir(config)).map((file) => JSON.parse(readFileSync(join(scrapeTargetsDir(config), file), 'utf8')));

test("a target is a file_sd file with the service's address, its service and its environment without the namespace's dot", () => {
  const unregister = registerScrapeTarget(config, { service: 'dataset-builder', address: 'http://127.0.0.1:40001', environment: 'e2e_x.' });
  assert.deepEqual(targets(), [[{ targets: ['127.0.0.1:40001'], labels: { service: 'dataset-builder', environment: 'e2e_x' } }]]);
  unregister();
  assert.deepEqual(targets(), []);
  unregister();
});

test('the same address registered again replaces its labels; no environment, no label', () => {
  const first = registerScrapeTarget(config, { service: 'replay-evaluator', address: 'http://127.0.0.1:40002', environment: '' });
  registerScrapeTarget(config, { service: 'replay-evaluator-worker', address: 'http://127.0.0.1:40002/', environment: '' });
  assert.deepEqual(targets(), [[{ targets: ['127.0.0.1:40002'], labels: { service: 'replay-evaluator-worker' } }]]);
  first();
  assert.deepEqual(targets(), []);
});
