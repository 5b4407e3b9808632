/** A household's hard constraints, as stored; a plan that breaks any of them fails the constraint gate. */
export interface Constraints {
  household_id: string;
  /** Allergen names (see ALLERGENS); a recipe listing one of them is forbidden. */
  allergies: string[];
  /** A diet tag every planned recipe must carry (see DIET_TAGS), or null. */
  diet: null | string;
  /** Ceiling on the week's food cost: Σ cost_per_serving × household size over planned meals. */
  weekly_budget_usd: null | number;
  /** Ceiling on any one recipe's prep time. */
  max_prep_minutes: null | number;
  /** Ingredients the household never wants to see. */
  excluded_ingredients: string[];
}
