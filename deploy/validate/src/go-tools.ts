import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DeployValidateError } from './deploy-validate-error.ts';
import { cachedTool, contentKey, ROOT, requireCommand, runInstallStep } from './tool-cache.ts';

/** kustomize from its Go module; v5.8.3 and later need a newer Go than 1.26. */
export const KUSTOMIZE = { module: 'sigs.k8s.io/kustomize/kustomize/v5', version: 'v5.8.2' } as const;

const COMPOSE_CHECK_DIR = join(ROOT, 'deploy', 'validate', 'compose-check');

/** Modules come from the Go module proxy; the local toolchain is used as it is, never replaced by a download. */
function goEnv(): NodeJS.ProcessEnv {
  requireCommand('go', ['version'], 'Building kustomize and compose-check', 'install Go 1.24 or later');
  return { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
}

/** The kustomize binary, built once per machine from the Go module proxy (a few minutes on two cores). */
export function ensureKustomize(): string {
  return cachedTool(`kustomize-${KUSTOMIZE.version}`, 'kustomize', (folder) => {
    runInstallStep('go', ['install', '-trimpath', `${KUSTOMIZE.module}@${KUSTOMIZE.version}`], {
      env: { ...goEnv(), GOBIN: folder, GOFLAGS: '-mod=mod' },
    });
  });
}

/** compose-check (compose-check/main.go), rebuilt when its sources or pinned modules change. */
export function ensureComposeCheck(): string {
  const key = contentKey(['go.mod', 'go.sum', 'main.go'].map((f) => join(COMPOSE_CHECK_DIR, f)));
  return cachedTool(`compose-check-${key}`, 'compose-check', (folder) => {
    runInstallStep('go', ['build', '-trimpath', '-o', join(folder, 'compose-check'), '.'], {
      cwd: COMPOSE_CHECK_DIR,
      env: { ...goEnv(), GOFLAGS: '-mod=readonly' },
    });
  });
}

/** Runs a tool on its input; a refusal throws with the tool's own message. */
export function runTool(tool: string, args: string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const result = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw new DeployValidateError('TOOL_FAILED', `could not run ${tool}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new DeployValidateError('TOOL_FAILED', `${tool} ${args.join(' ')} failed: ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result.stdout;
}
