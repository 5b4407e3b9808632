import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pantryStatus } from '../src/pantry.ts';
import { INGREDIENTS } from '../src/synthetic/catalogue-data.ts';
import { pantrySnapshot } from '../src/synthetic/pantry-snapshot.ts';
import { SeededRandom } from '../src/synthetic/seeded-random.ts';
import { AS_OF, constraints, household } from './fixtures.ts';

test('a snapshot is deterministic given its random stream', () => {
  const a = pantrySnapshot(household(), AS_OF, new SeededRandom(1));
  assert.deepEqual(pantrySnapshot(household(), AS_OF, new SeededRandom(1)), a);
  assert.equal(a.household_id, 'hh-000001');
  assert.equal(a.taken_at, AS_OF);
});

test('4–8 items plus one per person, sorted, with known units and plausible quantities', () => {
  for (let seed = 0; seed < 200; seed++) {
    const h = household({ size: (seed % 6) + 1 });
    const p = pantrySnapshot(h, AS_OF, new SeededRandom(seed));
    assert.ok(p.items.length >= 4 + h.size && p.items.length <= 8 + h.size);
    assert.deepEqual(
      p.items.map((i) => i.ingredient),
      [...p.items.map((i) => i.ingredient)].sort(),
    );
    for (const item of p.items) {
      assert.equal(item.unit, INGREDIENTS[item.ingredient]?.unit);
      assert.ok(item.quantity > 0);
      assert.match(item.expires_on, /^\d{4}-\d{2}-\d{2}$/);
    }
  }
});

test('pantries expire: across many snapshots some items are expiring, a few already expired', () => {
  let items = 0;
  let expiring = 0;
  let usable = 0;
  for (let seed = 0; seed < 500; seed++) {
    const p = pantrySnapshot(household(), AS_OF, new SeededRandom(seed));
    const status = pantryStatus(p, AS_OF);
    items += new Set(p.items.map((i) => i.ingredient)).size;
    usable += status.present.length;
    expiring += status.expiring.length;
  }
  assert.ok(expiring / items > 0.1 && expiring / items < 0.35, `expiring share ${expiring / items}`);
  assert.ok(usable < items, 'some items have expired');
});

test('never an allergen or an excluded ingredient of the household', () => {
  const c = constraints({ allergies: ['dairy', 'gluten'], excluded_ingredients: ['mushroom'] });
  for (let seed = 0; seed < 300; seed++) {
    for (const item of pantrySnapshot(household(), AS_OF, new SeededRandom(seed), c).items) {
      assert.notEqual(item.ingredient, 'mushroom');
      assert.ok(!INGREDIENTS[item.ingredient]?.allergens.some((a) => a === 'dairy' || a === 'gluten'), item.ingredient);
    }
  }
});
