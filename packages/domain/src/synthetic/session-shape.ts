import type { PlanMode, WorkflowType } from '@planner/schemas';
import { SeededRandom } from './seeded-random.ts';

const WORKFLOW_WEIGHTS: ReadonlyArray<readonly [WorkflowType, number]> = [
  ['plan_first', 0.5],
  ['meal_first', 0.3],
  ['pantry_first', 0.2],
];
const MODE_WEIGHTS: ReadonlyArray<readonly [PlanMode, number]> = [
  ['autopilot', 0.45],
  ['exploratory', 0.3],
  ['constrained', 0.25],
];
/** A household sticks to its habitual workflow and mode most weeks; the product does not always know the mode. */
const HABIT_STICKINESS = 0.75;
const UNKNOWN_MODE = 0.15;

export interface SessionShape {
  workflow: WorkflowType;
  mode: null | PlanMode;
}

/**
 * The workflow and mode of one planning session of household `index` in the
 * world `seed`: its habits (a stream of their own) most weeks, otherwise
 * drawn from `session`, the session's stream, which this advances.
 */
export function sessionShape(seed: number, index: number, session: SeededRandom): SessionShape {
  const habits = SeededRandom.derive(seed, 'habits', index);
  const habitualWorkflow = habits.weighted(WORKFLOW_WEIGHTS);
  const habitualMode = habits.weighted(MODE_WEIGHTS);
  const workflow = session.chance(HABIT_STICKINESS) ? habitualWorkflow : session.weighted(WORKFLOW_WEIGHTS);
  const mode = session.chance(UNKNOWN_MODE) ? null : session.chance(HABIT_STICKINESS) ? habitualMode : session.weighted(MODE_WEIGHTS);
  return { workflow, mode };
}
