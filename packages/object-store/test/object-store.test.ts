import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { loadStackConfig } from '@planner/local-stack';
import type { ObjectStore } from '../src/object-store.ts';
import { openObjectStore } from '../src/open-object-store.ts';

const scratch = mkdtempSync(join(tmpdir(), 'pl-object-store-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const stack = loadStackConfig();
const s3Env = {
  S3_ENDPOINT: stack.s3.endpoint,
  AWS_ACCESS_KEY_ID: stack.s3.accessKeyId,
  AWS_SECRET_ACCESS_KEY: stack.s3.secretAccessKey,
  AWS_REGION: stack.s3.region,
};
const run = Date.now().toString(36);

const stores: Record<string, () => ObjectStore> = {
  folder: () => openObjectStore(pathToFileURL(join(scratch, 'store')).href),
  s3: () => openObjectStore(`s3://${stack.s3.bucket}/object-store-test-${run}`, s3Env),
};

for (const [kind, open] of Object.entries(stores)) {
  describe(`${kind} store`, () => {
    test('puts, lists, reads and sizes objects; a missing key is reported, not invented', async () => {
      const store = open();
      const local = join(scratch, `${kind}-big.bin`);
      const big = Buffer.alloc(3 * 1024 * 1024, 7);
      writeFileSync(local, big);
      await store.putFile('datasets/planner/2026-11-26/training.parquet', local, 'application/vnd.apache.parquet');
      await store.put('datasets/planner/2026-11-26/schema.json', '{"a":1}', 'application/json');
      await store.put('datasets/other/x.txt', 'x');

      assert.deepEqual(await store.list('datasets/planner/'), [
        'datasets/planner/2026-11-26/schema.json',
        'datasets/planner/2026-11-26/training.parquet',
      ]);
      assert.equal(await store.size('datasets/planner/2026-11-26/training.parquet'), big.length);
      assert.equal(await store.size('datasets/planner/nothing-here'), undefined);
      assert.deepEqual(await store.get('datasets/planner/2026-11-26/training.parquet'), big);
      assert.equal((await store.get('datasets/planner/2026-11-26/schema.json')).toString(), '{"a":1}');
      await assert.rejects(store.get('datasets/planner/missing.json'), { code: 'OBJECT_NOT_FOUND' });
      assert.match(
        store.uri('datasets/a.txt'),
        kind === 's3' ? /^s3:\/\/planner-lifecycle\/object-store-test-\w+\/datasets\/a\.txt$/ : /^file:\/\//,
      );
    });

    test('refuses keys that would leave the store', async () => {
      const store = open();
      await assert.rejects(store.put('../escape.txt', 'x'), { code: 'OBJECT_KEY_INVALID' });
      await assert.rejects(store.put('/abs.txt', 'x'), { code: 'OBJECT_KEY_INVALID' });
    });
  });
}

test('an invalid OBJECT_STORE_URL or missing S3 credentials name the variable', () => {
  assert.throws(() => openObjectStore('ftp://x'), /OBJECT_STORE_URL must be file:\/\/\/<folder> or s3:\/\/<bucket>/);
  assert.throws(() => openObjectStore('s3://bucket', {}), /AWS_ACCESS_KEY_ID is required when OBJECT_STORE_URL is an s3:\/\/ URL/);
});
