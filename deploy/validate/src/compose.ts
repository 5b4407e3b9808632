import { join } from 'node:path';
import { runTool } from './go-tools.ts';
import { ROOT } from './tool-cache.ts';

export const COMPOSE_FILE = join(ROOT, 'deploy', 'compose', 'compose.yaml');

/** The parts of a loaded Compose project these checks read. */
export interface ComposeProject {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | null>;
  volumes?: { type: string; source?: string; target: string }[];
  ports?: { target: number; published?: string }[];
  depends_on?: Record<string, { condition: string }>;
}

/**
 * Loads a Compose file as `docker compose config` would (compose-check: the Compose specification's
 * loader, with schema validation and consistency checks), in an environment without the caller's
 * variables, so defaults are what is checked.
 */
export function loadCompose(composeCheck: string, file = COMPOSE_FILE): ComposeProject {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  return JSON.parse(runTool(composeCheck, [file], { env })) as ComposeProject;
}
