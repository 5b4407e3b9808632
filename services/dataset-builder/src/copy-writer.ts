import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A column value; jsonb values are passed as JSON text. */
type Cell = string | number | boolean | Date | null | readonly string[];

function quote(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/** A PostgreSQL array literal: every element double-quoted, so commas and braces inside stay data. */
function arrayLiteral(items: readonly string[]): string {
  return `{${items.map((item) => `"${item.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
}

/** One CSV field for COPY ... (FORMAT csv): an unquoted empty field is NULL, a quoted one is text; arrays are text[]. */
export function csvCell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return quote(value);
  return quote(arrayLiteral(value));
}

/**
 * Streams rows into a table with COPY FROM STDIN, respecting backpressure, so
 * bulk loads of millions of rows run at PostgreSQL's pace in bounded memory.
 */
export class CopyWriter {
  readonly #stream: Writable;
  readonly #done: Promise<unknown>;
  rows = 0;

  private constructor(stream: Writable) {
    this.#stream = stream;
    this.#done = once(stream, 'finish');
    // Surface COPY errors (a bad row, a constraint) at end() instead of crashing the process.
    this.#done.catch(() => undefined);
  }

  static open(client: pg.PoolClient | pg.Client, table: string, columns: readonly string[]): CopyWriter {
    const stream = client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin with (format csv)`));
    return new CopyWriter(stream);
  }

  async write(cells: readonly Cell[]): Promise<void> {
    this.rows++;
    if (!this.#stream.write(`${cells.map(csvCell).join(',')}\n`)) await once(this.#stream, 'drain');
  }

  async end(): Promise<void> {
    this.#stream.end();
    await this.#done;
  }
}
