import { constants, zstdCompressSync } from 'node:zlib';
import { fileWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import type { ColumnType } from './training-columns.ts';

const ROW_GROUP_SIZE = 10_000;

/** Node's native zstd at level 1: a smaller file than snappy gave, at a fraction of the pure-JS snappy's CPU. */
const ZSTD = (bytes: Uint8Array) => zstdCompressSync(bytes, { params: { [constants.ZSTD_c_compressionLevel]: 1 } });

export interface ParquetColumn {
  name: string;
  type: ColumnType;
  nullable: boolean;
  /** Free text or JSON, different in every row: a dictionary never pays and min/max statistics help no reader. */
  wide?: boolean;
}

/**
 * Writes rows to a Parquet file one row group at a time, so memory holds at
 * most one row group whatever the row count. Output bytes depend only on the
 * rows and their order (no timestamps in the file), which keeps digests stable.
 */
export class ParquetTableWriter<Row extends object> {
  readonly #columns: readonly (ParquetColumn & { name: keyof Row & string })[];
  readonly #writer: ParquetWriter;
  #buffer: Row[] = [];
  rows = 0;

  constructor(path: string, columns: readonly (ParquetColumn & { name: keyof Row & string })[], metadata: Record<string, string>) {
    this.#columns = columns;
    this.#writer = new ParquetWriter({
      writer: fileWriter(path),
      schema: schemaFromColumnData({ columnData: this.#columnData([]) }),
      codec: 'ZSTD',
      compressors: { ZSTD },
      kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      createdBy: 'planner-lifecycle dataset-builder',
    });
  }

  #columnData(rows: Row[]) {
    return this.#columns.map((column) => ({
      name: column.name,
      type: column.type,
      nullable: column.nullable,
      ...(column.wide ? { encoding: 'PLAIN' as const, statistics: false } : {}),
      data: rows.map((row) => row[column.name] as unknown) as never,
    }));
  }

  async append(row: Row): Promise<void> {
    this.#buffer.push(row);
    this.rows++;
    if (this.#buffer.length >= ROW_GROUP_SIZE) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const rows = this.#buffer;
    this.#buffer = [];
    await this.#writer.write({ columnData: this.#columnData(rows), rowGroupSize: rows.length });
  }

  async close(): Promise<void> {
    await this.#flush();
    await this.#writer.finish();
  }
}
