/** Normalised spellings seen so far: the same few hundred terms recur millions of times in a generated world. */
const seen = new Map<string, string>();
const SEEN_LIMIT = 10_000;

/**
 * The one spelling of a free-text domain term (ingredient, allergen, diet,
 * cuisine): lower case, runs of anything but letters and digits become `_`.
 * Tables typed by people say "Pine nut" or "pine-nut"; tokens, the checker and
 * the baseline must all agree that these are `pine_nut`.
 */
export function normalizeTerm(value: string): string {
  let term = seen.get(value);
  if (term === undefined) {
    term = value
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '');
    if (seen.size >= SEEN_LIMIT) seen.clear();
    seen.set(value, term);
  }
  return term;
}
