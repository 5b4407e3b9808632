import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';

/**
 * The upstream facts the gate keeps for lineage, each learned from an event it
 * consumes (services share data only through events and HTTP): what was asked
 * of the dataset-builder, what it built, what the trainer ran, what the
 * registry registered, what the replay-evaluator measured.
 */
export type LineageFactKind = 'dataset_requested' | 'dataset_ready' | 'training_completed' | 'model_registered' | 'replay_completed';

export const LINEAGE_FACT_KINDS: readonly LineageFactKind[] = [
  'dataset_requested',
  'dataset_ready',
  'training_completed',
  'model_registered',
  'replay_completed',
];

export interface LineageTables {
  /** One fact per (kind, key): the event as it arrived, the first one kept. */
  'exp.lineage_facts': {
    kind: LineageFactKind;
    /** dataset_requested, dataset_ready: the dataset version; training_completed: the MLflow run; model_registered: the policy version; replay_completed: the replay. */
    key: string;
    payload: ColumnType<Record<string, unknown>, string, string>;
    /** When it happened upstream: the event's occurred_at. */
    occurred_at: Date;
    /** When the gate learned it. */
    recorded_at: Generated<Date>;
  };
}

/** Migration '0004-lineage': the facts table, and the lookup of a version's replays. */
export async function createLineageFacts(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table exp.lineage_facts (
      kind text not null check (kind in (${sql.join(LINEAGE_FACT_KINDS.map((k) => sql.lit(k)))})),
      key text not null,
      payload jsonb not null,
      occurred_at timestamptz not null,
      recorded_at timestamptz not null default now(),
      primary key (kind, key)
    )`.execute(db);
  await sql`
    create index lineage_replays_by_candidate on exp.lineage_facts ((payload -> 'candidate' ->> 'policy_version_id'))
    where kind = 'replay_completed'`.execute(db);
}

/**
 * Records one fact, idempotently: the first fact of a (kind, key) wins, so a
 * redelivered or re-announced event changes nothing. Any database whose
 * tables include LineageTables (the gate's, inside a handler's transaction).
 */
export async function recordFact<DB extends LineageTables>(
  db: Kysely<DB> | Transaction<DB>,
  kind: LineageFactKind,
  key: string,
  payload: object,
  occurredAt: Date,
): Promise<void> {
  await (db as unknown as Kysely<LineageTables>)
    .insertInto('exp.lineage_facts')
    .values({ kind, key, payload: JSON.stringify(payload), occurred_at: occurredAt })
    .onConflict((oc) => oc.columns(['kind', 'key']).doNothing())
    .execute();
}
