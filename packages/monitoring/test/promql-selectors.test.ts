import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePromql } from '../src/promql-selectors.ts';

test('the selectors an expression reads, wherever they sit: functions, aggregations, both sides of operators, offsets, subqueries', () => {
  const parsed = parsePromql(
    'sum by (job) (rate(a_total{x="1", y=~"p|q"}[5m])) / on (job) group_left b unless c offset 10m or max_over_time(d[1h:1m]) > bool 3 and label_replace(vector(1), "job", "j", "", "")',
  );
  assert.deepEqual(parsed, { errors: [], selectors: ['a_total{x="1", y=~"p|q"}', 'b', 'c', 'd'] });
});

test('label names in by/on clauses and string arguments are not selectors; a selector read twice is listed once', () => {
  assert.deepEqual(parsePromql('max by (job, topic) (m{job="a"}) - min without (instance) (m{job="a"})').selectors, ['m{job="a"}']);
});

test('invalid PromQL reports where it breaks', () => {
  const parsed = parsePromql('sum(rate(x[5m])');
  assert.ok(parsed.errors.length > 0);
  assert.match(parsed.errors[0] ?? '', /^syntax error at offset \d+/);
  assert.ok(parsePromql('rate(x[$__rate_interval])').errors.length > 0, 'an unfilled Grafana variable is not PromQL');
});
