import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DISLIKE_THRESHOLD,
  hiddenPreferenceScore,
  personalTaste,
  REGION_TASTES,
  segmentPreference,
} from '../src/synthetic/hidden-preferences.ts';
import { household, recipe } from './fixtures.ts';

const near = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} vs ${expected}`);

test('a north family likes a cheap, quick Italian dish: +1.0 favourite +0.3 cheap +0.2 quick', () => {
  const h = household({ region: 'north', size: 3, segment: 'north-family' });
  const r = recipe({ recipe_id: 'r-1', cuisine: 'italian', cost_per_serving: 2.5, prep_minutes: 15 });
  near(segmentPreference('north', 'family', r), 1.5);
  near(hiddenPreferenceScore(h, r), 1.5 + personalTaste(h.household_id, 'italian'));
});

test('a large western household dislikes an expensive, long American dish: −1.5 −0.8 −0.8', () => {
  const r = recipe({ recipe_id: 'r-2', cuisine: 'american', cost_per_serving: 7, prep_minutes: 60 });
  near(segmentPreference('west', 'large', r), -3.1);
  assert.ok(hiddenPreferenceScore(household({ region: 'west', size: 6, segment: 'west-large' }), r) < DISLIKE_THRESHOLD);
});

test('small households accept long prep: a couple even likes it (+0.2), a single is indifferent', () => {
  const long = recipe({ recipe_id: 'r-3', cuisine: 'thai', cost_per_serving: 4, prep_minutes: 90 });
  near(segmentPreference('north', 'couple', long), 0.2);
  near(segmentPreference('north', 'single', long), 0);
  near(segmentPreference('north', 'family', long), -0.4);
});

test('personal taste is stable per household and cuisine, within ±0.3', () => {
  assert.equal(personalTaste('hh-000001', 'thai'), personalTaste('hh-000001', 'Thai'));
  const values = Array.from({ length: 2000 }, (_, i) => personalTaste(`hh-${i}`, 'thai'));
  assert.ok(values.every((v) => v >= -0.3 && v < 0.3));
  assert.ok(new Set(values).size > 1900);
});

test('each region has two favourite cuisines and one it dislikes, all different', () => {
  for (const taste of Object.values(REGION_TASTES)) {
    assert.equal(taste.favourites.length, 2);
    assert.ok(!taste.favourites.includes(taste.disliked));
  }
});
