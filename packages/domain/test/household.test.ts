import assert from 'node:assert/strict';
import { test } from 'node:test';
import { segmentOf, sizeBand } from '../src/household.ts';

test('size bands: 1 single, 2 couple, 3–4 family, 5–6 large', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(sizeBand), ['single', 'couple', 'family', 'family', 'large', 'large']);
});

test('a segment is region and size band', () => {
  assert.equal(segmentOf('north', 3), 'north-family');
  assert.equal(segmentOf('west', 6), 'west-large');
});
