import { readFileSync } from 'node:fs';
import { type ActivePolicy, parseActivePolicy } from '@planner/assignment';
import { TrafficError } from './traffic-error.ts';

/** An active policy document read once from a file: traffic without a gate (an A/A rehearsal, a fault drill). */
export class FileActivePolicy {
  readonly #file: string;
  #policy: ActivePolicy | undefined;

  constructor(file: string) {
    this.#file = file;
  }

  async start(_waitMs: number): Promise<ActivePolicy> {
    let text: string;
    try {
      text = readFileSync(this.#file, 'utf8');
    } catch (error) {
      throw new TrafficError('TRAFFIC_FLAG_INVALID', `--active-policy ${this.#file} cannot be read: ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      this.#policy = parseActivePolicy(JSON.parse(text));
    } catch (error) {
      throw new TrafficError('TRAFFIC_FLAG_INVALID', `--active-policy ${this.#file}: ${(error as Error).message}`, { cause: error });
    }
    return this.#policy;
  }

  current(): ActivePolicy {
    if (this.#policy === undefined) throw new Error('FileActivePolicy.current() before start()');
    return this.#policy;
  }

  stop(): void {}
}
