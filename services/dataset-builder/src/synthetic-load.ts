import type { SyntheticRecord } from '@planner/domain';
import type { PlanEvent } from '@planner/schemas';
import pg from 'pg';
import { CopyWriter } from './copy-writer.ts';
import { ingestionProblems } from './handlers/exp-events.ts';

const TABLES = {
  recipes: {
    table: 'product.recipes',
    key: 'recipe_id',
    columns: ['recipe_id', 'title', 'cuisine', 'ingredients', 'allergens', 'diet_tags', 'prep_minutes', 'cost_per_serving', 'meal_slots'],
  },
  households: { table: 'product.households', key: 'household_id', columns: ['household_id', 'region', 'size', 'segment', 'created_at'] },
  constraints: {
    table: 'product.household_constraints',
    key: 'household_id, valid_from',
    columns: ['household_id', 'valid_from', 'allergies', 'diet', 'weekly_budget_usd', 'max_prep_minutes', 'excluded_ingredients'],
  },
  pantries: { table: 'product.pantry_snapshots', key: 'household_id, taken_at', columns: ['household_id', 'taken_at', 'items'] },
  events: {
    table: 'exp.events',
    key: 'event_id',
    columns: [
      'event_id',
      'event_type',
      'occurred_at',
      'household_id',
      'plan_id',
      'workflow_type',
      'mode',
      'experiment_id',
      'variant_id',
      'policy_version_id',
      'plan',
      'edits',
      'latency_ms',
      'cost_usd',
      'correlation_id',
      'producer',
      'hash_version',
      'fallback_reason',
    ],
  },
} as const;

type Part = keyof typeof TABLES;

export interface LoadCounts {
  recipes: number;
  households: number;
  pantries: number;
  /** Events written to PostgreSQL or published. */
  events: number;
  /** Events left out of a PostgreSQL load because they lack required metadata (ingestion would dead-letter them). */
  rejected: number;
}

export interface LoadOptions {
  databaseUrl: string;
  /** Publish events instead of copying them: the upstream path, through Kafka and the dataset-builder's ingestion. */
  publish?: (events: PlanEvent[]) => Promise<void>;
  /** Events per publish call. */
  publishBatch?: number;
  onProgress?: (counts: LoadCounts) => void;
}

/**
 * Loads a synthetic world: the product's domain tables always go to
 * PostgreSQL with COPY (as the product's own database would hold them);
 * events either go to Kafka through `publish` or straight into exp.events with
 * COPY for scale. Each table streams into a temporary table on its own
 * connection (one COPY at a time per connection); at the end they are merged
 * in dependency order with `on conflict do nothing`, so loading the same seed
 * twice adds nothing.
 */
export async function loadSyntheticWorld(records: Iterable<SyntheticRecord>, options: LoadOptions): Promise<LoadCounts> {
  const counts: LoadCounts = { recipes: 0, households: 0, pantries: 0, events: 0, rejected: 0 };
  const writers = new Map<Part, { client: pg.Client; copy: CopyWriter }>();
  const writer = async (part: Part): Promise<CopyWriter> => {
    let found = writers.get(part);
    if (!found) {
      const client = new pg.Client({ connectionString: options.databaseUrl });
      await client.connect();
      const { table, columns } = TABLES[part];
      await client.query(`create temp table load_${part} (like ${table} including defaults)`);
      found = { client, copy: CopyWriter.open(client, `load_${part}`, columns) };
      writers.set(part, found);
    }
    return found.copy;
  };
  let pending: PlanEvent[] = [];
  const flush = async () => {
    if (pending.length === 0 || !options.publish) return;
    await options.publish(pending);
    counts.events += pending.length;
    pending = [];
    options.onProgress?.(counts);
  };

  try {
    for (const record of records) {
      switch (record.type) {
        case 'recipe': {
          const r = record.recipe;
          await (await writer('recipes')).write([
            r.recipe_id,
            r.title,
            r.cuisine,
            r.ingredients,
            r.allergens,
            r.diet_tags,
            r.prep_minutes,
            r.cost_per_serving,
            r.meal_slots,
          ]);
          counts.recipes++;
          break;
        }
        case 'household': {
          const { household: h, constraints: c } = record;
          await (await writer('households')).write([h.household_id, h.region, h.size, h.segment, new Date(h.created_at)]);
          await (await writer('constraints')).write([
            c.household_id,
            new Date(h.created_at),
            c.allergies,
            c.diet,
            c.weekly_budget_usd,
            c.max_prep_minutes,
            c.excluded_ingredients,
          ]);
          counts.households++;
          break;
        }
        case 'pantry_snapshot': {
          const p = record.pantry;
          await (await writer('pantries')).write([p.household_id, new Date(p.taken_at), JSON.stringify(p.items)]);
          counts.pantries++;
          break;
        }
        case 'event': {
          const e = record.event;
          if (options.publish) {
            pending.push(e);
            if (pending.length >= (options.publishBatch ?? 500)) await flush();
            break;
          }
          if (ingestionProblems(e).length > 0) {
            counts.rejected++;
            break;
          }
          await (await writer('events')).write([
            e.event_id,
            e.event_type,
            new Date(e.occurred_at),
            e.household_id,
            e.plan_id,
            e.workflow_type,
            e.mode,
            e.experiment_id,
            e.variant_id,
            e.policy_version_id,
            e.plan === null ? null : JSON.stringify(e.plan),
            JSON.stringify(e.edits),
            e.latency_ms,
            e.cost_usd,
            e.correlation_id,
            e.producer,
            e.hash_version,
            e.fallback_reason,
          ]);
          counts.events++;
          if (counts.events % 100_000 === 0) options.onProgress?.(counts);
          break;
        }
        case 'input_context':
          break;
      }
    }
    await flush();
    for (const part of Object.keys(TABLES) as Part[]) {
      const found = writers.get(part);
      if (!found) continue;
      await found.copy.end();
      const { table, key, columns } = TABLES[part];
      const list = columns.join(', ');
      await found.client.query(`insert into ${table} (${list}) select ${list} from load_${part} on conflict (${key}) do nothing`);
    }
    options.onProgress?.(counts);
    return counts;
  } finally {
    // Temporary tables go with their connections.
    await Promise.all([...writers.values()].map(({ client }) => client.end().catch(() => undefined)));
  }
}
