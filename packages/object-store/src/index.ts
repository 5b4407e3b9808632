export { FolderStore } from './folder-store.ts';
export type { ObjectStore } from './object-store.ts';
export { ObjectStoreError, type ObjectStoreErrorCode } from './object-store-error.ts';
export { openObjectStore } from './open-object-store.ts';
export { S3Store, type S3StoreOptions } from './s3-store.ts';
