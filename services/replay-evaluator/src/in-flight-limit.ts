/**
 * At most `limit` calls running at once, across everything that shares the
 * limit; the rest wait their turn in arrival order. A replay worker shares one
 * across all the shards it holds, so the policy runtime sees a steady number
 * of requests however the shards' partitions happen to be assigned.
 */
export class InFlightLimit {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`an in-flight limit must be a positive integer, got ${limit}`);
    this.#limit = limit;
  }

  get running(): number {
    return this.#running;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    try {
      return await work();
    } finally {
      // The slot passes straight to the next waiter, so a newcomer cannot overtake it.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
