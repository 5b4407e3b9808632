import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gateDecides, rejectionReason } from '../src/gate-decisions.ts';

test('a gate decision changes a version not decided yet or decided offline only; one that went online keeps its stage', () => {
  for (const stage of [undefined, 'rejected', 'candidate']) assert.equal(gateDecides('candidate', stage), true, `passed on ${stage}`);
  for (const stage of [undefined, 'rejected']) assert.equal(gateDecides('rejected', stage), true, `rejected on ${stage}`);
  assert.equal(gateDecides('rejected', 'candidate'), false, 'a rejection does not take a candidate out of its experiment');
  for (const stage of ['production', 'retired', 'rolled_back']) {
    assert.equal(gateDecides('candidate', stage), false, `passed on ${stage}`);
    assert.equal(gateDecides('rejected', stage), false, `rejected on ${stage}`);
  }
});

test('the rejection reason lists the failed rules with their details, cut to 5000 characters', () => {
  const rules = [
    { rule: 'offline_score_not_below_baseline', passed: true, detail: '0.72 >= 0.64' },
    { rule: 'constraint_respect_is_100_percent', passed: false, detail: ' 17 violations ' },
    { rule: 'latency_within_budget', passed: false, detail: '' },
  ];
  assert.equal(rejectionReason(rules), 'constraint_respect_is_100_percent: 17 violations; latency_within_budget');
  assert.equal(rejectionReason([]), 'no failed rule given');
  const long = rejectionReason([{ rule: 'r', passed: false, detail: 'x'.repeat(6000) }]);
  assert.equal(long.length, 5000);
  assert.ok(long.endsWith('x…'));
});
