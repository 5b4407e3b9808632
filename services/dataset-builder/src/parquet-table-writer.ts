import { fileWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import type { ColumnType } from './training-columns.ts';

const ROW_GROUP_SIZE = 10_000;

/**
 * Writes rows to a Parquet file one row group at a time, so memory holds at
 * most one row group whatever the row count. Output bytes depend only on the
 * rows and their order (no timestamps in the file), which keeps digests stable.
 */
export class ParquetTableWriter<Row extends object> {
  readonly #columns: readonly { name: keyof Row & string; type: ColumnType; nullable: boolean }[];
  readonly #writer: ParquetWriter;
  #buffer: Row[] = [];
  rows = 0;

  constructor(
    path: string,
    columns: readonly { name: keyof Row & string; type: ColumnType; nullable: boolean }[],
    metadata: Record<string, string>,
  ) {
    this.#columns = columns;
    this.#writer = new ParquetWriter({
      writer: fileWriter(path),
      schema: schemaFromColumnData({ columnData: this.#columnData([]) }),
      kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      createdBy: 'planner-lifecycle dataset-builder',
    });
  }

  #columnData(rows: Row[]) {
    return this.#columns.map((column) => ({
      name: column.name,
      type: column.type,
      nullable: column.nullable,
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
