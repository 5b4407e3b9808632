import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** How the content digest is computed, in the words `dataset_summary.md` and the `dataset.ready` schema use. */
export const DIGEST_RECIPE =
  'How to recompute it: SHA-256 (hex) of the lines `<file name> <SHA-256 hex of the file>` for recipes.parquet, schema.json and training.parquet, sorted by name, joined by a newline, with no newline at the end. dataset_summary.md is left out because it quotes the digest.';

/** The same, as a shell command run in the dataset's folder (the summary prints it; a test runs it). */
export const DIGEST_SHELL_COMMAND =
  'for f in recipes.parquet schema.json training.parquet; do echo "$f $(sha256sum $f | cut -d\' \' -f1)"; done | head -c -1 | sha256sum';

/**
 * The content digest of a dataset version (DIGEST_RECIPE): one hash over every
 * data file, so a dataset's identity covers its catalogue snapshot and schema too.
 */
export async function datasetDigest(files: readonly { name: string; path: string }[]): Promise<string> {
  const lines: string[] = [];
  for (const file of files.filter((f) => f.name !== 'dataset_summary.md')) lines.push(`${file.name} ${await sha256File(file.path)}`);
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex');
}
