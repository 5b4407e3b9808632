import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * Runs `./lifecycle traffic` as a process of its own, as an upstream service
 * runs (never in this process: the services under test live here and must keep
 * answering it), and resolves with its output once it has served every request.
 */
export function runTraffic(args: string[], env: Record<string, string | undefined>): Promise<string> {
  const main = join(import.meta.dirname, '..', '..', 'upstream', 'planner-traffic', 'src', 'main.ts');
  const child = spawn(process.execPath, [main, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`traffic exited with ${code}:\n${out}\n${err}`))));
  });
}
