/**
 * deploy/compose/compose.yaml, loaded by the Compose specification's own loader (schema, interpolation,
 * consistency), then checked for what it promises: the whole system, services configured as they accept,
 * the local stack's server versions, every mounted file present, Prometheus scraping every service.
 * No container runs: there is no Docker engine here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { parse } from 'yaml';
import { loadStackConfig, prometheusBinaries } from '../../local/src/index.ts';
import { VERSIONS } from '../../local/src/stack-config.ts';
import { COMPOSE_FILE, type ComposeProject, loadCompose } from '../src/compose.ts';
import { DeployValidateError } from '../src/deploy-validate-error.ts';
import { ensureComposeCheck } from '../src/go-tools.ts';
import { checkServiceConfig, SERVICES } from '../src/service-config.ts';
import { ROOT } from '../src/tool-cache.ts';

const INFRASTRUCTURE = ['kafka', 'kafka-init', 'postgres', 'mlflow', 's3', 'prometheus', 'grafana'];

let composeCheck: string;
let project: ComposeProject;

before(() => {
  composeCheck = ensureComposeCheck();
});

test('compose.yaml is a valid Compose project (specification schema and consistency)', () => {
  project = loadCompose(composeCheck);
  assert.ok(Object.keys(project.services).length > 0);
});

test('a file the specification refuses fails with the loader’s reason', () => {
  const folder = mkdtempSync(join(tmpdir(), 'compose-check-'));
  const text = readFileSync(COMPOSE_FILE, 'utf8');
  const cases: [string, string, RegExp][] = [
    ['unknown field', text.replace('    restart: "no"\n', '    restrat: "no"\n'), /restrat/],
    [
      'undefined dependency',
      text.replace('      kafka:\n        condition: service_healthy', '      kafkaa:\n        condition: service_healthy'),
      /kafkaa/,
    ],
  ];
  for (const [what, broken, reason] of cases) {
    assert.notEqual(broken, text, `${what}: the mutation applies`);
    const file = join(folder, `${what.replaceAll(' ', '-')}.yaml`);
    writeFileSync(file, broken);
    assert.throws(
      () => loadCompose(composeCheck, file),
      (error: unknown) => error instanceof DeployValidateError && reason.test(error.message),
      what,
    );
  }
});

test('the whole system: Kafka, PostgreSQL, MLflow, S3, Prometheus, Grafana and the six services', () => {
  for (const name of INFRASTRUCTURE) assert.ok(project.services[name], `no ${name}`);
  const started = Object.values(project.services)
    .map((s) => s.command?.[0])
    .filter((c): c is string => c !== undefined && SERVICES.includes(c));
  assert.deepEqual([...new Set(started)].sort(), SERVICES);
});

test('the servers are the versions the local stack runs', () => {
  assert.equal(project.services.kafka?.image, `apache/kafka:${VERSIONS.kafka}`);
  assert.equal(project.services['kafka-init']?.image, `apache/kafka:${VERSIONS.kafka}`);
  assert.equal(project.services.mlflow?.image, `ghcr.io/mlflow/mlflow:v${VERSIONS.mlflow}`);
  assert.equal(project.services.s3?.image, `andrewgaul/s3proxy:${VERSIONS.s3proxy}`);
  // Debian's package version without its packaging suffix: the rules are unit-tested with that promtool.
  assert.equal(project.services.prometheus?.image, `prom/prometheus:v${VERSIONS.prometheus.replace(/\+.*$/, '')}`);
});

test('each service is built from deploy/images and accepts its environment', async () => {
  for (const [name, service] of Object.entries(project.services)) {
    const started = service.command?.[0];
    if (started === undefined || !SERVICES.includes(started)) continue;
    const dockerfile = started === 'trainer-dispatcher' ? 'deploy/images/trainer.Dockerfile' : 'deploy/images/service.Dockerfile';
    assert.equal(service.build?.context, ROOT, `${name} builds from the repository root`);
    assert.equal(service.build?.dockerfile, dockerfile, `${name} image`);
    const env = Object.fromEntries(Object.entries(service.environment ?? {}).filter((e): e is [string, string] => e[1] !== null));
    const check = await checkServiceConfig(started, env);
    assert.deepEqual(check.problems, [], `${name} would refuse to start`);
    assert.deepEqual(check.unread, [], `${name} is given variables nothing reads`);
  }
});

test('every file and folder mounted from the repository exists', () => {
  const missing = Object.entries(project.services).flatMap(([name, service]) =>
    (service.volumes ?? []).filter((v) => v.type === 'bind' && v.source && !existsSync(v.source)).map((v) => `${name}: ${v.source}`),
  );
  assert.deepEqual(missing, []);
});

test('Prometheus loads its configuration and the project’s rules as mounted (promtool check config)', async () => {
  const { promtool } = await prometheusBinaries(loadStackConfig());
  const mounts = (project.services.prometheus?.volumes ?? []).filter((v) => v.type === 'bind' && v.source);
  const config = mounts.find((v) => v.target === '/etc/prometheus/prometheus.yml');
  assert.ok(config?.source, 'prometheus.yml is mounted');
  // The same file with the container's paths replaced by the folders mounted there, so promtool reads the rules too.
  let text = readFileSync(config.source, 'utf8');
  for (const mount of mounts) text = text.replaceAll(mount.target, mount.source ?? '');
  const file = join(mkdtempSync(join(tmpdir(), 'compose-prometheus-')), 'prometheus.yml');
  writeFileSync(file, text);
  const result = spawnSync(promtool, ['check', 'config', file], { encoding: 'utf8' });
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  assert.match(result.stdout, /SUCCESS: \d+ rule/, 'the rules were found and loaded');
});

test('Prometheus scrapes every service at the port it listens on', () => {
  const config = parse(readFileSync(join(ROOT, 'deploy', 'compose', 'prometheus.yml'), 'utf8')) as {
    scrape_configs: {
      job_name: string;
      static_configs?: { targets: string[] }[];
      dns_sd_configs?: { names: string[]; port: number }[];
      relabel_configs?: { target_label?: string }[];
    }[];
  };
  for (const job of config.scrape_configs) {
    assert.ok(
      job.relabel_configs?.some((r) => r.target_label === 'service'),
      `${job.job_name} sets the service label the rules and dashboards group by`,
    );
  }
  const targets = new Set(
    config.scrape_configs.flatMap((job) => [
      ...(job.static_configs ?? []).flatMap((c) => c.targets),
      ...(job.dns_sd_configs ?? []).flatMap((c) => c.names.map((n) => `${n}:${c.port}`)),
    ]),
  );
  for (const [name, service] of Object.entries(project.services)) {
    if (!SERVICES.includes(service.command?.[0] ?? '')) continue;
    assert.ok(targets.has(`${name}:${service.environment?.PORT}`), `Prometheus does not scrape ${name}:${service.environment?.PORT}`);
  }
});
