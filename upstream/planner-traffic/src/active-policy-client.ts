import { type ActivePolicy, parseActivePolicy } from '@planner/assignment';
import { TrafficError } from './traffic-error.ts';

export interface ActivePolicyClientOptions {
  gateUrl: string;
  policyId: string;
  refreshMs: number;
  /** Told when a refresh fails; the last document stays in use. */
  onRefreshError: (error: Error) => void;
  /** Told when the document changed (a new experiment, a ramp, a rollback, a promotion). */
  onChange?: (policy: ActivePolicy) => void;
}

/**
 * The promotion-gate's active policy document, kept current with one
 * conditional GET per refresh (304 while nothing changed), so each plan
 * request assigns in-process and calls nothing. While the gate is away the
 * last document keeps serving: assignments stay sticky through a gate outage.
 */
export class ActivePolicyClient {
  readonly #options: ActivePolicyClientOptions;
  #policy: ActivePolicy | undefined;
  #etag: string | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ActivePolicyClientOptions) {
    this.#options = options;
  }

  /** Reads the document once (retrying for `waitMs` while the gate cannot answer), then keeps it fresh. */
  async start(waitMs: number): Promise<ActivePolicy> {
    const deadline = Date.now() + waitMs;
    for (let delay = 250; ; delay = Math.min(delay * 2, 2000)) {
      try {
        await this.refresh();
        break;
      } catch (error) {
        if (!(error instanceof TrafficError && error.retryable) || Date.now() + delay > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    const tick = () => {
      this.#timer = setTimeout(async () => {
        await this.refresh().catch((error: Error) => this.#options.onRefreshError(error));
        tick();
      }, this.#options.refreshMs);
      this.#timer.unref();
    };
    tick();
    return this.current();
  }

  current(): ActivePolicy {
    if (this.#policy === undefined) throw new Error('ActivePolicyClient.current() before start()');
    return this.#policy;
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  async refresh(): Promise<void> {
    const url = `${this.#options.gateUrl}/v1/experiments/active?policy_id=${encodeURIComponent(this.#options.policyId)}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: this.#etag === undefined ? {} : { 'if-none-match': this.#etag },
        signal: AbortSignal.timeout(5000),
      });
    } catch (error) {
      throw new TrafficError('TRAFFIC_GATE_UNAVAILABLE', `GET ${url} failed: ${(error as Error).message}`, {
        cause: error,
        retryable: true,
      });
    }
    if (response.status === 304) return;
    const body = await response.text();
    if (response.status === 404 || (response.status >= 400 && response.status < 500)) {
      // The gate answered and refused: an unknown policy will not appear by waiting.
      throw new TrafficError('TRAFFIC_GATE_UNAVAILABLE', `GET ${url} answered ${response.status}: ${body}`);
    }
    if (response.status !== 200) {
      throw new TrafficError('TRAFFIC_GATE_UNAVAILABLE', `GET ${url} answered ${response.status}: ${body}`, { retryable: true });
    }
    const policy = parseActivePolicy(JSON.parse(body));
    const changed = this.#policy !== undefined;
    this.#policy = policy;
    this.#etag = response.headers.get('etag') ?? undefined;
    if (changed) this.#options.onChange?.(policy);
  }
}
