import { CodedError } from '@planner/errors';
import { type Kysely, sql } from 'kysely';
import { type Migration, Migrator } from 'kysely/migration';

/** Schema of the experimentation tables (seed guide: exp.events, exp.policy_versions, ...). */
export const EXP_SCHEMA = 'exp';

export class MigrationError extends CodedError<'MIGRATION_FAILED'> {}

/**
 * Applies a component's migrations in name order, recording them in
 * `exp.<component>_migrations`, so several components can share one database
 * without sharing a migration history. Safe to call from every replica at
 * start-up: kysely takes a lock while it migrates.
 */
export async function migrate<DB>(db: Kysely<DB>, component: string, migrations: Record<string, Migration>): Promise<void> {
  await sql`create schema if not exists ${sql.id(EXP_SCHEMA)}`.execute(db);
  const migrator = new Migrator({
    db: db as unknown as Kysely<unknown>,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: EXP_SCHEMA,
    migrationTableName: `${component}_migrations`,
    migrationLockTableName: `${component}_migrations_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError('MIGRATION_FAILED', `${component} migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
}
