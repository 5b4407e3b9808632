/**
 * `./lifecycle generate`: a deterministic synthetic world for the planner.
 * The product's domain tables always go to PostgreSQL (COPY); events go to
 * Kafka's exp.events as an upstream service would publish them (default), or
 * straight into exp.events with COPY for scale (`--to postgres`).
 */
import { parseArgs } from 'node:util';
import { EventBus, KafkajsTransport } from '@planner/bus';
import { createDatabase, migrate } from '@planner/db';
import { DEFAULT_WORLD_START_MS, generateSyntheticWorld } from '@planner/domain';
import { loadStackConfig } from '@planner/local-stack';
import { SchemaRegistry } from '@planner/schemas';
import { loadSyntheticWorld } from '../services/dataset-builder/src/synthetic-load.ts';
import { datasetBuilderMigrations } from '../services/dataset-builder/src/tables.ts';

const USAGE = `usage: lifecycle generate [--to kafka|postgres] [--households <n>] [--weeks <n>] [--seed <n>] [--missing-metadata-rate <0..1>]
  Writes the recipe catalogue, households, constraints and pantry snapshots to PostgreSQL and
  the plan events to Kafka (exp.events) or, with --to postgres, straight into exp.events.
  About 4.7 events per household per week: 21,300 households x 10 weeks is one million events.
  Servers come from DATABASE_URL, KAFKA_BROKERS and KAFKA_NAMESPACE (default: the local stack).`;

function positive(value: string, flag: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${flag} must be a whole number from 1 to ${max}, got '${value}'`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      to: { type: 'string', default: 'kafka' },
      households: { type: 'string', default: '2000' },
      weeks: { type: 'string', default: '8' },
      seed: { type: 'string', default: '7' },
      'missing-metadata-rate': { type: 'string', default: '0' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.to !== 'kafka' && values.to !== 'postgres') throw new Error(`--to must be kafka or postgres, got '${values.to}'`);
  const rate = Number(values['missing-metadata-rate']);
  if (!(rate >= 0 && rate <= 1)) throw new Error(`--missing-metadata-rate must be from 0 to 1, got '${values['missing-metadata-rate']}'`);
  const options = {
    seed: positive(values.seed, '--seed'),
    households: positive(values.households, '--households', 10_000_000),
    weeks: positive(values.weeks, '--weeks', 520),
    startMs: DEFAULT_WORLD_START_MS,
    missingMetadataRate: rate,
  };

  // The local stack's servers unless DATABASE_URL / KAFKA_BROKERS name others.
  const stack = loadStackConfig();
  const namespace = process.env.KAFKA_NAMESPACE ?? '';
  const db = createDatabase(stack.postgres.url);
  // The tables belong to the dataset-builder; its own migrations create them.
  await migrate(db, 'dataset-builder', datasetBuilderMigrations);
  await db.destroy();

  const transport =
    values.to === 'kafka'
      ? new KafkajsTransport({
          brokers: stack.kafka.brokers,
          clientId: 'synthetic-generator',
          namespace,
        })
      : undefined;
  const bus = transport && new EventBus({ transport, registry: SchemaRegistry.load(), producer: 'synthetic-generator' });
  const started = performance.now();
  let lastPrint = 0;
  try {
    const counts = await loadSyntheticWorld(generateSyntheticWorld({ ...options, correlationId: `synthetic-${options.seed}` }), {
      databaseUrl: stack.postgres.url,
      ...(bus ? { publish: (events) => bus.publishMany('exp.events', events, (e) => e.household_id) } : {}),
      onProgress: (c) => {
        if (performance.now() - lastPrint < 2000) return;
        lastPrint = performance.now();
        process.stderr.write(
          `  ${c.events.toLocaleString('en-US')} events so far (${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
        );
      },
    });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `generated seed ${options.seed}: ${counts.recipes} recipes, ${counts.households} households, ${counts.pantries} pantry snapshots, ` +
        `${counts.events.toLocaleString('en-US')} events ${values.to === 'kafka' ? 'published to exp.events' : 'copied into exp.events'}` +
        `${counts.rejected > 0 ? ` (${counts.rejected} without required metadata left out)` : ''} in ${seconds.toFixed(1)} s`,
    );
  } finally {
    await transport?.close();
  }
}

try {
  await main();
  process.exit(0);
} catch (error) {
  console.error(`generate: ${(error as Error).message}`);
  process.exit(1);
}
