import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';

// BIGINT (int8) columns hold offsets and counters well inside 2^53; read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface DatabaseOptions {
  maxConnections?: number;
  /** Told about connections the server dropped (a restart, a failover); the pool replaces them by itself. */
  onConnectionError?: (error: Error) => void;
}

/**
 * A kysely instance on a pg pool that survives the server going away. node-postgres
 * emits 'error' on a client whose connection drops while no query runs on it
 * ("terminating connection due to administrator command" on a restart); an
 * 'error' event nobody listens to ends the process. Every client therefore gets
 * a listener for its whole life, idle or checked out: the error then surfaces on
 * that client's next query, the pool discards the client, and later queries get
 * a fresh connection once the server is back.
 */
export function createDatabase<DB>(url: string, options: DatabaseOptions = {}): Kysely<DB> {
  const onError = options.onConnectionError ?? (() => undefined);
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10, connectionTimeoutMillis: 10_000 });
  pool.on('error', onError);
  pool.on('connect', (client) => client.on('error', onError));
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
