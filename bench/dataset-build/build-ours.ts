/**
 * One timed dataset build with the dataset-builder's code, in its own process
 * so its peak memory is its own. Prints one JSON line.
 * Usage: node build-ours.ts <database url> <scratch folder>
 */
import { createDatabase } from '@planner/db';
import { writeDatasetFiles } from '../../services/dataset-builder/src/dataset-files.ts';
import type { DatasetBuilderTables } from '../../services/dataset-builder/src/tables.ts';

const [databaseUrl, scratch] = process.argv.slice(2) as [string, string];
const db = createDatabase<DatasetBuilderTables>(databaseUrl);
const started = performance.now();
const built = await writeDatasetFiles(
  databaseUrl,
  db,
  { datasetVersion: 'bench/2026-01-01', windowStart: new Date(0), windowEnd: new Date('2100-01-01'), splitSeed: 42 },
  scratch,
);
const seconds = (performance.now() - started) / 1000;
await db.destroy();
console.log(JSON.stringify({ rows: built.profile.rows, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
