import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { BUCKETS, bucketOf, HASH_VERSION } from '../src/bucket.ts';

// Hash version 1: SHA-256 of "1:<salt>:<unit>", its first 8 bytes big-endian, mod 10,000. The vectors were computed
// with Python's hashlib from that definition alone (the next test does it again on every run).
const GOLDEN: [unit: string, salt: string, bucket: number][] = [
  ['hh-000001', 'experiment-5919952ac8c6951a', 2118],
  ['hh-000002', 'experiment-5919952ac8c6951a', 9998],
  ['hh-123456', 'salt', 1027],
  ['ü-unicode', 's', 8546],
  ['hh-000001', 'other-salt', 7687],
];

test('hash version 1 gives the golden buckets', () => {
  assert.equal(HASH_VERSION, 1);
  for (const [unit, salt, bucket] of GOLDEN) assert.equal(bucketOf(unit, salt), bucket, `${unit} in ${salt}`);
});

test('another language reproduces the buckets from the documented definition alone (Python hashlib)', () => {
  const program = [
    'import hashlib, json, sys',
    'for unit, salt, _ in json.load(sys.stdin):',
    "    d = hashlib.sha256(f'1:{salt}:{unit}'.encode('utf-8')).digest()",
    "    print(int.from_bytes(d[:8], 'big') % 10000)",
  ].join('\n');
  const run = spawnSync(process.env.PL_PYTHON ?? 'python3', ['-c', program], { input: JSON.stringify(GOLDEN), encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(
    run.stdout.trim().split('\n').map(Number),
    GOLDEN.map(([, , bucket]) => bucket),
  );
});

test('buckets spread evenly: 100,000 units over 10 deciles within sampling error', () => {
  const deciles = new Array<number>(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const bucket = bucketOf(`hh-${i}`, 'spread');
    deciles[Math.floor(bucket / (BUCKETS / 10))] = (deciles[Math.floor(bucket / (BUCKETS / 10))] ?? 0) + 1;
  }
  // Chi-square with 9 degrees of freedom; 27.88 is its 0.999 quantile.
  const chi2 = deciles.reduce((sum, n) => sum + (n - 10_000) ** 2 / 10_000, 0);
  assert.ok(chi2 < 27.88, `chi-square ${chi2.toFixed(2)} over deciles ${deciles.join(', ')}`);
});

test('an unknown hash version is refused, not silently hashed another way', () => {
  assert.throws(() => bucketOf('hh-1', 'salt', 2), /hash version 2 is not known/);
});
