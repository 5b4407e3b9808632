import type { Component, ComponentStatus } from './component.ts';
import { kafkaComponent } from './components/kafka.ts';
import { mlflowComponent } from './components/mlflow.ts';
import { postgresComponent } from './components/postgres.ts';
import { prometheusComponent } from './components/prometheus.ts';
import { s3Component } from './components/s3.ts';
import { ALL_COMPONENTS, COMPONENTS, type ComponentName, OPTIONAL_COMPONENTS, type StackConfig } from './stack-config.ts';
import { StackError } from './stack-error.ts';

/** The components in start order (MLflow keeps its backend store in PostgreSQL; Prometheus watches the rest). */
export function stackComponents(config: StackConfig): Component[] {
  return [postgresComponent(config), kafkaComponent(config), mlflowComponent(config), s3Component(config), prometheusComponent(config)];
}

/** The components named on the command line, or `fallback` when none is. */
export function parseComponentNames(args: readonly string[], fallback: readonly ComponentName[] = COMPONENTS): ComponentName[] {
  if (args.length === 0) return [...fallback];
  for (const arg of args) {
    if (!(ALL_COMPONENTS as readonly string[]).includes(arg)) {
      throw new StackError('CONFIG_INVALID', `unknown component '${arg}' (known: ${ALL_COMPONENTS.join(', ')})`);
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

/**
 * The status of `names`; by default of the lifecycle's servers, plus an
 * optional one when it runs (a Prometheus nobody started is not "down").
 */
export async function stackStatus(config: StackConfig, names?: readonly ComponentName[]): Promise<ComponentStatus[]> {
  const statuses = await Promise.all(
    stackComponents(config)
      .filter((component) => names === undefined || names.includes(component.name))
      .map((component) => component.status()),
  );
  if (names !== undefined) return statuses;
  return statuses.filter((s) => !OPTIONAL_COMPONENTS.includes(s.name) || s.pid !== undefined || s.mode === 'external');
}

/**
 * For test suites: fails with one message naming every server that does not
 * answer, instead of letting each test time out on its own.
 */
export async function assertStackReachable(config: StackConfig, names: readonly ComponentName[] = COMPONENTS): Promise<void> {
  const down = (await stackStatus(config, names)).filter((s) => !s.ready);
  if (down.length > 0) {
    const list = down.map((s) => `${s.name} (${s.mode}, ${s.endpoint})`).join('; ');
    throw new StackError(
      'UNREACHABLE',
      `not reachable: ${list}. Start the local stack with './lifecycle stack up', or point the environment at running servers`,
    );
  }
}
