import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { type StackConfig, VERSIONS } from '../stack-config.ts';
import { StackError } from '../stack-error.ts';

/** SHA-256 of Debian's prometheus_<version>_amd64.deb; bump with VERSIONS.prometheus. */
const DEB_SHA256 = '81d59a24fce84f7fbe97a45a4f2914b6a5881b5cd1db2a6a0e129e515e1a5f55';
const DEFAULT_MIRROR = 'https://deb.debian.org/debian';

export interface PrometheusBinaries {
  prometheus: string;
  promtool: string;
}

async function downloadDeb(url: string): Promise<Buffer> {
  let lastError = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(300_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const bytes = Buffer.from(await response.arrayBuffer());
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (sha256 !== DEB_SHA256) throw new Error(`SHA-256 ${sha256} is not the pinned ${DEB_SHA256}`);
      return bytes;
    } catch (error) {
      lastError = (error as Error).message;
      // A 404 means the mirror moved on to a newer package: retrying will not help.
      if (lastError === 'HTTP 404') break;
    }
  }
  throw new StackError(
    'START_FAILED',
    `could not download ${url}: ${lastError} (a 404 means Debian replaced the package: update VERSIONS.prometheus and the SHA-256 in prometheus-binaries.ts)`,
  );
}

/**
 * prometheus and promtool from Debian's package, downloaded once per machine
 * (checked by SHA-256) and unpacked with dpkg-deb into the cache, like the
 * Kafka jars: no root, nothing installed system-wide. PL_PROMETHEUS_BIN_DIR
 * points at binaries installed some other way (another OS, another version).
 */
export async function prometheusBinaries(config: StackConfig): Promise<PrometheusBinaries> {
  const ownDir = process.env.PL_PROMETHEUS_BIN_DIR;
  const binDir = ownDir || join(config.cacheDir, `prometheus-${VERSIONS.prometheus}`, 'usr', 'bin');
  const binaries = { prometheus: join(binDir, 'prometheus'), promtool: join(binDir, 'promtool') };
  if (existsSync(binaries.prometheus) && existsSync(binaries.promtool)) return binaries;
  if (ownDir) throw new StackError('PREREQUISITE_MISSING', `PL_PROMETHEUS_BIN_DIR=${ownDir} holds no prometheus and promtool`);
  if (arch() !== 'x64') {
    throw new StackError(
      'PREREQUISITE_MISSING',
      `Prometheus comes from Debian's amd64 package, and this machine is ${arch()} (set PL_PROMETHEUS_BIN_DIR to a folder with prometheus and promtool)`,
    );
  }
  const mirror = (process.env.PL_DEBIAN_MIRROR || DEFAULT_MIRROR).replace(/\/$/, '');
  const deb = await downloadDeb(`${mirror}/pool/main/p/prometheus/prometheus_${VERSIONS.prometheus}_amd64.deb`);
  const target = join(config.cacheDir, `prometheus-${VERSIONS.prometheus}`);
  const staging = `${target}.part-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const debFile = join(staging, 'prometheus.deb');
    writeFileSync(debFile, deb);
    const unpacked = spawnSync('dpkg-deb', ['-x', debFile, staging], { encoding: 'utf8' });
    if (unpacked.error || unpacked.status !== 0) {
      throw new StackError(
        'PREREQUISITE_MISSING',
        `unpacking Prometheus needs dpkg-deb (Debian, Ubuntu): ${unpacked.error?.message ?? unpacked.stderr.trim()} (or set PL_PROMETHEUS_BIN_DIR)`,
      );
    }
    rmSync(debFile);
    try {
      renameSync(staging, target);
    } catch (error) {
      // Another process unpacked the same version first: theirs is as good as ours.
      if (!existsSync(binaries.prometheus)) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return binaries;
}
