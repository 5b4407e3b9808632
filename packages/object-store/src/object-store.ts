import type { Readable } from 'node:stream';

/**
 * The narrow port over where large files live. Keys are `/`-separated paths
 * relative to the store's root (e.g. `datasets/planner/2026-11-26/training.parquet`).
 */
export interface ObjectStore {
  /** Where `key` (or the folder `key/`) lives, as a reader outside this process would address it (`file:///...` or `s3://bucket/...`). */
  uri(key: string): string;
  /** Copies a local file to `key`, streaming (memory stays bounded whatever the size). */
  putFile(key: string, localPath: string, contentType?: string): Promise<void>;
  put(key: string, body: Buffer | string, contentType?: string): Promise<void>;
  get(key: string): Promise<Buffer>;
  read(key: string): Promise<Readable>;
  /** Size in bytes, or undefined when there is no object at `key`. */
  size(key: string): Promise<number | undefined>;
  /** Keys under `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Rejects when the store cannot serve now (for /readyz): the bucket or folder is unreachable. */
  ping(): Promise<void>;
}
