import { CodedError } from '@planner/errors';

export type ObjectStoreErrorCode = 'OBJECT_NOT_FOUND' | 'OBJECT_KEY_INVALID' | 'OBJECT_STORE_CONFIG_INVALID' | 'OBJECT_STORE_FAILED';

export class ObjectStoreError extends CodedError<ObjectStoreErrorCode> {}

/** Keys stay inside the store: no absolute paths, no `..`, no empty segments. */
export function checkKey(key: string): string {
  const segments = key.split('/');
  if (key.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new ObjectStoreError('OBJECT_KEY_INVALID', `object key '${key}' must be a relative path without empty, '.' or '..' segments`);
  }
  return key;
}
