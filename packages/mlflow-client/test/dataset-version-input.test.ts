import assert from 'node:assert/strict';
import { test } from 'node:test';
import { datasetVersionInput } from '../src/dataset-version-input.ts';

const digest = 'a'.repeat(30) + 'b'.repeat(34);

test("a dataset version's input: named after the version, its digest cut to 36, the whole digest in a tag beside it", () => {
  assert.deepEqual(
    datasetVersionInput({
      version: 'planner/2026-11-26',
      digest,
      uri: 's3://bucket/datasets/planner/2026-11-26/training.parquet',
      context: 'training',
    }),
    {
      name: 'planner/2026-11-26',
      digest: `${'a'.repeat(30)}bbbbbb`,
      sourceType: 's3',
      source: '{"uri":"s3://bucket/datasets/planner/2026-11-26/training.parquet"}',
      context: 'training',
      tags: { dataset_digest: digest },
    },
  );
});

test('the source type is the URI scheme; a file or a bare path is local', () => {
  const typeOf = (uri: string) => datasetVersionInput({ version: 'v', digest, uri, context: 'training' }).sourceType;
  assert.equal(typeOf('file:///data/planner/training.parquet'), 'local');
  assert.equal(typeOf('/data/planner/training.parquet'), 'local');
  assert.equal(typeOf('S3://bucket/key'), 's3');
  assert.equal(typeOf('gs://bucket/key'), 'gs');
});

test('schema and profile go in when given', () => {
  const input = datasetVersionInput({
    version: 'v',
    digest,
    uri: 's3://b/k',
    context: 'evaluation',
    schema: '{"s":1}',
    profile: '{"p":2}',
  });
  assert.equal(input.schema, '{"s":1}');
  assert.equal(input.profile, '{"p":2}');
});
