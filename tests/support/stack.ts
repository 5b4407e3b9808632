import { before } from 'node:test';
import { assertStackReachable, type ComponentName, loadStackConfig, type StackConfig } from '@planner/local-stack';

/**
 * The stack the suites run against: the local one, or the servers the
 * environment names. A suite that calls this fails at once, naming every
 * server that does not answer; it never skips.
 */
export function useStack(...components: ComponentName[]): StackConfig {
  const config = loadStackConfig();
  before(() => assertStackReachable(config, components));
  return config;
}

/** A name no other run of the suite uses, so suites can share one stack. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
