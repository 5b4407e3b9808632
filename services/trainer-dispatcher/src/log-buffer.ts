/** Keeps the last `limit` characters of a job's output, which is what the table and events carry. */
export class LogBuffer {
  readonly #limit: number;
  #text = '';
  #pending = '';

  constructor(limit: number) {
    this.#limit = limit;
  }

  append(text: string): void {
    this.#text = (this.#text + text).slice(-this.#limit);
    this.#pending += text;
  }

  get text(): string {
    return this.#text;
  }

  /** The last `lines` lines. */
  tail(lines: number): string {
    return this.#text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Whether output arrived since the last call. */
  takeChanged(): boolean {
    const changed = this.#pending !== '';
    this.#pending = '';
    return changed;
  }

  /** Counts the output as unsaved again (saving it failed). */
  markChanged(): void {
    this.#pending ||= '\n';
  }
}
