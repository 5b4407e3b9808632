/**
 * The image definitions, checked without a Docker engine: what they copy exists, they pin the project's
 * pnpm, run as a numbered non-root user and carry no credential; and the services image's build stage,
 * run outside Docker (the same COPY sources and the same install command), gives every service the
 * modules it loads.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { VERSIONS } from '../../local/src/stack-config.ts';
import { contextCopies, copyBuildContext, IMAGES_DIR, readDockerfile } from '../src/dockerfile.ts';
import { SERVICES } from '../src/service-config.ts';
import { cacheDir, ROOT } from '../src/tool-cache.ts';

const IMAGES = { service: join(IMAGES_DIR, 'service.Dockerfile'), trainer: join(IMAGES_DIR, 'trainer.Dockerfile') };
const packageManager = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { packageManager: string }).packageManager;
const folders: string[] = [];

after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** The folder of the project's pnpm: on the PATH, or where ./lifecycle caches it. */
function pnpmFolder(): string {
  const version = packageManager.replace(/^pnpm@/, '');
  const onPath = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim() === version) {
    return dirname(spawnSync('sh', ['-c', 'command -v pnpm'], { encoding: 'utf8' }).stdout.trim());
  }
  const cached = join(cacheDir(), `pnpm-${version}`, 'node_modules', '.bin');
  assert.ok(existsSync(join(cached, 'pnpm')), `pnpm ${version} is neither on the PATH nor in ${cached}: run ./lifecycle once`);
  return cached;
}

function installCommand(dockerfile: string): string {
  const install = readDockerfile(dockerfile).find((i) => i.keyword === 'RUN' && i.args.startsWith('pnpm install'));
  assert.ok(install, `${dockerfile} installs the workspace with pnpm`);
  return install.args;
}

for (const [name, dockerfile] of Object.entries(IMAGES)) {
  test(`${name} image: sources exist, pnpm is the project's, the user is non-root, no credential is baked in`, () => {
    const instructions = readDockerfile(dockerfile);
    for (const copy of contextCopies(instructions)) {
      for (const source of copy.sources) assert.ok(existsSync(join(ROOT, source)), `COPY ${source}: not in the repository`);
    }
    const pnpm = instructions.find((i) => i.keyword === 'RUN' && /pnpm@\S+/.test(i.args))?.args.match(/(pnpm@\S+)/)?.[1];
    assert.equal(pnpm, packageManager, 'the pnpm of package.json packageManager');
    const user = instructions.filter((i) => i.keyword === 'USER').at(-1)?.args ?? '';
    assert.match(user, /^[1-9]\d*(:\d+)?$/, 'the final user is a non-root uid, by number');
    const secretLike = instructions
      .filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')
      .flatMap((i) => i.args.split(' ').map((word) => word.split('=')[0] ?? ''))
      .filter((variable) => /PASSWORD|SECRET|TOKEN|DATABASE_URL|ACCESS_KEY/.test(variable));
    assert.deepEqual(secretLike, []);
  });
}

test('the services image installs every service, the trainer image the trainer-dispatcher', () => {
  const filters = (dockerfile: string) =>
    [...installCommand(dockerfile).matchAll(/--filter '@planner\/([^.']+)\.\.\.'/g)].map((m) => m[1]).sort();
  assert.deepEqual(filters(IMAGES.service), SERVICES);
  assert.deepEqual(filters(IMAGES.trainer), ['trainer-dispatcher']);
});

test("the trainer image's CPU variant keeps requirements-gpu.txt's mlflow, numpy and pyarrow, the stack's MLflow", () => {
  const requirements = readFileSync(join(ROOT, 'services', 'trainer-dispatcher', 'trainers', 'requirements-gpu.txt'), 'utf8');
  // The Dockerfile's own selection, run on the file.
  const cpu = requirements.split('\n').filter((line) => /^(mlflow|numpy|pyarrow)==/.test(line));
  assert.deepEqual(
    cpu.map((line) => line.split('==')[0]),
    ['mlflow', 'numpy', 'pyarrow'],
  );
  assert.ok(cpu.includes(`mlflow==${VERSIONS.mlflow}`), `requirements-gpu.txt pins mlflow ${VERSIONS.mlflow}, the stack's`);
  assert.match(readFileSync(IMAGES.trainer, 'utf8'), /grep -E '\^\(mlflow\|numpy\|pyarrow\)=='/);
});

test('the entry point refuses an unknown service and names the ones the image has', () => {
  const result = spawnSync('sh', [join(IMAGES_DIR, 'planner-service'), 'no-such-service'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, PLANNER_APP: ROOT },
  });
  assert.equal(result.status, 64);
  for (const service of SERVICES) assert.ok(result.stderr.includes(service), result.stderr);
});

test("the services image's build stage, run outside Docker, gives every service what it imports", () => {
  const app = mkdtempSync(join(tmpdir(), 'service-image-'));
  folders.push(app);
  copyBuildContext(IMAGES.service, 'build', app);
  assert.ok(
    !existsSync(join(app, 'node_modules')) && !existsSync(join(app, 'services', 'dataset-builder', 'test')),
    'ignored paths left out',
  );
  // The Dockerfile's command as written, with the pnpm ./lifecycle provides.
  const pnpmDir = pnpmFolder();
  const install = spawnSync('sh', ['-c', installCommand(IMAGES.service)], {
    cwd: app,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${pnpmDir}:${process.env.PATH}`, CI: 'true' },
  });
  assert.equal(install.status, 0, `${install.stdout}${install.stderr}`);
  for (const service of SERVICES) {
    const loaded = spawnSync(process.execPath, ['-e', `await import('./services/${service}/src/service.ts')`, '--input-type=module'], {
      cwd: app,
      encoding: 'utf8',
    });
    assert.equal(loaded.status, 0, `${service} in the image: ${loaded.stderr}`);
  }
});
