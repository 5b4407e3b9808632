import { type Constraints, generateCatalogue, generateHousehold, type Household, type PantrySnapshot, type Recipe } from '@planner/domain';
import pg from 'pg';
import { TrafficError } from './traffic-error.ts';

export interface ProductHousehold {
  household: Household;
  constraints: Constraints;
}

/**
 * The product's own tables (`product.*`), as the planner API reads and
 * writes them: the catalogue and households it serves, and the pantry
 * snapshot taken with each request, which the dataset-builder joins to the
 * plan later. The synthetic world fills in what is missing, so traffic runs
 * on an empty database as well as after `./lifecycle generate`; rows already
 * there win, as a real product's data would.
 */
export class ProductWorld {
  readonly #pool: pg.Pool;

  constructor(databaseUrl: string) {
    this.#pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    // An idle connection dropped by a server restart must not end the process; the next query reconnects.
    this.#pool.on('error', () => undefined);
  }

  async catalogue(seed: number): Promise<Recipe[]> {
    await this.#requireTables();
    const insert = generateCatalogue(seed);
    await this.#pool.query(
      `insert into product.recipes (recipe_id, title, cuisine, ingredients, allergens, diet_tags, prep_minutes, cost_per_serving, meal_slots)
       select r.recipe_id, r.title, r.cuisine,
              array(select jsonb_array_elements_text(r.ingredients)), array(select jsonb_array_elements_text(r.allergens)),
              array(select jsonb_array_elements_text(r.diet_tags)), r.prep_minutes, r.cost_per_serving,
              array(select jsonb_array_elements_text(r.meal_slots))
       from jsonb_to_recordset($1::jsonb) as r(recipe_id text, title text, cuisine text, ingredients jsonb, allergens jsonb,
                                                diet_tags jsonb, prep_minutes int, cost_per_serving float8, meal_slots jsonb)
       where not exists (select 1 from product.recipes)`,
      [JSON.stringify(insert)],
    );
    const { rows } = await this.#pool.query<Recipe>(
      `select recipe_id, title, cuisine, ingredients, allergens, diet_tags, prep_minutes, cost_per_serving, meal_slots
       from product.recipes order by recipe_id`,
    );
    return rows;
  }

  /** Households 0..count−1 of the world `seed` (added when missing), each with its constraints as stored. */
  async households(seed: number, count: number): Promise<ProductHousehold[]> {
    const generated = Array.from({ length: count }, (_, i) => generateHousehold(seed, i));
    const ids = generated.map((g) => g.household.household_id);
    for (let from = 0; from < generated.length; from += 5000) {
      const slice = generated.slice(from, from + 5000);
      await this.#pool.query(
        `insert into product.households (household_id, region, size, segment, created_at)
         select h.household_id, h.region, h.size, h.segment, to_timestamp(h.created_at / 1000.0)
         from jsonb_to_recordset($1::jsonb) as h(household_id text, region text, size int, segment text, created_at bigint)
         on conflict (household_id) do nothing`,
        [JSON.stringify(slice.map((g) => g.household))],
      );
      await this.#pool.query(
        `insert into product.household_constraints (household_id, valid_from, allergies, diet, weekly_budget_usd, max_prep_minutes, excluded_ingredients)
         select c.household_id, h.created_at, array(select jsonb_array_elements_text(c.allergies)), c.diet, c.weekly_budget_usd,
                c.max_prep_minutes, array(select jsonb_array_elements_text(c.excluded_ingredients))
         from jsonb_to_recordset($1::jsonb) as c(household_id text, allergies jsonb, diet text, weekly_budget_usd float8,
                                                 max_prep_minutes int, excluded_ingredients jsonb)
         join product.households h using (household_id)
         where not exists (select 1 from product.household_constraints x where x.household_id = c.household_id)`,
        [JSON.stringify(slice.map((g) => g.constraints))],
      );
    }
    const { rows } = await this.#pool.query(
      `select h.household_id, h.region, h.size, h.segment, h.created_at,
              c.allergies, c.diet, c.weekly_budget_usd, c.max_prep_minutes, c.excluded_ingredients
       from product.households h
       join lateral (
         select * from product.household_constraints c where c.household_id = h.household_id and c.valid_from <= now()
         order by valid_from desc limit 1
       ) c on true
       where h.household_id = any($1::text[])`,
      [ids],
    );
    const byId = new Map(
      rows.map((r) => [
        r.household_id as string,
        {
          household: {
            household_id: r.household_id,
            region: r.region,
            size: r.size,
            segment: r.segment,
            created_at: r.created_at.getTime(),
          },
          constraints: {
            household_id: r.household_id,
            allergies: r.allergies,
            diet: r.diet,
            weekly_budget_usd: r.weekly_budget_usd,
            max_prep_minutes: r.max_prep_minutes,
            excluded_ingredients: r.excluded_ingredients,
          },
        } as ProductHousehold,
      ]),
    );
    return ids.map((id) => {
      const found = byId.get(id);
      if (!found) throw new TrafficError('TRAFFIC_WORLD_MISSING', `household ${id} has no constraints in product.household_constraints`);
      return found;
    });
  }

  /** Stores the snapshots taken for a batch of requests; they must be in before the plans' events are published. */
  async savePantries(snapshots: readonly PantrySnapshot[]): Promise<void> {
    if (snapshots.length === 0) return;
    await this.#pool.query(
      `insert into product.pantry_snapshots (household_id, taken_at, items)
       select p.household_id, to_timestamp(p.taken_at / 1000.0), p.items
       from jsonb_to_recordset($1::jsonb) as p(household_id text, taken_at bigint, items jsonb)
       on conflict (household_id, taken_at) do nothing`,
      [JSON.stringify(snapshots)],
    );
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async #requireTables(): Promise<void> {
    const { rows } = await this.#pool.query(`select to_regclass('product.pantry_snapshots') is not null as present`);
    if (!rows[0]?.present) {
      throw new TrafficError(
        'TRAFFIC_WORLD_MISSING',
        'the product tables (product.recipes, product.households, ...) do not exist in DATABASE_URL: start the dataset-builder once (its migrations create them) or run ./lifecycle generate',
      );
    }
  }
}
