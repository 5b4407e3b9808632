import { join } from 'node:path';
import type { ComponentName, StackConfig } from './stack-config.ts';

export interface ComponentStatus {
  name: ComponentName;
  /** 'local' when the stack runs it, 'external' when an environment variable points elsewhere. */
  mode: 'local' | 'external';
  endpoint: string;
  pid?: number;
  ready: boolean;
}

/** One real server of the local stack. `up` is idempotent; `down` stops only what `up` started. */
export interface Component {
  name: ComponentName;
  up(): Promise<void>;
  down(): Promise<boolean>;
  status(): Promise<ComponentStatus>;
}

/** Where a component keeps its state: one folder per component under the stack folder. */
export function componentPaths(config: StackConfig, name: ComponentName) {
  return {
    home: join(config.stackDir, name),
    logFile: join(config.stackDir, 'logs', `${name}.log`),
    pidFile: join(config.stackDir, 'run', `${name}.pid`),
  };
}
