import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '@planner/local-stack';
import { uniqueName, useStack } from '../support/stack.ts';

const config = useStack('s3');
const client = s3Client(config);
const prefix = `${uniqueName('smoke')}/`;

after(() => client.destroy());

test('@aws-sdk/client-s3 puts, lists, gets and deletes objects on the S3-compatible server', async () => {
  const Bucket = config.s3.bucket;
  const body = JSON.stringify({ rows: 3, fields: ['a', 'b'] });
  await client.send(new PutObjectCommand({ Bucket, Key: `${prefix}a/schema.json`, Body: body, ContentType: 'application/json' }));
  await client.send(new PutObjectCommand({ Bucket, Key: `${prefix}b/summary.md`, Body: '# Summary\n' }));

  const listed = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
  assert.deepEqual(listed.Contents?.map((o) => o.Key).sort(), [`${prefix}a/schema.json`, `${prefix}b/summary.md`]);

  const got = await client.send(new GetObjectCommand({ Bucket, Key: `${prefix}a/schema.json` }));
  assert.equal(await got.Body?.transformToString(), body);
  assert.equal(got.ContentLength, Buffer.byteLength(body));

  for (const object of listed.Contents ?? []) {
    await client.send(new DeleteObjectCommand({ Bucket, Key: object.Key }));
  }
  const after = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
  assert.equal(after.KeyCount, 0);
});

test('a request signed with the wrong secret is refused', async () => {
  const { S3Client } = await import('@aws-sdk/client-s3');
  const intruder = new S3Client({
    endpoint: config.s3.endpoint,
    region: config.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: config.s3.accessKeyId, secretAccessKey: 'not-the-secret' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  try {
    await assert.rejects(intruder.send(new ListObjectsV2Command({ Bucket: config.s3.bucket })), (error: Error) =>
      /SignatureDoesNotMatch|AccessDenied|Forbidden/.test(error.name),
    );
  } finally {
    intruder.destroy();
  }
});
