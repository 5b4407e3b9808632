import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { ObjectStore } from './object-store.ts';
import { checkKey, ObjectStoreError } from './object-store-error.ts';

function notFound(key: string, error: unknown): never {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectStoreError('OBJECT_NOT_FOUND', `no object at '${key}'`);
  throw error;
}

/** The default store: a folder on local disk. Writes go through a temporary name, so readers never see half a file. */
export class FolderStore implements ObjectStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  #path(key: string): string {
    return join(this.root, ...checkKey(key).split('/'));
  }

  async #atomically(key: string, write: (temporary: string) => Promise<void>): Promise<void> {
    const target = this.#path(key);
    await mkdir(dirname(target), { recursive: true });
    const temporary = `${target}.partial-${process.pid}`;
    await write(temporary);
    await rename(temporary, target);
  }

  uri(key: string): string {
    // A folder's URI (key ending in '/') keeps its trailing slash.
    const href = pathToFileURL(this.#path(key.replace(/\/$/, ''))).href;
    return key.endsWith('/') ? `${href}/` : href;
  }

  putFile(key: string, localPath: string): Promise<void> {
    return this.#atomically(key, (temporary) => copyFile(localPath, temporary));
  }

  put(key: string, body: Buffer | string): Promise<void> {
    return this.#atomically(key, (temporary) => writeFile(temporary, body));
  }

  get(key: string): Promise<Buffer> {
    return readFile(this.#path(key)).catch((error) => notFound(key, error));
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  async read(key: string): Promise<Readable> {
    await this.size(key).then((size) => size ?? notFound(key, Object.assign(new Error(), { code: 'ENOENT' })));
    return createReadStream(this.#path(key));
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.#path(key))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const start = prefix === '' ? this.root : this.#path(prefix.replace(/\/$/, ''));
    const found: string[] = [];
    const walk = async (folder: string): Promise<void> => {
      const entries = await readdir(folder, { withFileTypes: true }).catch((error) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
        throw error;
      });
      for (const entry of entries) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (!entry.name.includes('.partial-')) found.push(relative(this.root, path).split(sep).join('/'));
      }
    };
    await walk(start);
    return found.sort();
  }
}
