import { createHash } from 'node:crypto';

/** What events of units served outside any experiment carry: ingestion requires both fields on every plan event. */
export const OUTSIDE_EXPERIMENTS = { experiment_id: 'none', variant_id: 'production' } as const;

/**
 * The event id of a unit's exposure to an experiment: the same for every
 * replica and every restart of every service that serves the unit, so each
 * idempotent consumer counts one exposure per unit per experiment however many
 * times it was sent. A UUID (RFC 9562 version 8, "custom") made of
 * sha256("exposure:<experiment_id>:<unit_id>")'s first 16 bytes with the
 * version and variant bits set.
 */
export function exposureEventId(experimentId: string, unitId: string): string {
  const bytes = createHash('sha256').update(`exposure:${experimentId}:${unitId}`, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
