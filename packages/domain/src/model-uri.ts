import { DomainError } from './domain-error.ts';

/** A registered model version, named directly or through an alias. */
export type ModelRef = { name: string; version: string } | { name: string; alias: string };

// MLflow's own alias rule (letters, digits, `_`, `-`); names may hold anything but the separators used here.
const BY_VERSION = /^models:\/([^/@]+)\/([1-9][0-9]*)$/;
const BY_ALIAS = /^models:\/([^/@]+)@([A-Za-z0-9_-]+)$/;

/** Parses `models:/<name>/<version>` or `models:/<name>@<alias>`, MLflow's registry URIs. */
export function parseModelUri(uri: string): ModelRef {
  const version = BY_VERSION.exec(uri);
  if (version) return { name: version[1] as string, version: version[2] as string };
  const alias = BY_ALIAS.exec(uri);
  if (alias) return { name: alias[1] as string, alias: alias[2] as string };
  throw new DomainError('ID_INVALID', `model URI must be models:/<name>/<version> or models:/<name>@<alias>, got '${uri}'`);
}

/** `models:/<name>/<version>`, the URI MLflow's clients load a registered version by. */
export function modelVersionUri(name: string, version: string): string {
  return `models:/${name}/${version}`;
}
