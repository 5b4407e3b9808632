import { CodedError } from '@planner/errors';

export class ConfigError extends CodedError<'CONFIG_INVALID'> {}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads a service's environment once, at start-up. Each accessor returns a
 * typed value or records a problem naming the variable; `done()` throws one
 * error listing every problem, so a bad deployment is fixed in one go.
 */
export class ConfigReader {
  readonly #env: Env;
  readonly #problems: string[] = [];

  constructor(env: Env = process.env) {
    this.#env = env;
  }

  #raw(name: string): string | undefined {
    const value = this.#env[name]?.trim();
    return value === '' ? undefined : value;
  }

  #missing<T>(name: string, fallback: T | undefined): T {
    if (fallback === undefined) this.#problems.push(`${name} is required`);
    return fallback as T;
  }

  string(name: string, fallback?: string): string {
    return this.#raw(name) ?? this.#missing(name, fallback);
  }

  int(name: string, fallback?: number, range: { min?: number; max?: number } = {}): number {
    const raw = this.#raw(name);
    if (raw === undefined) return this.#missing(name, fallback);
    const value = Number(raw);
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.#problems.push(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
      return fallback ?? min;
    }
    return value;
  }

  number(name: string, fallback?: number, range: { min?: number; max?: number } = {}): number {
    const raw = this.#raw(name);
    if (raw === undefined) return this.#missing(name, fallback);
    const value = Number(raw);
    const { min = -Number.MAX_VALUE, max = Number.MAX_VALUE } = range;
    if (!Number.isFinite(value) || value < min || value > max) {
      this.#problems.push(`${name} must be a number from ${min} to ${max}, got '${raw}'`);
      return fallback ?? min;
    }
    return value;
  }

  url(name: string, fallback?: string): string {
    const value = this.string(name, fallback);
    if (value === undefined) return value;
    try {
      new URL(value);
    } catch {
      this.#problems.push(`${name} must be a URL, got '${value}'`);
    }
    return value;
  }

  /** A comma-separated list; `pattern` checks each item. */
  list(name: string, fallback?: string[], pattern?: { test: RegExp; describe: string }): string[] {
    const raw = this.#raw(name);
    if (raw === undefined) return this.#missing(name, fallback);
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    if (items.length === 0) this.#problems.push(`${name} must list at least one value`);
    for (const item of items) {
      if (pattern && !pattern.test.test(item)) this.#problems.push(`${name} items must be ${pattern.describe}, got '${item}'`);
    }
    return items;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback?: T): T {
    const value = this.string(name, fallback);
    if (value !== undefined && !allowed.includes(value as T)) {
      this.#problems.push(`${name} must be one of ${allowed.join(', ')}, got '${value}'`);
    }
    return value as T;
  }

  /** `true` or `false`. */
  boolean(name: string, fallback?: boolean): boolean {
    const raw = this.#raw(name);
    if (raw === undefined) return this.#missing(name, fallback);
    if (raw !== 'true' && raw !== 'false') this.#problems.push(`${name} must be true or false, got '${raw}'`);
    return raw === 'true';
  }

  /** A problem found by the caller's own check of a value (the message names the variable). */
  problem(message: string): void {
    this.#problems.push(message);
  }

  done(): void {
    if (this.#problems.length > 0) throw new ConfigError('CONFIG_INVALID', `invalid configuration: ${this.#problems.join('; ')}`);
  }
}
