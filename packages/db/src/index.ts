export { createDatabase } from './database.ts';
export { EXP_SCHEMA, MigrationError, migrate } from './migrate.ts';
