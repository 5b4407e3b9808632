import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

export interface ServiceProcess {
  name: string;
  /** http://host:port, from the service's "listening on" line. */
  address: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<string>;
}

/**
 * Starts one service's main.ts in a process of its own, as it runs in
 * production, with its output appended to `<logDir>/<name>.log`; resolves once
 * it listens. A process that exits first fails with the end of its log.
 */
export async function startServiceProcess(
  root: string,
  name: string,
  env: Record<string, string>,
  logDir: string,
  extraEnv: Record<string, string> = {},
): Promise<ServiceProcess> {
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [join(root, 'services', name, 'src', 'main.ts')], {
    env: { ...process.env, ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))));
  let tail = '';
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 90 s:\n${tail}`)), 90_000);
    const onOutput = (chunk: Buffer) => {
      log.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
      const listening = / listening on (\S+)/.exec(tail);
      if (listening?.[1]) {
        clearTimeout(timer);
        resolve(listening[1]);
      }
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${how}) before listening:\n${tail}`));
    });
  });
  return { name, address, child, exited };
}
