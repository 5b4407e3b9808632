/**
 * A stable 32-bit hash of a string (FNV-1a, finished with murmur3's
 * avalanche): for properties that must follow from an id alone, identically
 * on every machine and run.
 */
export function hashString(text: string, start = 0x811c9dc5): number {
  let h = start >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return avalanche(h);
}

/** Uniform in [0, 1) from a string. */
export function hashUnit(text: string): number {
  return hashString(text) / 4_294_967_296;
}

function avalanche(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
