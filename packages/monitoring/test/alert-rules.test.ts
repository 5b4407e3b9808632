import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { loadStackConfig, prometheusBinaries } from '@planner/local-stack';
import { alertRuleQueries, alertRules, RULES_DIR } from '../src/alert-rule-queries.ts';
import { REPOSITORY_ROOT } from '../src/dashboard-files.ts';
import { parsePromql } from '../src/promql-selectors.ts';

const TESTS_DIR = join(REPOSITORY_ROOT, 'deploy', 'prometheus', 'tests');
let promtool: string;
before(async () => {
  ({ promtool } = await prometheusBinaries(loadStackConfig()));
});

function run(args: string[]) {
  const result = spawnSync(promtool, args, { cwd: REPOSITORY_ROOT, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test('promtool accepts the rule files', () => {
  const files = readdirSync(RULES_DIR).map((file) => join(RULES_DIR, file));
  const checked = run(['check', 'rules', ...files]);
  assert.equal(checked.status, 0, checked.output);
});

test('promtool test rules: every alert fires on the history it is about and stays quiet on its look-alike', () => {
  const files = readdirSync(TESTS_DIR).map((file) => join(TESTS_DIR, file));
  const tested = run(['test', 'rules', ...files]);
  assert.equal(tested.status, 0, tested.output);
  const cases = files.map((file) => readFileSync(file, 'utf8')).join('\n');
  for (const rule of alertRules().filter((r) => r.alert)) {
    assert.match(cases, new RegExp(`alertname: ${rule.alert}\\n\\s+exp_alerts:\\n\\s+- `), `no test case where ${rule.alert} fires`);
  }
});

test('every alert names its runbook, a section of docs/operations.md that exists', () => {
  const headings = readFileSync(join(REPOSITORY_ROOT, 'docs', 'operations.md'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('#'))
    // GitHub's anchors: lower case, spaces to dashes, other punctuation dropped.
    .map((line) =>
      line
        .replace(/^#+\s*/, '')
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replaceAll(' ', '-'),
    );
  for (const rule of alertRules().filter((r) => r.alert)) {
    const runbook = rule.annotations?.runbook ?? '';
    assert.match(runbook, /^docs\/operations\.md#/, `${rule.alert} has no runbook annotation`);
    assert.ok(headings.includes(runbook.split('#')[1] ?? ''), `${rule.alert}: ${runbook} is no heading of docs/operations.md`);
  }
});

test('every rule reads at least one series, so the end-to-end check can prove its metrics exist', () => {
  for (const query of alertRuleQueries().filter((q) => q.kind === 'alert')) {
    assert.ok(parsePromql(query.expr).selectors.length > 0, query.source);
  }
});
