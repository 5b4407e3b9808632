/**
 * schemas/topics.json names who writes and reads each topic. The services' own
 * code is the truth: each subscribes in its service.ts and publishes through
 * the bus (`enqueue`, `publish`, `publishMany`) with the topic spelled out.
 * This test reads both and fails on any disagreement, so the catalogue cannot
 * drift from the code.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SCHEMAS_DIR } from '../src/schema-registry.ts';

const ROOT = join(SCHEMAS_DIR, '..');
const SERVICES = readdirSync(join(ROOT, 'services'));
/** Who else reads or writes a topic; anything that is neither a service nor one of these is a typo. */
const OTHERS = new Set(['upstream services', 'synthetic generator', 'dataset CLI', 'operators', 'DLT redrive']);

interface CatalogueEntry {
  name: string;
  writers: string[];
  readers: string[];
}
const catalogue = (JSON.parse(readFileSync(join(SCHEMAS_DIR, 'topics.json'), 'utf8')) as { topics: CatalogueEntry[] }).topics;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** topic → services, as the code says. */
function fromCode(): { readers: Map<string, Set<string>>; writers: Map<string, Set<string>> } {
  const readers = new Map<string, Set<string>>();
  const writers = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, topic: string, service: string) => map.set(topic, (map.get(topic) ?? new Set()).add(service));
  for (const service of SERVICES) {
    const src = join(ROOT, 'services', service, 'src');
    for (const [, topic] of readFileSync(join(src, 'service.ts'), 'utf8').matchAll(/\btopic:\s*'([a-z_.]+)'/g))
      add(readers, topic as string, service);
    for (const file of sourceFiles(src)) {
      const code = readFileSync(file, 'utf8');
      for (const [, topic] of code.matchAll(/\.(?:enqueue|publish|publishMany)\(\s*(?:trx,\s*)?'([a-z_.]+)'/g))
        add(writers, topic as string, service);
    }
  }
  return { readers, writers };
}

test('the catalogue names exactly the services that read and write each topic, as their code does', () => {
  const code = fromCode();
  const problems: string[] = [];
  for (const entry of catalogue) {
    for (const role of ['readers', 'writers'] as const) {
      const listed = new Set(entry[role].filter((name) => SERVICES.includes(name)));
      const actual = code[role].get(entry.name) ?? new Set<string>();
      for (const name of actual) if (!listed.has(name)) problems.push(`${entry.name}: ${name} is missing from ${role}`);
      for (const name of listed)
        if (!actual.has(name))
          problems.push(
            `${entry.name}: ${name} is listed in ${role} but its code does not ${role === 'readers' ? 'subscribe' : 'publish'}`,
          );
      for (const name of entry[role])
        if (!SERVICES.includes(name) && !OTHERS.has(name))
          problems.push(`${entry.name}: '${name}' is neither a service nor one of ${[...OTHERS].join(', ')}`);
    }
  }
  for (const role of ['readers', 'writers'] as const) {
    for (const topic of code[role].keys())
      if (!catalogue.some((e) => e.name === topic)) problems.push(`${topic} is used by code but not in the catalogue`);
  }
  assert.deepEqual(problems, []);
});

test('the scan finds what it looks for (a subscription and a multi-line enqueue)', () => {
  const code = fromCode();
  assert.ok(code.readers.get('replay.shards')?.has('replay-evaluator'));
  assert.ok(code.writers.get('experiment.checked')?.has('experiment-monitor'));
});
