import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dashboardQueries } from '../src/grafana-queries.ts';

const dashboard = {
  title: 'T',
  templating: {
    list: [
      { name: 'job', type: 'query', query: 'label_values(up{job!="prometheus"}, job)', allValue: '.+' },
      { name: 'experiment', type: 'query', query: 'label_values(planner_experiment_status, experiment_id)' },
    ],
  },
  annotations: {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${variable} form, not a template literal.
    list: [{ name: 'Changes', expr: 'x{experiment_id=~"${experiment}"} * 1000' }, { name: 'Built in' }],
  },
  panels: [
    {
      title: 'Row',
      type: 'row',
      panels: [{ title: 'Inside a collapsed row', targets: [{ expr: 'rate(a{job=~"$job"}[$__rate_interval])' }] }],
    },
    { title: 'Two', targets: [{ expr: 'b{job=~"[[job]]"}' }, { expr: 'c[$__range]' }] },
  ],
};

test("a dashboard's variables list their selector and label, and every query gets Grafana's values for All and the built-ins", () => {
  assert.deepEqual(dashboardQueries(dashboard), [
    { kind: 'variable', source: 'T, variable job', expr: 'up{job!="prometheus"}', label: 'job' },
    { kind: 'variable', source: 'T, variable experiment', expr: 'planner_experiment_status', label: 'experiment_id' },
    { kind: 'annotation', source: 'T, annotation "Changes"', expr: 'x{experiment_id=~".+"} * 1000' },
    { kind: 'panel', source: 'T, panel "Inside a collapsed row"', expr: 'rate(a{job=~".+"}[1m])' },
    { kind: 'panel', source: 'T, panel "Two"', expr: 'b{job=~".+"}' },
    { kind: 'panel', source: 'T, panel "Two"', expr: 'c[1h]' },
  ]);
});

test('a variable the dashboard does not define is an error, not a query Prometheus would refuse', () => {
  const broken = { title: 'B', panels: [{ title: 'P', targets: [{ expr: 'up{job=~"$stage"}' }] }] };
  assert.throws(() => dashboardQueries(broken), /B: \$stage in 'up\{job=~"\$stage"\}' is no variable of the dashboard/);
});
