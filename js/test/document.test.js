import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GansuiteError, readDocument, tileGeometry } from '../src/document.js';
import { superresDocument } from './documents.js';


const rejects = (text, pattern) => assert.throws(() => readDocument(text, 'm.onnx.json'), (error) => {
  assert.ok(error instanceof GansuiteError);
  assert.match(error.message, /^m\.onnx\.json: /);
  assert.match(error.message, pattern);
  assert.ok(!error.message.includes('\n'));
  return true;
});

test('a gansuite document is read', () => {
  assert.equal(readDocument(JSON.stringify(superresDocument()), 'x').scale, 2);
});

test('bad documents are refused in one line naming the file', () => {
  rejects('{"schema": ', /not JSON/);
  rejects('[]', /not a gansuite-model\/1 model document/);
  rejects(JSON.stringify({ ...superresDocument(), schema: 'gansuite-onnx/1' }), /not a gansuite-model\/1/);
  rejects(JSON.stringify(superresDocument({ scale: 0 })), /scale 0 is not an integer in 1\.\.16/);
  rejects(JSON.stringify(superresDocument({ scale: '4' })), /scale "4"/);
  rejects(JSON.stringify(superresDocument({ input_range: [1, 0] })), /input_range \[1,0\] is not \[low, high\]/);
  rejects(JSON.stringify(superresDocument({ tile_overlap: undefined })), /tile_overlap undefined/);
  rejects(JSON.stringify(superresDocument({ alpha_rule: 'premultiplied' })), /alpha_rule/);
  rejects(JSON.stringify(superresDocument({ input_size: [0, 64] })), /input_size/);
  rejects(' '.repeat((1 << 20) + 1), /larger than/);
});

test('tile geometry rounds to the tile multiple and honours a fixed input size', () => {
  assert.deepEqual(tileGeometry(superresDocument({ tile_overlap: 5, tile_multiple: 4 }), 30), { tileHeight: 32, tileWidth: 32, pad: 8 });
  assert.deepEqual(tileGeometry(superresDocument(), undefined), { tileHeight: 256, tileWidth: 256, pad: 3 });
  assert.deepEqual(tileGeometry(superresDocument(), 0), { tileHeight: 0, tileWidth: 0, pad: 3 });
  assert.deepEqual(tileGeometry(superresDocument({ input_size: [64, 48] }), 999), { tileHeight: 58, tileWidth: 42, pad: 3 });
  assert.throws(() => tileGeometry(superresDocument(), -1), /tile -1: expected a whole number/);
});
