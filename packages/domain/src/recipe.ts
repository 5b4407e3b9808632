import type { MealSlot } from '@planner/schemas';

/** Allergens the product tracks; recipes list the ones their ingredients carry. */
export const ALLERGENS = ['peanut', 'tree_nut', 'dairy', 'egg', 'gluten', 'shellfish', 'fish', 'soy', 'sesame'] as const;

/** Diet tags a recipe can carry; a household's `diet` names one of them. */
export const DIET_TAGS = ['vegetarian', 'vegan', 'gluten_free', 'dairy_free'] as const;

export interface Recipe {
  recipe_id: string;
  title: string;
  cuisine: string;
  ingredients: string[];
  allergens: string[];
  diet_tags: string[];
  prep_minutes: number;
  /** USD per person served. */
  cost_per_serving: number;
  /** The slots the recipe may be planned in. */
  meal_slots: MealSlot[];
}
