import { hashString } from '../stable-hash.ts';

/**
 * xoshiro128** (Blackman & Vigna), seeded through splitmix32: small, fast, a
 * 2^128 − 1 period and good statistical quality — unlike `Math.random`, the
 * same seed gives the same sequence on every machine, which is what makes the
 * synthetic world reproducible byte for byte.
 */
export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** `seed`: any safe integer (both 32-bit halves count). */
  constructor(seed: number) {
    let state = (mixHalves(seed) ^ 0x9e3779b9) >>> 0;
    const next = () => {
      // splitmix32: spreads one 32-bit seed into four well-mixed state words.
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#d = 1;
  }

  /** Starts from raw state words: lets tests compare with the reference C implementation. */
  static fromState(a: number, b: number, c: number, d: number): SeededRandom {
    const random = new SeededRandom(0);
    random.#a = a >>> 0;
    random.#b = b >>> 0;
    random.#c = c >>> 0;
    random.#d = d >>> 0;
    return random;
  }

  /** An independent stream for one part of the world (e.g. household 42, week 3), whatever else was drawn before. */
  static derive(seed: number, ...parts: ReadonlyArray<string | number>): SeededRandom {
    return new SeededRandom(deriveSeed(seed, ...parts));
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  float(): number {
    return this.nextUint32() / 4_294_967_296;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + this.float() * (max - min);
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list');
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** One of `items`, with probability proportional to its weight. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, weight] of items) total += weight;
    let draw = this.float() * total;
    for (const [item, weight] of items) {
      draw -= weight;
      if (draw < 0) return item;
    }
    const last = items[items.length - 1];
    if (last === undefined) throw new RangeError('cannot pick from an empty list');
    return last[0];
  }

  /** `count` distinct items in random order (all of them when count ≥ length). */
  sample<T>(items: readonly T[], count: number): T[] {
    const n = Math.min(count, items.length);
    // Few from many (a pantry from the ingredient list): draw indices, redraw repeats — no copy of the list.
    if (n * 4 <= items.length) {
      const taken = new Set<number>();
      const out: T[] = [];
      while (out.length < n) {
        const i = Math.floor(this.float() * items.length);
        if (taken.has(i)) continue;
        taken.add(i);
        out.push(items[i] as T);
      }
      return out;
    }
    const pool = [...items];
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.float() * (pool.length - i));
      [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
    }
    return pool.slice(0, n);
  }

  /** Log-normal with the given median and shape σ: latencies and other long-tailed durations. */
  logNormal(median: number, sigma: number): number {
    // Box–Muller; 1 − u keeps the logarithm finite.
    const u = 1 - this.float();
    const v = this.float();
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return median * Math.exp(sigma * normal);
  }

  /** A version-4-formatted UUID drawn from this stream: deterministic ids for events and plans. */
  uuid(): string {
    const a = this.nextUint32();
    const b = ((this.nextUint32() & 0xffff0fff) | 0x00004000) >>> 0;
    const c = ((this.nextUint32() & 0x3fffffff) | 0x80000000) >>> 0;
    const d = this.nextUint32();
    return `${hex32(a)}-${hex16(b >>> 16)}-${hex16(b & 0xffff)}-${hex16(c >>> 16)}-${hex16(c & 0xffff)}${hex32(d)}`;
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex16 = (x: number) => `${HEX[x >>> 8]}${HEX[x & 0xff]}`;
const hex32 = (x: number) => `${hex16(x >>> 16)}${hex16(x & 0xffff)}`;

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function mixHalves(seed: number): number {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const low = seed >>> 0;
  const high = Math.floor(seed / 4_294_967_296) >>> 0;
  return (low ^ Math.imul(high, 0x9e3779b1)) >>> 0;
}

/** A 32-bit seed for one named sub-stream of the world `seed`. */
export function deriveSeed(seed: number, ...parts: ReadonlyArray<string | number>): number {
  return hashString(parts.join('\u0000'), 0x811c9dc5 ^ mixHalves(seed));
}
