import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DASHBOARDS_DIR, dashboardJson } from '../src/dashboard-files.ts';
import { dashboardQueries } from '../src/grafana-queries.ts';
import { parsePromql } from '../src/promql-selectors.ts';

const REGENERATE = 'run node packages/monitoring/src/generate-dashboards.ts and commit the result';

test('the committed dashboards are the ones the code builds, and no other', () => {
  const built = dashboardJson();
  const committed = readdirSync(DASHBOARDS_DIR).filter((file) => file.endsWith('.json'));
  assert.deepEqual(committed.sort(), Object.keys(built).sort(), `deploy/grafana/dashboards is stale: ${REGENERATE}`);
  for (const [file, dashboard] of Object.entries(built)) {
    // Compared as JSON values: the committed file is formatted by biome, the content is what counts.
    assert.deepEqual(JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')), dashboard, `${file} is stale: ${REGENERATE}`);
  }
});

test('every dashboard has its own uid, and every panel with data says what it shows and queries something', () => {
  const dashboards = Object.values(dashboardJson()) as {
    uid: string;
    panels: { type: string; title: string; description?: string; targets?: unknown[] }[];
  }[];
  assert.equal(new Set(dashboards.map((d) => d.uid)).size, dashboards.length);
  for (const panel of dashboards.flatMap((d) => d.panels).filter((p) => p.type !== 'row')) {
    assert.ok(panel.description, `panel "${panel.title}" has no description`);
    assert.ok((panel.targets ?? []).length > 0, `panel "${panel.title}" has no query`);
  }
});

test('every query of every dashboard is valid PromQL once Grafana filled its variables in, and reads some series', () => {
  for (const dashboard of Object.values(dashboardJson())) {
    for (const query of dashboardQueries(dashboard as Parameters<typeof dashboardQueries>[0])) {
      const parsed = parsePromql(query.expr);
      assert.deepEqual(parsed.errors, [], `${query.source}: ${query.expr}`);
      assert.ok(parsed.selectors.length > 0, `${query.source} reads no series: ${query.expr}`);
    }
  }
});
