import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvCell } from '../src/copy-writer.ts';

test('CSV cells for COPY: NULL, text, numbers, times, text arrays and JSON text', () => {
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(''), '""');
  assert.equal(csvCell('say "hi", ok'), '"say ""hi"", ok"');
  assert.equal(csvCell(3.5), '3.5');
  assert.equal(csvCell(new Date(Date.UTC(2026, 10, 26, 12))), '2026-11-26T12:00:00.000Z');
  assert.equal(csvCell(['tree nut', 'a,b']), '"{""tree nut"",""a,b""}"');
  assert.equal(csvCell([]), '"{}"');
  assert.equal(csvCell(JSON.stringify({ days: [{ day: 0 }] })), '"{""days"":[{""day"":0}]}"');
});
