/**
 * Dataset build throughput and peak memory, ours against two named peers on the
 * same database in the same run.
 *
 *   ./lifecycle bench dataset [--sizes 100000] [--seed 7]
 *
 * 1,000,000 is worth running where memory allows: the DuckDB peer's peak grows
 * with the size (3.5 GB at 100,000) and passed 21 GB at 1,000,000, where the
 * kernel killed it on a 24 GB machine. Ours stays under 1 GB at both.
 *
 * For each size, a database of its own is filled with a synthetic world of
 * about that many accepted plans (COPY; ~0.95 accepted plans per household
 * per week, 10 weeks), then:
 * - ours: the dataset-builder's build (cursor over the extraction query,
 *   input-context codec and validation per row, training.parquet and
 *   recipes.parquet, schema, summary, digest) in a child process;
 * - peer: Python with psycopg2 (server-side cursor) and pyarrow 25 running the
 *   same query and writing the joined records to Parquet — without the codec,
 *   so it does less work per row than ours;
 * - DuckDB peer: DuckDB reading the same tables through its postgres extension,
 *   the same extraction with ASOF JOINs, the input context (JSON) and the
 *   prompt built in SQL, zstd Parquet. Its row count must equal ours, and on a
 *   sample of 200 rows its plain and joined fields must equal ours (the
 *   identical prompts are counted).
 * Each reports rows per second and its process's peak resident memory.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDatabase, migrate } from '@planner/db';
import { DEFAULT_WORLD_START_MS, generateSyntheticWorld } from '@planner/domain';
import { assertStackReachable, loadStackConfig, toolsPython } from '@planner/local-stack';
import pg from 'pg';
import { ACCEPTED_PLANS_SQL } from '../services/dataset-builder/src/accepted-plans-query.ts';
import { loadSyntheticWorld } from '../services/dataset-builder/src/synthetic-load.ts';
import { datasetBuilderMigrations } from '../services/dataset-builder/src/tables.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100000' }, seed: { type: 'string', default: '7' } } });
const sizes = values.sizes.split(',').map(Number);
const WEEKS = 10;
const ACCEPTED_PER_SESSION = 0.95;

const config = loadStackConfig();
await assertStackReachable(config, ['postgres']);
const python = toolsPython(config);

interface Build {
  rows: number;
  seconds: number;
  peakRssMb: number;
}

/** Runs a child that prints one JSON line last and returns that line. */
function run<T = Build>(command: string, args: string[]): T {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args[0]} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) as string);
}

const rate = (build: Build) => build.rows / build.seconds;
const figures = (build: Build) =>
  `${rate(build).toFixed(0).padStart(6)} rows/s, ${build.seconds.toFixed(1)} s, peak ${build.peakRssMb.toFixed(0)} MB`;

interface Comparison {
  sampled: number;
  mismatches: { row_id: string; field: string; ours: unknown; peer: unknown }[];
  identicalPrompts: number;
}

const results: string[] = [];
for (const size of sizes) {
  const name = `bench_dataset_${size}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: config.postgres.url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(config.postgres.url);
  url.pathname = `/${name}`;
  const scratch = mkdtempSync(join(tmpdir(), 'pl-bench-dataset-'));
  try {
    const db = createDatabase(url.href);
    await migrate(db, 'dataset-builder', datasetBuilderMigrations);
    await db.destroy();
    const households = Math.ceil(size / (WEEKS * ACCEPTED_PER_SESSION));
    const loadStarted = performance.now();
    const loaded = await loadSyntheticWorld(
      generateSyntheticWorld({ seed: Number(values.seed), households, weeks: WEEKS, startMs: DEFAULT_WORLD_START_MS }),
      { databaseUrl: url.href },
    );
    const check = new pg.Client({ connectionString: url.href });
    await check.connect();
    // Vacuumed as well as analysed: the first reader of freshly loaded rows would otherwise pay for setting their
    // hint bits, and that would be whichever build runs first.
    await check.query('vacuum analyze');
    await check.end();
    console.log(
      `${size.toLocaleString('en-US')}: loaded ${households.toLocaleString('en-US')} households, ${loaded.events.toLocaleString('en-US')} events in ${((performance.now() - loadStarted) / 1000).toFixed(0)} s`,
    );
    const oursDir = mkdtempSync(join(scratch, 'ours-'));
    const ours = run(process.execPath, [join(import.meta.dirname, 'dataset-build', 'build-ours.ts'), url.href, oursDir]);
    const sqlFile = join(scratch, 'query.sql');
    writeFileSync(sqlFile, ACCEPTED_PLANS_SQL.replaceAll('$1', '%(start)s').replaceAll('$2', '%(end)s'));
    const peer = run(python, [
      join(import.meta.dirname, 'dataset-build', 'build_peer.py'),
      url.href,
      sqlFile,
      join(scratch, 'peer.parquet'),
    ]);
    const duckdbFile = join(scratch, 'duckdb.parquet');
    const duckdb = run(python, [join(import.meta.dirname, 'dataset-build', 'build_duckdb_peer.py'), url.href, duckdbFile]);
    const line =
      `${ours.rows.toLocaleString('en-US').padStart(9)} accepted plans | ours ${figures(ours)}` +
      ` | peer (psycopg2 + pyarrow) ${figures(peer)} | ratio ours/peer ${(rate(ours) / rate(peer)).toFixed(2)}` +
      ` | DuckDB ${figures(duckdb)} | ratio ours/duckdb ${(rate(ours) / rate(duckdb)).toFixed(2)}`;
    if (peer.rows !== ours.rows) throw new Error(`row counts differ: ours ${ours.rows}, peer ${peer.rows}`);
    if (duckdb.rows !== ours.rows) throw new Error(`row counts differ: ours ${ours.rows}, DuckDB peer ${duckdb.rows}`);
    const compared = run<Comparison>(python, [
      join(import.meta.dirname, 'dataset-build', 'compare_peer_rows.py'),
      join(oursDir, 'training.parquet'),
      duckdbFile,
      '200',
    ]);
    if (compared.mismatches.length > 0) {
      const shown = compared.mismatches
        .slice(0, 5)
        .map(
          (m) => `  ${m.row_id} ${m.field}: ours ${JSON.stringify(m.ours)?.slice(0, 300)}, DuckDB ${JSON.stringify(m.peer)?.slice(0, 300)}`,
        );
      throw new Error(
        `the DuckDB peer differs from ours in ${compared.mismatches.length} fields of ${compared.sampled} sampled rows:\n${shown.join('\n')}`,
      );
    }
    console.log(line);
    console.log(
      `  DuckDB peer against ours on ${compared.sampled} sampled rows: joined fields equal; ${compared.identicalPrompts} identical prompts`,
    );
    results.push(line);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
console.log(`\ndataset build, same database and run:\n${results.join('\n')}`);
