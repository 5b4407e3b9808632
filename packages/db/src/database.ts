import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';

// BIGINT (int8) columns hold offsets and counters well inside 2^53; read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function createDatabase<DB>(url: string, options: { maxConnections?: number } = {}): Kysely<DB> {
  return new Kysely<DB>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10 }) }),
  });
}
