export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A copy with every object’s keys in UTF-16 code-unit order (`Array#sort`), so `JSON.stringify` of
 * equal values is byte-identical (digests, dataset rows, replay seeds depend on
 * it). Arrays keep their order: where order carries no meaning the caller sorts first.
 */
export function canonicalize(value: unknown): JsonValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot canonicalize the non-finite number ${value}`);
    return value;
  }
  if (Array.isArray(value)) return value.map(canonicalize);
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    const source = value as Record<string, unknown>;
    for (const key of Object.keys(source).sort()) {
      if (source[key] !== undefined) out[key] = canonicalize(source[key]);
    }
    return out;
  }
  throw new TypeError(`cannot canonicalize a ${typeof value}`);
}
