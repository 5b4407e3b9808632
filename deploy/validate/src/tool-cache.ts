import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DeployValidateError } from './deploy-validate-error.ts';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** The machine's cache shared by every checkout, as ./lifecycle sets it (PL_CACHE_DIR). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PL_CACHE_DIR || join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'planner-lifecycle');
}

/** A short digest of files' contents: a cached tool is rebuilt when what pins it changes. */
export function contentKey(files: string[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(readFileSync(file));
  return hash.digest('hex').slice(0, 12);
}

/**
 * Returns `<cache>/<name>/<executable>`, running `install(folder)` first when it is missing. The install
 * writes into a temporary folder that is renamed into place only when it succeeded, so an interrupted
 * install is never taken for a finished one, and later calls only check that the file exists.
 */
export function cachedTool(name: string, executable: string, install: (folder: string) => void): string {
  const folder = join(cacheDir(), name);
  const path = join(folder, executable);
  if (existsSync(path)) return path;
  const partial = `${folder}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(dirname(folder), { recursive: true });
  try {
    install(partial);
    if (!existsSync(join(partial, executable))) {
      throw new DeployValidateError('TOOL_INSTALL_FAILED', `installing ${name} left no ${executable}`);
    }
    rmSync(folder, { recursive: true, force: true });
    renameSync(partial, folder);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return path;
}

/** Runs an install step; a failure throws with the command's output, which says what went wrong. */
export function runInstallStep(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) {
    throw new DeployValidateError('PREREQUISITE_MISSING', `could not run ${command}: ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new DeployValidateError('TOOL_INSTALL_FAILED', `${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  }
}

/** Fails with a message naming the prerequisite when `command --version`-style probing does not answer. */
export function requireCommand(command: string, args: string[], forWhat: string, hint: string): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new DeployValidateError('PREREQUISITE_MISSING', `${forWhat} needs '${command}', which did not answer (${hint})`);
  }
}
