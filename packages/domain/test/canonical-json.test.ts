import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalize } from '../src/canonical-json.ts';

test('keys are sorted at every depth; arrays keep their order; undefined members are dropped', () => {
  const value = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, e: undefined };
  assert.equal(JSON.stringify(canonicalize(value)), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
});

test('objects equal up to key order serialise identically', () => {
  assert.equal(JSON.stringify(canonicalize({ x: 1, y: [true] })), JSON.stringify(canonicalize({ y: [true], x: 1 })));
});

test('non-finite numbers and functions are refused', () => {
  assert.throws(() => canonicalize({ a: Number.NaN }), TypeError);
  assert.throws(() => canonicalize({ a: () => 1 }), TypeError);
});
