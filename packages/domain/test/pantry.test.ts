import assert from 'node:assert/strict';
import { test } from 'node:test';
import { daysUntil, pantryStatus } from '../src/pantry.ts';
import { AS_OF } from './fixtures.ts';

test('days until expiry count whole UTC dates from the planning instant', () => {
  // AS_OF is 2026-01-05 12:00 UTC.
  assert.equal(daysUntil('2026-01-05', AS_OF), 0);
  assert.equal(daysUntil('2026-01-08', AS_OF), 3);
  assert.equal(daysUntil('2026-01-04', AS_OF), -1);
  assert.equal(daysUntil('2026-02-01', AS_OF), 27);
});

test('present: positive quantity and not expired; expiring: within 3 days; names normalised', () => {
  const status = pantryStatus(
    {
      household_id: 'hh-000001',
      taken_at: AS_OF,
      items: [
        { ingredient: 'Spinach', quantity: 200, unit: 'g', expires_on: '2026-01-06' },
        { ingredient: 'rice', quantity: 1000, unit: 'g', expires_on: '2026-06-01' },
        { ingredient: 'milk', quantity: 0, unit: 'ml', expires_on: '2026-01-07' },
        { ingredient: 'tomato', quantity: 3, unit: 'pcs', expires_on: '2026-01-04' },
        { ingredient: 'basil', quantity: 20, unit: 'g', expires_on: '2026-01-09' },
        { ingredient: 'spinach', quantity: 100, unit: 'g', expires_on: '2026-01-20' },
      ],
    },
    AS_OF,
  );
  assert.deepEqual(status, { present: ['basil', 'rice', 'spinach'], expiring: ['spinach'] });
});
