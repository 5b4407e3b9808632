import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CodedError } from '../src/coded-error.ts';

class WidgetError extends CodedError<'WIDGET_BROKEN'> {}

test('a subclass keeps its own name, its code and its cause', () => {
  const cause = new Error('underneath');
  const error = new WidgetError('WIDGET_BROKEN', 'the widget broke', { cause });
  assert.ok(error instanceof CodedError);
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'WidgetError');
  assert.equal(error.code, 'WIDGET_BROKEN');
  assert.equal(error.message, 'the widget broke');
  assert.equal(error.cause, cause);
});
