/**
 * Writes the dashboards to deploy/grafana/dashboards, formatted as the
 * repository formats JSON (biome), so the committed files pass the lint.
 * Run it after changing a dashboard: `node packages/monitoring/src/generate-dashboards.ts`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARDS_DIR, dashboardJson, REPOSITORY_ROOT } from './dashboard-files.ts';

const dashboards = dashboardJson();
mkdirSync(DASHBOARDS_DIR, { recursive: true });
// A dashboard removed from the code leaves Grafana too.
for (const file of readdirSync(DASHBOARDS_DIR)) if (file.endsWith('.json') && !(file in dashboards)) rmSync(join(DASHBOARDS_DIR, file));
const files = Object.entries(dashboards).map(([file, dashboard]) => {
  const path = join(DASHBOARDS_DIR, file);
  writeFileSync(path, `${JSON.stringify(dashboard, null, 2)}\n`);
  return path;
});
const biome = join(REPOSITORY_ROOT, 'node_modules', '.bin', 'biome');
const formatted = spawnSync(biome, ['format', '--write', ...files], { cwd: REPOSITORY_ROOT, encoding: 'utf8' });
if (formatted.status !== 0) {
  console.error(formatted.stderr || formatted.stdout);
  process.exit(1);
}
console.log(`wrote ${files.length} dashboards to ${DASHBOARDS_DIR}`);
