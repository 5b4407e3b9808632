import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogBuffer } from '../src/log-buffer.ts';

test('keeps the last characters, gives the last lines, and says when output arrived', () => {
  const log = new LogBuffer(10);
  assert.equal(log.takeChanged(), false);
  log.append('epoch 1\n');
  log.append('epoch 2\n');
  assert.equal(log.text, '1\nepoch 2\n');
  assert.equal(log.tail(1), 'epoch 2');
  assert.equal(log.takeChanged(), true);
  assert.equal(log.takeChanged(), false);
});
