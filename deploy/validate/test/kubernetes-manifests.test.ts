/**
 * Renders the Kustomize base and every overlay with kustomize and validates each object against the
 * Kubernetes API schemas (strict) and the KEDA API schemas, then checks what the deployment promises:
 * probes, non-root pods, the replay workers on the GPU pool scaled by KEDA within replay.shards'
 * partitions, configuration every service accepts, and no credential outside Secrets.
 * kustomize and kubernetes-validate are installed into the machine's cache on first use.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { GROUPS } from '../../../services/replay-evaluator/src/service.ts';
import { ensureKustomize } from '../src/go-tools.ts';
import { ensureKubernetesValidate, KUBERNETES_VERSIONS, validateObjects } from '../src/kubernetes-schemas.ts';
import {
  type Container,
  containerEnv,
  findObject,
  type KubernetesObject,
  kustomizations,
  objectId,
  podLabels,
  podSpec,
  render,
} from '../src/manifests.ts';
import { checkServiceConfig, SERVICES } from '../src/service-config.ts';
import { ROOT } from '../src/tool-cache.ts';

/** Overlays for clusters without GPUs or KEDA: one CPU worker, no scaler. */
const CPU_ONLY = new Set(['overlays/dev']);
const WORKER = 'replay-evaluator-worker';
const SECRET_LIKE = /PASSWORD|SECRET|TOKEN|DATABASE_URL|ACCESS_KEY/;

const topics = JSON.parse(readFileSync(join(ROOT, 'schemas', 'topics.json'), 'utf8')) as { topics: { name: string; partitions: number }[] };
const shardPartitions = topics.topics.find((t) => t.name === 'replay.shards')?.partitions;

let kustomize: string;
let python: string;

before(() => {
  kustomize = ensureKustomize();
  python = ensureKubernetesValidate();
});

function deployments(objects: KubernetesObject[]): KubernetesObject[] {
  return objects.filter((o) => o.kind === 'Deployment');
}

function serviceContainer(deployment: KubernetesObject): Container {
  const container = podSpec(deployment).containers.find((c) => c.name === 'service');
  assert.ok(container, `${objectId(deployment)} has no container named service`);
  return container;
}

test('a schema violation is reported with the object and the error', () => {
  const broken: KubernetesObject[] = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'broken' },
      spec: { selector: {}, template: { spec: { containers: [{ name: 'c', image: 'x', replica: 2 }] } } },
    },
    {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: 'broken' },
      spec: { scaleTargetRef: { name: 'x' }, maxReplicaCount: 'many', triggers: [] },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'fine' }, spec: { ports: [{ port: 80 }] } },
  ];
  const [deployment, scaled, service] = validateObjects(python, broken, KUBERNETES_VERSIONS[0]);
  assert.match(deployment?.message ?? '', /replica/, 'an unknown field fails (strict schemas)');
  assert.equal(deployment?.path, 'spec/template/spec/containers/0');
  assert.match(scaled?.message ?? '', /maxReplicaCount/);
  assert.equal(service, undefined);
});

