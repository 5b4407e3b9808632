export { listDeadLetters, redrive } from './dead-letters.ts';
export { messageToJson } from './message-json.ts';
export { type ReplayPlan, replayGroup } from './replay-group.ts';
export { TopicCliError } from './topic-cli-error.ts';
