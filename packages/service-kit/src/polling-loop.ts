import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from './service-runtime.ts';

export interface PollingLoopOptions {
  /** One round of work; true when it did something (the loop then goes again at once). */
  step: () => Promise<boolean>;
  /** Pause after a round that found nothing to do, or failed. */
  idleMs: number;
  /**
   * Count the pause from the start of the round instead of its end, so rounds
   * begin every `idleMs` however long each takes (a schedule, not a breather).
   */
  fixedRate?: boolean;
  onError: (error: unknown) => void;
}

/**
 * The loop behind a service's background workers (dataset builds, training
 * jobs, registry polling): run `step` until stopped, pause when idle, keep
 * going after an error, and wake from the pause at once when stopped.
 */
export class PollingLoop implements Worker {
  readonly #options: PollingLoopOptions;
  #loop: Promise<void> | undefined;
  #wake: AbortController | undefined;
  #stopping = false;
  #woken = false;

  constructor(options: PollingLoopOptions) {
    this.#options = options;
  }

  /** True once stop() was called: long steps check it to wind down. */
  get stopping(): boolean {
    return this.#stopping;
  }

  start(): void {
    this.#stopping = false;
    this.#loop ??= this.#run();
  }

  /** Ends the current pause now, or skips the next one if a round is running: work arrived that should not wait. */
  wake(): void {
    this.#woken = true;
    this.#wake?.abort();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.abort();
    await this.#loop;
    this.#loop = undefined;
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      let busy = false;
      this.#woken = false;
      const roundStarted = performance.now();
      try {
        busy = await this.#options.step();
      } catch (error) {
        this.#options.onError(error);
      }
      if (busy || this.#woken || this.#stopping) continue;
      this.#wake = new AbortController();
      const pause = this.#options.fixedRate ? Math.max(0, this.#options.idleMs - (performance.now() - roundStarted)) : this.#options.idleMs;
      await sleep(pause, undefined, { signal: this.#wake.signal }).catch(() => undefined);
    }
  }
}
