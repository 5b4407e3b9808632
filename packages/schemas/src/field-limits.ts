/**
 * The longest value each kind of field may have wherever it enters the
 * system: HTTP request schemas use these as `maxLength`, and the bus refuses
 * (dead-letters) an event whose envelope exceeds them. Kafka refuses messages
 * over about 1 MB, so without limits one oversized value from a caller could
 * make an event that can never be sent (issue 17).
 */
export const FIELD_LIMITS = {
  /** Identifiers: event, correlation, household, plan, experiment, variant, policy-version, job, replay ids. */
  id: 128,
  /**
   * Names: models, recipes, policies, producers, topics. Short enough that ids
   * built from them stay ids: a dataset version (`model/YYYY-MM-DD`) and a
   * policy version (`policy:model:vN`) fit in `id`.
   */
  name: 50,
  /** Free text a caller may attach: reasons, notes. */
  text: 4000,
} as const;

/** Envelope fields every event carries, and the limit each must respect. */
export const ENVELOPE_LIMITS = {
  event_id: FIELD_LIMITS.id,
  correlation_id: FIELD_LIMITS.id,
  producer: FIELD_LIMITS.name,
} as const;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/;
const ENVELOPE_FIELDS = Object.entries(ENVELOPE_LIMITS);

/**
 * The envelope problems of an event, one line each (empty when it is fine):
 * a field missing, empty, longer than its limit or holding a control character.
 */
export function envelopeProblems(event: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const [field, max] of ENVELOPE_FIELDS) {
    const value = event[field];
    if (typeof value !== 'string' || value.length === 0) problems.push(`${field} is missing or empty`);
    else if (value.length > max) problems.push(`${field} has ${value.length} characters; at most ${max} are allowed`);
    // PostgreSQL text cannot hold NUL, and no id needs a control character.
    else if (CONTROL.test(value)) problems.push(`${field} contains a control character`);
  }
  return problems;
}
