import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translateImage } from '../src/translate.js';
import { translateDocument } from './documents.js';

// A stand-in for a generator that accepts only what the document says (multiples of 4, at least 8) and inverts.
const seen = [];
async function strictInvert(planes, height, width) {
  seen.push([height, width]);
  if (height % 4 || width % 4 || height < 8 || width < 8) throw new Error(`graph given ${height}x${width}`);
  return planes.map((value) => 1 - value);
}

const image = (width, height, channels) => ({ width, height, channels, data: Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 29) % 256) });

test('odd and tiny sizes are padded to what the graph accepts and cropped back', async () => {
  for (const [width, height] of [[37, 23], [5, 3], [1, 1], [8, 8]]) {
    const input = image(width, height, 3);
    const out = await translateImage(strictInvert, translateDocument(), input);
    assert.equal(out.data.length, input.data.length);
    assert.deepEqual(Array.from(out.data), Array.from(input.data, (v) => 255 - v));
  }
});

test('alpha passes through; grey stays grey', async () => {
  const rgba = image(10, 9, 4);
  const out = await translateImage(strictInvert, translateDocument(), rgba);
  for (let i = 3; i < out.data.length; i += 4) assert.equal(out.data[i], rgba.data[i]);
  const grey = await translateImage(strictInvert, translateDocument(), image(10, 9, 1));
  assert.equal(grey.channels, 1);
});

test('cross-faded tiles of a pointwise graph equal the whole image; progress and abort', async () => {
  const input = image(50, 41, 3);
  const whole = await translateImage(strictInvert, translateDocument(), input);
  const progress = [];
  seen.length = 0;
  const tiled = await translateImage(strictInvert, translateDocument(), input, { tile: 24, overlap: 8, onProgress: (p) => progress.push(p.done) });
  assert.deepEqual(tiled, whole);
  assert.ok(seen.every(([h, w]) => h <= 24 && w <= 24));
  assert.deepEqual(progress, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(translateImage(strictInvert, translateDocument(), input, { signal: controller.signal }), { name: 'AbortError' });
  await assert.rejects(translateImage(strictInvert, translateDocument({ task: 'superres' }), input), /use upscale\(\)/);
});
