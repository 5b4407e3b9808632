import type { ActivePolicy } from '@planner/assignment';
import type { Kysely } from 'kysely';
import { etagOf, loadActivePolicy } from './active-policy.ts';
import type { GateTables } from './tables.ts';

export interface CachedPolicy {
  policy: ActivePolicy;
  etag: string;
}

/**
 * The active document of each known policy, read from the database at most
 * once per `ttlMs` per replica: an assignment costs a hash, not three queries.
 * A change (a new experiment, a ramp, a rollback) reaches callers within
 * `ttlMs`. Unknown policies are not remembered, so made-up ids cannot grow it.
 */
export class ActivePolicyCache {
  readonly #db: Kysely<GateTables>;
  readonly #ttlMs: number;
  readonly #entries = new Map<string, { expires: number; value: Promise<CachedPolicy | undefined> }>();

  constructor(db: Kysely<GateTables>, ttlMs: number) {
    this.#db = db;
    this.#ttlMs = ttlMs;
  }

  get(policyId: string): Promise<CachedPolicy | undefined> {
    const entry = this.#entries.get(policyId);
    if (entry && entry.expires > Date.now()) return entry.value;
    const value = loadActivePolicy(this.#db, policyId).then((policy) => (policy ? { policy, etag: etagOf(policy) } : undefined));
    this.#entries.set(policyId, { expires: Date.now() + this.#ttlMs, value });
    // A failed read or an unknown policy is not kept.
    value.then(
      (found) => {
        if (!found) this.#entries.delete(policyId);
      },
      () => this.#entries.delete(policyId),
    );
    return value;
  }
}
