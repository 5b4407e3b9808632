import { AssignmentError } from './assignment-error.ts';

/** Longest unit id accepted, as every id in the system (FIELD_LIMITS.id). */
export const MAX_UNIT_ID_LENGTH = 128;
/** Visible ASCII without spaces: what household ids look like (`hh-000042`), and nothing a log or URL would mangle. */
const UNIT_ID = /^[\x21-\x7e]+$/;

/** The unit id, checked: 1 to 128 visible ASCII characters. */
export function parseUnitId(raw: string): string {
  if (raw.length === 0 || raw.length > MAX_UNIT_ID_LENGTH || !UNIT_ID.test(raw)) {
    throw new AssignmentError(
      'UNIT_ID_INVALID',
      `unit id must be 1 to ${MAX_UNIT_ID_LENGTH} visible ASCII characters without spaces, got ${raw.length} characters`,
    );
  }
  return raw;
}