for (const kustomization of kustomizations()) {
  describe(`deploy/kubernetes/${kustomization}`, () => {
    let objects: KubernetesObject[] = [];

    before(() => {
      objects = render(kustomize, kustomization);
    });

    for (const version of KUBERNETES_VERSIONS) {
      test(`every object is valid against the Kubernetes ${version} and KEDA API schemas`, () => {
        const problems = validateObjects(python, objects, version)
          .map((problem, i) =>
            problem ? `${objectId(objects[i] as KubernetesObject)}: ${problem.path || '(object)'}: ${problem.message}` : '',
          )
          .filter(Boolean);
        assert.ok(objects.length > 0, 'the render is empty');
        assert.deepEqual(problems, []);
      });
    }

    test('every service runs, labelled with its stage, with readiness on /readyz and liveness on /healthz at its http port, as non-root', () => {
      const started = new Set<string>();
      for (const deployment of deployments(objects)) {
        const id = objectId(deployment);
        const container = serviceContainer(deployment);
        const service = container.args?.[0] ?? '';
        assert.ok(SERVICES.includes(service), `${id} runs '${service}', not one of ${SERVICES.join(', ')}`);
        started.add(service);
        assert.equal(podLabels(deployment)['planner-lifecycle/stage'], service, `${id}: its metrics' stage (Prometheus' service label)`);
        assert.ok(
          container.ports?.some((p) => p.name === 'http'),
          `${id} names no http port`,
        );
        assert.deepEqual(container.readinessProbe?.httpGet, { path: '/readyz', port: 'http' }, `${id} readiness`);
        assert.deepEqual(container.livenessProbe?.httpGet, { path: '/healthz', port: 'http' }, `${id} liveness`);
        const pod = podSpec(deployment).securityContext;
        assert.equal(pod?.runAsNonRoot, true, `${id} runAsNonRoot`);
        assert.ok((pod?.runAsUser ?? 0) > 0, `${id} runs as a numbered non-root user`);
        assert.equal(container.securityContext?.allowPrivilegeEscalation, false, `${id} allowPrivilegeEscalation`);
        assert.equal(container.securityContext?.readOnlyRootFilesystem, true, `${id} readOnlyRootFilesystem`);
      }
      assert.deepEqual([...started].sort(), SERVICES);
    });

    test('every service accepts its configuration, and reads every variable it is given', async () => {
      for (const deployment of deployments(objects)) {
        const id = objectId(deployment);
        const container = serviceContainer(deployment);
        const { env, missing } = containerEnv(objects, container);
        assert.deepEqual(missing, [], `${id} refers to configuration the render lacks`);
        const check = await checkServiceConfig(container.args?.[0] ?? '', env);
        assert.deepEqual(check.problems, [], `${id} would refuse to start`);
        assert.deepEqual(check.unread, [], `${id} is given variables nothing reads`);
      }
    });

    test('credentials come only from Secrets: none in a ConfigMap or a literal value', () => {
      for (const configMap of objects.filter((o) => o.kind === 'ConfigMap')) {
        const keys = Object.keys((configMap as { data?: Record<string, string> }).data ?? {});
        assert.deepEqual(
          keys.filter((k) => SECRET_LIKE.test(k)),
          [],
          `${objectId(configMap)} holds credentials`,
        );
      }
      for (const deployment of deployments(objects)) {
        for (const container of podSpec(deployment).containers) {
          const literal = (container.env ?? []).filter((e) => e.value !== undefined && SECRET_LIKE.test(e.name)).map((e) => e.name);
          assert.deepEqual(literal, [], `${objectId(deployment)} sets credentials as literal values`);
        }
      }
      const secrets = objects.filter((o) => o.kind === 'Secret').map(objectId);
      if (kustomization !== 'overlays/dev') assert.deepEqual(secrets, [], 'only the dev overlay may generate a Secret');
    });

    test('the replay workers are their own Deployment, on the GPU pool where the cluster has one', () => {
      const worker = findObject(objects, 'Deployment', WORKER);
      assert.ok(worker, `no Deployment ${WORKER}`);
      const { env } = containerEnv(objects, serviceContainer(worker));
      assert.equal(env.REPLAY_WORKER, 'true');
      const planner = findObject(objects, 'Deployment', 'replay-evaluator');
      assert.ok(planner, 'no Deployment replay-evaluator');
      assert.equal(
        containerEnv(objects, serviceContainer(planner)).env.REPLAY_WORKER,
        'false',
        'the planner leaves the shards to the workers',
      );

      const pod = podSpec(worker);
      const resources = serviceContainer(worker).resources;
      if (CPU_ONLY.has(kustomization)) {
        assert.equal(resources?.limits?.['nvidia.com/gpu'], undefined);
        return;
      }
      assert.equal(resources?.limits?.['nvidia.com/gpu'], '1', 'a GPU per worker');
      assert.equal(resources?.requests?.['nvidia.com/gpu'], '1', 'a GPU per worker');
      assert.ok(Object.keys(pod.nodeSelector ?? {}).length > 0, 'a node selector for the GPU pool');
      assert.ok(
        pod.tolerations?.some((t) => t.key === 'nvidia.com/gpu' && t.effect === 'NoSchedule'),
        'tolerates the GPU nodes taint nvidia.com/gpu',
      );
    });

    test('KEDA scales the workers on the lag of their group on replay.shards, up to its partition count', () => {
      const scalers = objects.filter((o) => o.kind === 'ScaledObject');
      if (CPU_ONLY.has(kustomization)) {
        assert.deepEqual(scalers.map(objectId), []);
        return;
      }
      assert.equal(scalers.length, 1);
      const scaler = scalers[0] as KubernetesObject & {
        spec: {
          scaleTargetRef: { name: string; kind?: string };
          minReplicaCount?: number;
          maxReplicaCount?: number;
          triggers: { type: string; metadata: Record<string, string> }[];
        };
      };
      assert.equal(scaler.spec.scaleTargetRef.name, WORKER);
      assert.ok(scaler.spec.scaleTargetRef.kind === undefined || scaler.spec.scaleTargetRef.kind === 'Deployment');
      assert.ok(shardPartitions !== undefined && shardPartitions > 0, 'schemas/topics.json has replay.shards');
      const max = scaler.spec.maxReplicaCount ?? 100; // KEDA's default
      assert.ok(max <= shardPartitions, `maxReplicaCount ${max} exceeds the ${shardPartitions} partitions of replay.shards`);
      assert.ok(max >= 1);

      const worker = findObject(objects, 'Deployment', WORKER);
      assert.ok(worker);
      const { env } = containerEnv(objects, serviceContainer(worker));
      const namespace = env.KAFKA_NAMESPACE ?? '';
      assert.equal(scaler.spec.triggers.length, 1);
      const trigger = scaler.spec.triggers[0];
      assert.equal(trigger?.type, 'kafka');
      assert.equal(trigger?.metadata.topic, `${namespace}replay.shards`, 'the topic as the services name it (KAFKA_NAMESPACE prefix)');
      assert.equal(trigger?.metadata.consumerGroup, `${namespace}${GROUPS.shards}`, "the workers' consumer group");
      assert.equal(trigger?.metadata.bootstrapServers, env.KAFKA_BROKERS, "the services' brokers");
      assert.ok(Number(trigger?.metadata.lagThreshold) > 0, 'a positive lagThreshold');
    });
  });
}
