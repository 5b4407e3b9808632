import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseTrafficOptions } from '../src/traffic-options.ts';

const gate = ['--gate', 'http://127.0.0.1:8080/'];

test('the defaults, and every flag read as its type', () => {
  assert.deepEqual(parseTrafficOptions(gate, {}), {
    gateUrl: 'http://127.0.0.1:8080',
    activePolicyFile: null,
    policyId: 'planner',
    households: 1000,
    weeks: 1,
    rps: 50,
    durationSeconds: 0,
    seed: 7,
    policyTimeoutMs: 2000,
    usdPerComputeHour: 0.72,
    refreshMs: 1000,
    dropTreatmentEvents: 0,
    degradeTreatment: 0,
  });
  const options = parseTrafficOptions(
    ['--households', '20000', '--weeks', '3', '--rps', '0', '--duration', '60', '--seed', '11', '--usd-per-compute-hour', '2.5'],
    { PROMOTION_GATE_URL: 'https://gate.internal' },
  );
  assert.equal(options?.gateUrl, 'https://gate.internal');
  assert.deepEqual([options?.households, options?.weeks, options?.rps, options?.durationSeconds, options?.seed], [20000, 3, 0, 60, 11]);
  assert.equal(options?.usdPerComputeHour, 2.5);
  assert.equal(parseTrafficOptions(['--help'], {}), undefined);
  const rehearsal = parseTrafficOptions(['--active-policy', 'doc.json', '--drop-treatment-events', '0.05'], {
    PROMOTION_GATE_URL: 'http://gate',
  });
  assert.deepEqual([rehearsal?.gateUrl, rehearsal?.activePolicyFile, rehearsal?.dropTreatmentEvents], [null, 'doc.json', 0.05]);
});

test('an invalid flag is refused, naming the flag and what it takes', () => {
  const refused = (args: string[], message: RegExp, env = {}) =>
    assert.throws(
      () => parseTrafficOptions(args, env),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'TRAFFIC_FLAG_INVALID');
        assert.match(error.message, message);
        return true;
      },
    );
  refused([], /^--gate is required \(or set PROMOTION_GATE_URL, or give --active-policy\)/);
  refused([...gate, '--active-policy', 'doc.json'], /^--active-policy and --gate exclude each other/);
  refused([...gate, '--drop-treatment-events', '1.5'], /^--drop-treatment-events must be a share from 0 to 1, got '1.5'/);
  refused([...gate, '--degrade-treatment', 'half'], /^--degrade-treatment must be a share from 0 to 1, got 'half'/);
  refused(['--gate', 'gate:8080'], /^--gate must be an http\(s\) URL, got 'gate:8080'/);
  refused([...gate, '--households', '0'], /^--households must be a whole number from 1 to 1000000, got '0'/);
  refused([...gate, '--weeks', '1.5'], /^--weeks must be a whole number from 1 to 520, got '1.5'/);
  refused([...gate, '--rps=-3'], /^--rps must be a whole number from 0 to 100000, got '-3'/);
  refused([...gate, '--duration', 'soon'], /^--duration must be a whole number/);
  refused([...gate, '--policy-timeout-ms', '0'], /^--policy-timeout-ms must be a whole number from 1/);
  refused([...gate, '--usd-per-compute-hour', 'free'], /^--usd-per-compute-hour must be a number ≥ 0, got 'free'/);
  refused([...gate, '--policy-id', 'p'.repeat(51)], /^--policy-id must be 1 to 50 characters/);
  refused([...gate, '--rsp', '10'], /Unknown option '--rsp'/);
  refused([...gate, '--rps'], /--rps/);
});

test('the command exits 1 with the flag named before touching any server', () => {
  const run = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'src', 'main.ts'), ...gate, '--households', 'many'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.status, 1);
  assert.equal(run.stderr.trim(), "traffic: TRAFFIC_FLAG_INVALID: --households must be a whole number from 1 to 1000000, got 'many'");
});
