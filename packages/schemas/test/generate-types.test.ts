import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { GENERATED_FILE, renderTypes } from '../src/generate-types.ts';
import { SchemaRegistry } from '../src/schema-registry.ts';

test('events.generated.ts matches the schema files (regenerate with node packages/schemas/src/generate-types.ts)', () => {
  assert.equal(readFileSync(GENERATED_FILE, 'utf8'), renderTypes(SchemaRegistry.load()));
});

test('Avro types map to the TypeScript the bus hands to handlers', () => {
  const text = renderTypes(SchemaRegistry.load());
  assert.match(text, /export type WorkflowType = 'plan_first' \| 'meal_first' \| 'pantry_first';/);
  assert.match(text, / {2}mode: null \| PlanMode;/);
  assert.match(text, / {2}edits: Array<PlanEdit>;/);
  assert.match(text, / {2}'model\.registered': ModelRegistered;/);
});
