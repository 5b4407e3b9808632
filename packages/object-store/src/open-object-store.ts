import { fileURLToPath } from 'node:url';
import { FolderStore } from './folder-store.ts';
import type { ObjectStore } from './object-store.ts';
import { ObjectStoreError } from './object-store-error.ts';
import { S3Store } from './s3-store.ts';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Opens the store an `OBJECT_STORE_URL` names: `file:///abs/folder` or
 * `s3://bucket[/prefix]`. For S3, `S3_ENDPOINT` (any S3-compatible server;
 * unset means AWS) and the standard AWS_* credentials apply. Errors name the
 * variable at fault.
 */
export function openObjectStore(url: string, env: Env = process.env, variable = 'OBJECT_STORE_URL'): ObjectStore {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ObjectStoreError(
      'OBJECT_STORE_CONFIG_INVALID',
      `${variable} must be file:///<folder> or s3://<bucket>[/<prefix>], got '${url}'`,
    );
  }
  if (parsed.protocol === 'file:') return new FolderStore(fileURLToPath(parsed));
  if (parsed.protocol !== 's3:' || parsed.hostname === '') {
    throw new ObjectStoreError(
      'OBJECT_STORE_CONFIG_INVALID',
      `${variable} must be file:///<folder> or s3://<bucket>[/<prefix>], got '${url}'`,
    );
  }
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) throw new ObjectStoreError('OBJECT_STORE_CONFIG_INVALID', `${name} is required when ${variable} is an s3:// URL`);
    return value;
  };
  return new S3Store({
    endpoint: env.S3_ENDPOINT?.trim() || `https://s3.${env.AWS_REGION?.trim() || 'us-east-1'}.amazonaws.com`,
    bucket: parsed.hostname,
    prefix: parsed.pathname.replace(/^\/+|\/+$/g, ''),
    region: env.AWS_REGION?.trim() || 'us-east-1',
    accessKeyId: required('AWS_ACCESS_KEY_ID'),
    secretAccessKey: required('AWS_SECRET_ACCESS_KEY'),
  });
}
