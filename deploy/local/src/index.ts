export type { ComponentStatus } from './component.ts';
export { toolsPython } from './components/mlflow.ts';
export { s3Client } from './components/s3.ts';
export { ensureJars } from './jar-cache.ts';
export { javaCommand } from './prerequisites.ts';
export { assertStackReachable, stackDown, stackStatus, stackUp } from './stack.ts';
export { type ComponentName, clientEnv, loadStackConfig, type StackConfig } from './stack-config.ts';
export { StackError } from './stack-error.ts';
export { ensureTopics, projectTopics, type TopicSpec } from './topics.ts';
