import { join } from 'node:path';
import * as keda from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { DeployValidateError } from './deploy-validate-error.ts';
import { runTool } from './go-tools.ts';
import type { KubernetesObject } from './manifests.ts';
import { cachedTool, contentKey, requireCommand, runInstallStep } from './tool-cache.ts';

const REQUIREMENTS = join(import.meta.dirname, 'requirements.txt');
const VALIDATOR = join(import.meta.dirname, 'validate_kubernetes.py');

/**
 * The Kubernetes versions every object is checked against: the oldest minor version the manifests
 * support and the newest kubernetes-validate has schemas for, so neither a field too new for the
 * first nor an API removed by the second goes unnoticed.
 */
export const KUBERNETES_VERSIONS = ['1.33', '1.37'] as const;

export interface SchemaProblem {
  /** Where in the object, slash-separated ('' for the object itself). */
  path: string;
  message: string;
}

/**
 * A virtualenv with kubernetes-validate (requirements.txt), made once per machine from PyPI. Only its
 * bin/python is used: the scripts beside it name the temporary folder it was installed in.
 */
export function ensureKubernetesValidate(): string {
  const python = process.env.PL_PYTHON || 'python3';
  return cachedTool(`kubernetes-validate-${contentKey([REQUIREMENTS])}`, join('bin', 'python'), (folder) => {
    requireCommand(python, ['-c', 'import venv, ensurepip'], 'kubernetes-validate', 'install Python 3.9+ with venv, or set PL_PYTHON');
    runInstallStep(python, ['-m', 'venv', folder]);
    runInstallStep(join(folder, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '--no-deps', '-r', REQUIREMENTS]);
  });
}

/**
 * Checks built-in kinds against the Kubernetes schemas (strict: unknown fields fail) with
 * kubernetes-validate, and KEDA kinds against the KEDA API's schemas as @kubernetes-models/keda ships
 * them, which check types, required fields and enumerations but let unknown fields pass.
 * Returns one entry per object: undefined when valid.
 */
export function validateObjects(python: string, objects: KubernetesObject[], version: string): (SchemaProblem | undefined)[] {
  const builtIn = objects.map((o, i) => ({ o, i })).filter(({ o }) => !o.apiVersion.startsWith('keda.sh/'));
  const results: (SchemaProblem | undefined)[] = objects.map((o) => (o.apiVersion.startsWith('keda.sh/') ? validateKeda(o) : undefined));
  const output = runTool(python, [VALIDATOR, version], { input: JSON.stringify(builtIn.map(({ o }) => o)) });
  const checked = JSON.parse(output) as (SchemaProblem | null)[];
  if (checked.length !== builtIn.length) {
    throw new DeployValidateError('TOOL_FAILED', `kubernetes-validate answered for ${checked.length} of ${builtIn.length} objects`);
  }
  builtIn.forEach(({ i }, n) => {
    results[i] = checked[n] ?? undefined;
  });
  return results;
}

const KEDA_KINDS: Record<string, (new (data: never) => { validate(): void }) | undefined> = {
  ScaledObject: keda.ScaledObject,
  ScaledJob: keda.ScaledJob,
  TriggerAuthentication: keda.TriggerAuthentication,
  ClusterTriggerAuthentication: keda.ClusterTriggerAuthentication,
};

function validateKeda(object: KubernetesObject): SchemaProblem | undefined {
  const model = object.apiVersion === 'keda.sh/v1alpha1' ? KEDA_KINDS[object.kind] : undefined;
  if (!model) return { path: '', message: `no KEDA schema for ${object.apiVersion} ${object.kind}` };
  try {
    new model(object as never).validate();
    return undefined;
  } catch (error) {
    // The message lists every error ('data/spec/... must be ...'); the path is the first one's.
    const first = (error as { errors?: { instancePath?: string }[] }).errors?.[0];
    return { path: (first?.instancePath ?? '').replace(/^\//, ''), message: (error as Error).message };
  }
}
