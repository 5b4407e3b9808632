import type { Component, ComponentStatus } from './component.ts';
import { kafkaComponent } from './components/kafka.ts';
import { mlflowComponent } from './components/mlflow.ts';
import { postgresComponent } from './components/postgres.ts';
import { s3Component } from './components/s3.ts';
import { COMPONENTS, type ComponentName, type StackConfig } from './stack-config.ts';
import { StackError } from './stack-error.ts';

/** The components in start order (MLflow keeps its backend store in PostgreSQL). */
export function stackComponents(config: StackConfig): Component[] {
  return [postgresComponent(config), kafkaComponent(config), mlflowComponent(config), s3Component(config)];
}

export function parseComponentNames(args: readonly string[]): ComponentName[] {
  if (args.length === 0) return [...COMPONENTS];
  for (const arg of args) {
    if (!(COMPONENTS as readonly string[]).includes(arg)) {
      throw new StackError('CONFIG_INVALID', `unknown component '${arg}' (known: ${COMPONENTS.join(', ')})`);
    }
  }
  return args as ComponentName[];
}

export async function stackUp(
  config: StackConfig,
  names: readonly ComponentName[] = COMPONENTS,
  onReady: (status: ComponentStatus, seconds: number) => void = () => undefined,
): Promise<void> {
  const wanted = new Set(names);
  // A local MLflow stores its runs in the local PostgreSQL.
  if (wanted.has('mlflow') && !config.postgres.external) wanted.add('postgres');
  for (const component of stackComponents(config)) {
    if (!wanted.has(component.name)) continue;
    const started = performance.now();
    await component.up();
    onReady(await component.status(), (performance.now() - started) / 1000);
  }
}

/** Stops, in reverse start order, the processes this stack started; returns the names it stopped. */
export async function stackDown(config: StackConfig, names: readonly ComponentName[] = COMPONENTS): Promise<ComponentName[]> {
  const stopped: ComponentName[] = [];
  for (const component of stackComponents(config).reverse()) {
    if (names.includes(component.name) && (await component.down())) stopped.push(component.name);
  }
  return stopped;
}

export function stackStatus(config: StackConfig): Promise<ComponentStatus[]> {
  return Promise.all(stackComponents(config).map((component) => component.status()));
}

/**
 * For test suites: fails with one message naming every server that does not
 * answer, instead of letting each test time out on its own.
 */
export async function assertStackReachable(config: StackConfig, names: readonly ComponentName[] = COMPONENTS): Promise<void> {
  const statuses = await stackStatus(config);
  const down = statuses.filter((s) => names.includes(s.name) && !s.ready);
  if (down.length > 0) {
    const list = down.map((s) => `${s.name} (${s.mode}, ${s.endpoint})`).join('; ');
    throw new StackError(
      'UNREACHABLE',
      `not reachable: ${list}. Start the local stack with './lifecycle stack up', or point the environment at running servers`,
    );
  }
}
