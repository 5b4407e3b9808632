export { isStub, letterPosition, listDeadLetters, REDRIVEN_FROM_HEADER, redrivenMessage } from './dead-letters.ts';
export { messageToJson } from './message-json.ts';
export { type RedriveOptions, type RedriveResult, redrive, type SkippedLetter } from './redrive.ts';
export { BATCH_BOUNDS, type BatchBounds, redriveBatches } from './redrive-batches.ts';
export { type RedrivePort, type RedriveRequest, type RedriveSummary, redriveDeadLetters } from './redrive-dead-letters.ts';
export { groupProgress, type ProgressPort, type RedriveProgress, redriveGroup } from './redrive-progress.ts';
export { type ReplayPlan, replayGroup } from './replay-group.ts';
export { TopicCliError } from './topic-cli-error.ts';
