import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface TrafficProcess {
  /** Resolves with the output once the process has served every request (or stopped), rejects if it failed. */
  done: Promise<string>;
  /** Asks it to stop after the requests in flight (SIGINT, as Ctrl-C); `done` then resolves. */
  stop(): void;
}

/**
 * Starts `./lifecycle traffic` as a process of its own, as an upstream service
 * runs (never in this process: the services under test live here and must keep
 * answering it).
 */
export function startTraffic(args: string[], env: Record<string, string | undefined>): TrafficProcess {
  const main = join(import.meta.dirname, '..', '..', 'upstream', 'planner-traffic', 'src', 'main.ts');
  const child = spawn(process.execPath, [main, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk));
  const done = new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`traffic exited with ${code}:\n${out}\n${err}`))));
  });
  return { done, stop: () => child.kill('SIGINT') };
}

/** Runs `./lifecycle traffic` until it has served every request; resolves with its output. */
export function runTraffic(args: string[], env: Record<string, string | undefined>): Promise<string> {
  return startTraffic(args, env).done;
}
