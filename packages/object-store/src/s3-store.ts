import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { ObjectStore } from './object-store.ts';
import { checkKey, ObjectStoreError } from './object-store-error.ts';

export interface S3StoreOptions {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Keys are stored under this prefix inside the bucket (default: none). */
  prefix?: string;
}

function missing(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404)
  );
}

/** Any S3-compatible server (AWS S3, MinIO, S3Proxy). */
export class S3Store implements ObjectStore {
  readonly bucket: string;
  readonly #prefix: string;
  readonly #client: S3Client;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.#prefix = options.prefix ? `${options.prefix.replace(/\/$/, '')}/` : '';
    this.#client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: true,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      // S3-compatible servers other than AWS often refuse the SDK's default CRC checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Without a logger the SDK writes to the console on a failed streaming upload; the error reaches the caller anyway.
      logger: { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    });
  }

  #key(key: string): string {
    return this.#prefix + checkKey(key);
  }

  uri(key: string): string {
    // A folder's URI (key ending in '/') keeps its trailing slash.
    return `s3://${this.bucket}/${this.#key(key.replace(/\/$/, ''))}${key.endsWith('/') ? '/' : ''}`;
  }

  async ping(): Promise<void> {
    await this.#client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: AbortSignal.timeout(2000) });
  }

  async putFile(key: string, localPath: string, contentType?: string): Promise<void> {
    const { size } = await stat(localPath);
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.#key(key),
        Body: createReadStream(localPath),
        ContentLength: size,
        ContentType: contentType,
      }),
    );
  }

  async put(key: string, body: Buffer | string, contentType?: string): Promise<void> {
    await this.#client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.#key(key), Body: body, ContentType: contentType }));
  }

  async get(key: string): Promise<Buffer> {
    const stream = await this.read(key);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async read(key: string): Promise<Readable> {
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
      return response.Body as Readable;
    } catch (error) {
      if (missing(error)) throw new ObjectStoreError('OBJECT_NOT_FOUND', `no object at '${this.uri(key)}'`);
      throw error;
    }
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
      return head.ContentLength;
    } catch (error) {
      if (missing(error)) return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.#prefix + prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key.slice(this.#prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  destroy(): void {
    this.#client.destroy();
  }
}
