import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeTerm } from '../src/term.ts';

test('terms are lower case with one underscore for any run of other characters, none at the ends', () => {
  assert.equal(normalizeTerm('Pine nut'), 'pine_nut');
  assert.equal(normalizeTerm('pine-nut'), 'pine_nut');
  assert.equal(normalizeTerm('  Gluten--Free! '), 'gluten_free');
  assert.equal(normalizeTerm('tree_nut'), 'tree_nut');
  assert.equal(normalizeTerm('Crème fraîche'), 'cr_me_fra_che');
});
