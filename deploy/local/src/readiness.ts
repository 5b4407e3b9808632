import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from './stack-error.ts';

/** Fails with a one-line explanation when something else already listens on the port. */
export async function assertPortFree(port: number, owner: string, variable: string): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (!free) {
    throw new StackError(
      'PORT_IN_USE',
      `${owner} cannot start: port ${port} is already in use by another process (choose another with ${variable}=<port>, or stop that process)`,
    );
  }
}

export async function httpOk(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.status < 500;
  } catch {
    return false;
  }
}

/**
 * Polls until `check` holds. `stillRunning` lets a crashed server fail fast
 * instead of waiting out the whole timeout.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; logFile: string; stillRunning?: () => boolean },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (options.stillRunning && !options.stillRunning()) {
      throw new StackError('START_FAILED', `${what} exited during start-up; see ${options.logFile}`);
    }
    await sleep(250);
  }
  throw new StackError('NOT_READY', `${what} was not ready after ${Math.round(options.timeoutMs / 1000)} s; see ${options.logFile}`);
}
