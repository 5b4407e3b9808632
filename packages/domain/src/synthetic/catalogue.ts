import type { Recipe } from '../recipe.ts';
import { CUISINES, DISHES, INGREDIENTS, type IngredientFacts } from './catalogue-data.ts';
import { SeededRandom } from './seeded-random.ts';

/** Share of recipes that are breakfasts: enough that a household with a diet and an allergy still finds 7 distinct ones. */
const BREAKFAST_SHARE = 0.3;

function facts(name: string): IngredientFacts {
  const found = INGREDIENTS[name];
  if (found === undefined) throw new Error(`catalogue data names an unknown ingredient '${name}'`);
  return found;
}

/** Diet tags follow from the ingredients, so a tag can never contradict what is in the dish. */
export function dietTagsFor(ingredients: readonly string[]): string[] {
  const all = ingredients.map(facts);
  const allergens = new Set(all.flatMap((f) => f.allergens));
  const vegetarian = !all.some((f) => f.animal === 'meat') && !allergens.has('fish') && !allergens.has('shellfish');
  const vegan = vegetarian && !allergens.has('dairy') && !allergens.has('egg') && !all.some((f) => f.animal === 'honey');
  const tags: string[] = [];
  if (vegetarian) tags.push('vegetarian');
  if (vegan) tags.push('vegan');
  if (!allergens.has('gluten')) tags.push('gluten_free');
  if (!allergens.has('dairy')) tags.push('dairy_free');
  return tags.sort();
}

export function allergensFor(ingredients: readonly string[]): string[] {
  return [...new Set(ingredients.flatMap((name) => facts(name).allergens))].sort();
}

const titleCase = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * A deterministic recipe catalogue: cuisines in turn, ~30% breakfasts, each
 * recipe drawn from a dish template of its cuisine. Costs come from the
 * ingredients (so meat and fish dishes cost more), prep times from the template.
 */
export function generateCatalogue(seed: number, count = 400): Recipe[] {
  const rng = SeededRandom.derive(seed, 'catalogue');
  const recipes: Recipe[] = [];
  for (let i = 0; i < count; i++) {
    const cuisine = CUISINES[i % CUISINES.length] as (typeof CUISINES)[number];
    const dishes = DISHES[cuisine];
    const template = rng.pick(rng.chance(BREAKFAST_SHARE) ? dishes.breakfast : dishes.main);
    const protein = rng.pick(template.protein);
    const base = rng.pick(template.base);
    const veg = rng.sample(template.veg, rng.int(1, 3));
    const extra = rng.sample(template.extra, rng.int(1, 3));
    const ingredients = [...new Set([protein, base, ...veg, ...extra].filter((name) => name !== ''))];
    const rawCost = ingredients.reduce((sum, name) => sum + facts(name).cost, 0.3) * rng.between(0.9, 1.15);
    const [minPrep, maxPrep] = template.prep;
    const name = template.title.replace('{p}', protein === '' ? 'veggie' : protein.replaceAll('_', ' '));
    recipes.push({
      recipe_id: `r-${String(i + 1).padStart(4, '0')}`,
      title: titleCase(`${name} with ${(veg[0] as string).replaceAll('_', ' ')}`),
      cuisine,
      ingredients,
      allergens: allergensFor(ingredients),
      diet_tags: dietTagsFor(ingredients),
      prep_minutes: Math.max(5, Math.round(rng.int(minPrep, maxPrep) / 5) * 5),
      cost_per_serving: Math.round(rawCost * 100) / 100,
      meal_slots: [...template.slots],
    });
  }
  return recipes;
}
