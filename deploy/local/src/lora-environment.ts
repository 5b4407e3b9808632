import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requirePython } from './prerequisites.ts';
import type { StackConfig } from './stack-config.ts';
import { StackError } from './stack-error.ts';

/** The lock file of the LoRA trainer's CPU environment: the whole environment, installed with --no-deps. */
export function loraLockFile(config: StackConfig): string {
  return join(config.root, 'services', 'trainer-dispatcher', 'trainers', 'requirements-lora-cpu.txt');
}

/**
 * The Python of the LoRA trainer's CPU environment (torch, transformers, peft,
 * mlflow-skinny), installing it first when it is missing. It lives outside the
 * checkout, named by its lock file's hash, so every checkout with the same lock
 * shares it and a changed lock gets a new one. A fresh machine downloads about
 * 2.6 GB from PyPI and needs about 5 GB of disk; `onInstall` hears when that starts.
 */
export function loraPython(config: StackConfig, onInstall?: (venv: string) => void): string {
  const lock = loraLockFile(config);
  const hash = createHash('sha256').update(readFileSync(lock)).digest('hex').slice(0, 12);
  const venv = join(config.cacheDir, `lora-cpu-${hash}`);
  const python = join(venv, 'bin', 'python');
  if (existsSync(join(venv, '.installed'))) return python;

  onInstall?.(venv);
  const python3 = requirePython(10, 'The LoRA trainer test');
  mkdirSync(config.stackDir, { recursive: true });
  const installLog = join(config.stackDir, 'lora-install.log');
  // Built beside its final place and renamed: an interrupted install never looks finished, and two installs at
  // once cannot mix (a virtualenv's bin/python finds its pyvenv.cfg relative to itself, so the rename is safe).
  const staging = `${venv}.tmp-${process.pid}`;
  const log = openSync(installLog, 'a');
  try {
    const steps: [string, string[]][] = [
      [python3, ['-m', 'venv', '--clear', staging]],
      [join(staging, 'bin', 'python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', '--no-deps', '-r', lock]],
    ];
    for (const [command, args] of steps) {
      const result = spawnSync(command, args, { stdio: ['ignore', log, log] });
      if (result.status !== 0) {
        rmSync(staging, { recursive: true, force: true });
        throw new StackError('START_FAILED', `installing the LoRA trainer environment (${lock}) failed; see ${installLog}`);
      }
    }
  } finally {
    closeSync(log);
  }
  writeFileSync(join(staging, '.installed'), `${hash}\n`);
  try {
    renameSync(staging, venv);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // Another process finished the same install first: use its copy.
    if (!existsSync(join(venv, '.installed'))) throw error;
  }
  return python;
}
