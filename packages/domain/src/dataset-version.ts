import { DomainError } from './domain-error.ts';

/** A dataset version's parts: the model it trains and the date that names it. */
export interface DatasetVersion {
  modelName: string;
  /** YYYY-MM-DD. */
  datasetDate: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const VERSION = /^([^/]+)\/(\d{4}-\d{2}-\d{2})$/;

/**
 * The id of a dataset version, `<model>/<date>` (seed §2.2). The builder names
 * its versions with it and every reader that only has the request's parts (the
 * gate's lineage) derives the same id from here.
 */
export function datasetVersionOf(modelName: string, datasetDate: string): string {
  if (modelName === '' || modelName.includes('/')) {
    throw new DomainError('ID_INVALID', `a dataset version's model name must be non-empty and without '/', got '${modelName}'`);
  }
  if (!DATE.test(datasetDate)) throw new DomainError('ID_INVALID', `a dataset version's date must be YYYY-MM-DD, got '${datasetDate}'`);
  return `${modelName}/${datasetDate}`;
}

/** The parts of an id made by `datasetVersionOf`; a coded error for anything else. */
export function parseDatasetVersion(id: string): DatasetVersion {
  const match = VERSION.exec(id);
  if (!match) throw new DomainError('ID_INVALID', `a dataset version is <model>/<YYYY-MM-DD>, got '${id}'`);
  return { modelName: match[1] as string, datasetDate: match[2] as string };
}
