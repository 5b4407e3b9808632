import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runTool } from './go-tools.ts';
import { ROOT } from './tool-cache.ts';

export const KUBERNETES_DIR = join(ROOT, 'deploy', 'kubernetes');

/** The fields of a rendered object these checks read; the schemas check the rest. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
}

interface KeyRef {
  name: string;
  key: string;
}

interface Probe {
  httpGet?: { path: string; port: string | number };
}

export interface PodSpec {
  containers: Container[];
  nodeSelector?: Record<string, string>;
  tolerations?: { key?: string; operator?: string; effect?: string }[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
}

/** `Kind namespace/name`, how a failure names the object. */
export function objectId(object: KubernetesObject): string {
  return `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
}

/** The base and every overlay, as paths relative to deploy/kubernetes. */
export function kustomizations(): string[] {
  const overlays = readdirSync(join(KUBERNETES_DIR, 'overlays'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join('overlays', entry.name));
  return ['base', ...overlays.sort()];
}

/** `kustomize build` of one kustomization, parsed. */
export function render(kustomize: string, kustomization: string): KubernetesObject[] {
  const output = runTool(kustomize, ['build', join(KUBERNETES_DIR, kustomization)]);
  return parseAllDocuments(output)
    .map((document) => {
      if (document.errors.length > 0) throw document.errors[0];
      return document.toJS() as KubernetesObject | null;
    })
    .filter((object): object is KubernetesObject => object !== null);
}

export function findObject(objects: KubernetesObject[], kind: string, name: string): KubernetesObject | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.name === name);
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: PodSpec;
}

function podTemplate(object: KubernetesObject): PodTemplate {
  return (object as unknown as { spec: { template: PodTemplate } }).spec.template;
}

/** The pod spec of a Deployment or Job. */
export function podSpec(object: KubernetesObject): PodSpec {
  return podTemplate(object).spec;
}

/** The labels of a Deployment's or Job's pods. */
export function podLabels(object: KubernetesObject): Record<string, string> {
  return podTemplate(object).metadata?.labels ?? {};
}

/** A rendered ConfigMap's or Secret's values (a Secret's data is base64). */
function values(object: KubernetesObject): Record<string, string> {
  const { data = {}, stringData = {} } = object as { data?: Record<string, string>; stringData?: Record<string, string> };
  const decoded =
    object.kind === 'Secret' ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])) : data;
  return { ...decoded, ...stringData };
}

/** The keys and example values of the Secret planner-secrets that overlays expect to find in the cluster. */
export function exampleSecret(): Record<string, string> {
  const text = readFileSync(join(KUBERNETES_DIR, 'planner-secrets.example.env'), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/**
 * The environment a container gets from its envFrom and env, resolved against the rendered ConfigMaps and
 * Secrets. A Secret the render lacks must be planner-secrets, created in the cluster: its example values
 * stand in. Anything else unresolved is returned in `missing`.
 */
export function containerEnv(objects: KubernetesObject[], container: Container): { env: Record<string, string>; missing: string[] } {
  const env: Record<string, string> = {};
  const missing: string[] = [];
  const source = (kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> | undefined => {
    const found = findObject(objects, kind, name);
    if (found) return values(found);
    if (kind === 'Secret' && name === 'planner-secrets') return exampleSecret();
    missing.push(`${kind} ${name}`);
    return undefined;
  };
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef
      ? source('ConfigMap', from.configMapRef.name)
      : from.secretRef
        ? source('Secret', from.secretRef.name)
        : undefined;
    Object.assign(env, ref ?? {});
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.configMapKeyRef ?? variable.valueFrom?.secretKeyRef;
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (ref) {
      const value = source(variable.valueFrom?.configMapKeyRef ? 'ConfigMap' : 'Secret', ref.name)?.[ref.key];
      if (value === undefined) missing.push(`${variable.name} (${ref.name}.${ref.key})`);
      else env[variable.name] = value;
    }
  }
  return { env, missing };
}
