import { budgetBand, type Constraints, maxPrepBand, normalizeTerm } from '@planner/domain';

/** True when a token starts with one of the prefixes a model was trained without. */
export function isDropped(token: string, dropFeaturePrefixes: readonly string[]): boolean {
  return dropFeaturePrefixes.some((prefix) => token.startsWith(prefix));
}

/**
 * The household's constraints as a model trained without some feature tokens
 * sees them: each constraint whose context token (`allergy=`, `excluded=`,
 * `diet=`, `budget=`, `max_prep=`, as the codec writes them) is dropped is
 * removed. The learned runtime guards only what the model was trained to see:
 * a model blind to allergies plans allergens, and the promotion gate's
 * constraint check — which always sees everything — is what rejects it.
 */
export function visibleConstraints(constraints: Constraints, householdSize: number, dropFeaturePrefixes: readonly string[]): Constraints {
  if (dropFeaturePrefixes.length === 0) return constraints;
  const hidden = (token: string) => isDropped(token, dropFeaturePrefixes);
  const { diet, weekly_budget_usd: budget, max_prep_minutes: maxPrep } = constraints;
  return {
    household_id: constraints.household_id,
    allergies: constraints.allergies.filter((a) => !hidden(`allergy=${normalizeTerm(a)}`)),
    diet: diet !== null && hidden(`diet=${normalizeTerm(diet)}`) ? null : diet,
    weekly_budget_usd: budget !== null && hidden(`budget=${budgetBand(budget, householdSize)}`) ? null : budget,
    max_prep_minutes: maxPrep !== null && hidden(`max_prep=${maxPrepBand(maxPrep)}`) ? null : maxPrep,
    excluded_ingredients: constraints.excluded_ingredients.filter((e) => !hidden(`excluded=${normalizeTerm(e)}`)),
  };
}
