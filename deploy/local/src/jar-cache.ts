import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StackError } from './stack-error.ts';

const DEFAULT_REPOSITORY = 'https://repo.maven.apache.org/maven2';

interface LockedJar {
  path: string;
  sha1: string;
}

function readLock(lockFile: string): LockedJar[] {
  return readFileSync(lockFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [path, sha1] = line.split('\t');
      if (!path || !sha1) throw new StackError('CONFIG_INVALID', `malformed line in ${lockFile}: '${line}'`);
      return { path, sha1 };
    });
}

async function download(repository: string, jar: LockedJar, target: string): Promise<void> {
  const url = `${repository}/${jar.path}`;
  let lastError = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const bytes = Buffer.from(await response.arrayBuffer());
      const sha1 = createHash('sha1').update(bytes).digest('hex');
      if (sha1 !== jar.sha1) throw new Error(`SHA-1 ${sha1} does not match the lock's ${jar.sha1}`);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(`${target}.part`, bytes);
      renameSync(`${target}.part`, target);
      return;
    } catch (error) {
      lastError = (error as Error).message;
    }
  }
  throw new StackError('START_FAILED', `could not download ${url}: ${lastError}`);
}

/**
 * Makes every jar of a lock file present in `cacheDir` (Maven repository
 * layout, checked by SHA-1) and returns their paths, for a classpath.
 * Downloads happen once per machine; later calls only stat files.
 */
export async function ensureJars(lockFile: string, cacheDir: string): Promise<string[]> {
  const repository = (process.env.PL_MAVEN_REPOSITORY || DEFAULT_REPOSITORY).replace(/\/$/, '');
  const jars = readLock(lockFile);
  const missing = jars.filter((jar) => !existsSync(join(cacheDir, jar.path)));
  const queue = [...missing];
  const workers = Array.from({ length: Math.min(8, queue.length) }, async () => {
    for (let jar = queue.shift(); jar; jar = queue.shift()) {
      await download(repository, jar, join(cacheDir, jar.path));
    }
  });
  await Promise.all(workers);
  return jars.map((jar) => join(cacheDir, jar.path));
}
