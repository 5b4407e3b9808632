import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DIGEST_SHELL_COMMAND, datasetDigest } from '../src/dataset-digest.ts';

test('the documented shell recipe recomputes the dataset digest, and the summary file does not enter it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-'));
  const contents = {
    'training.parquet': 'rows',
    'recipes.parquet': 'catalogue',
    'schema.json': '{}\n',
    'dataset_summary.md': '# quotes the digest',
  };
  for (const [name, body] of Object.entries(contents)) writeFileSync(join(dir, name), body);
  const files = Object.keys(contents).map((name) => ({ name, path: join(dir, name) }));
  const digest = await datasetDigest(files);
  assert.equal(digest, execFileSync('bash', ['-c', `${DIGEST_SHELL_COMMAND} | cut -d' ' -f1`], { cwd: dir, encoding: 'utf8' }).trim());
  writeFileSync(join(dir, 'dataset_summary.md'), 'another summary');
  assert.equal(await datasetDigest(files), digest);
  writeFileSync(join(dir, 'schema.json'), '{"changed":true}\n');
  assert.notEqual(await datasetDigest(files), digest);
});
