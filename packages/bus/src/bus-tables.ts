import type { Generated } from 'kysely';
import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/** The bus's own tables: the transactional outbox and the processed-event inbox. */
export interface BusTables {
  'exp.outbox': {
    id: Generated<number>;
    producer: string;
    topic: string;
    message_key: string | null;
    /** Null: the key's partition (murmur2), as any other client would pick. */
    partition: number | null;
    payload: Buffer;
    headers: Record<string, string>;
    created_at: Generated<Date>;
  };
  /** Outbox messages the broker refused for good, kept with the reason for a person to look at. */
  'exp.outbox_parked': {
    id: number;
    producer: string;
    topic: string;
    message_key: string | null;
    partition: number | null;
    payload: Buffer;
    headers: Record<string, string>;
    created_at: Date;
    parked_at: Generated<Date>;
    error_code: string;
    error_message: string;
  };
  'exp.processed_events': {
    consumer_group: string;
    event_id: string;
    topic: string;
    partition: number;
    offset: number;
    processed_at: Generated<Date>;
  };
}

export const busMigrations: Record<string, Migration> = {
  '0001-outbox-and-inbox': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table exp.outbox (
          id bigserial primary key,
          producer text not null,
          topic text not null,
          message_key text,
          payload bytea not null,
          headers jsonb not null,
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index outbox_by_producer on exp.outbox (producer, id)`.execute(db);
      await sql`
        create table exp.processed_events (
          consumer_group text not null,
          event_id text not null,
          topic text not null,
          partition integer not null,
          "offset" bigint not null,
          processed_at timestamptz not null default now(),
          primary key (consumer_group, event_id)
        )`.execute(db);
    },
  },
  '0002-inbox-by-time': {
    async up(db: Kysely<unknown>) {
      // Rows arrive in time order: a BRIN index finds old ones for pruning at almost no insert cost.
      await sql`create index processed_events_by_time on exp.processed_events using brin (processed_at)`.execute(db);
    },
  },
  '0003-outbox-parking': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table exp.outbox_parked (
          id bigint primary key,
          producer text not null,
          topic text not null,
          message_key text,
          payload bytea not null,
          headers jsonb not null,
          created_at timestamptz not null,
          parked_at timestamptz not null default now(),
          error_code text not null,
          error_message text not null
        )`.execute(db);
    },
  },
  '0004-outbox-partition': {
    async up(db: Kysely<unknown>) {
      // A producer that spreads work evenly (replay shards) names the partition instead of leaving it to the key's hash.
      await sql`alter table exp.outbox add column if not exists partition integer`.execute(db);
      await sql`alter table exp.outbox_parked add column if not exists partition integer`.execute(db);
    },
  },
};
