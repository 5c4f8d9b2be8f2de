// upscale() with a pure-JS stand-in for the graph: a 3x3 box blur then nearest x2 (receptive radius 1, so a
// document tile_overlap of 1 or more makes tiles exact, as a real export's does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { upscaleImage } from '../src/upscale.js';
import { resizeBicubic } from '../src/bicubic.js';
import { superresDocument } from './documents.js';

const calls = [];
async function blurThenNearest(planes, height, width) {
  calls.push([height, width]);
  const out = new Float32Array(3 * height * 2 * width * 2);
  for (let c = 0; c < 3; c++) for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    let sum = 0;
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      const yy = y + dy, xx = x + dx;
      if (yy >= 0 && yy < height && xx >= 0 && xx < width) sum += planes[(c * height + yy) * width + xx]; // zero padding, as a conv
    }
    for (let sy = 0; sy < 2; sy++) for (let sx = 0; sx < 2; sx++) out[(c * height * 2 + 2 * y + sy) * width * 2 + 2 * x + sx] = sum / 9 * 1.5 - 0.1;
  }
  return out;
}

const image = (width, height, channels, value = (i) => (i * 37 + (i >> 3)) % 256) =>
  ({ width, height, channels, data: Uint8Array.from({ length: width * height * channels }, (_, i) => value(i)) });

test('tiles with the document context equal the whole image', async () => {
  const input = image(23, 17, 3);
  const whole = await upscaleImage(blurThenNearest, superresDocument(), input, { tile: 0 });
  for (const tile of [4, 5, 16]) assert.deepEqual(await upscaleImage(blurThenNearest, superresDocument(), input, { tile }), whole);
  const noContext = await upscaleImage(blurThenNearest, superresDocument({ tile_overlap: 0 }), input, { tile: 5 });
  assert.notDeepEqual(noContext.data, whole.data); // the context is what makes them equal
});

test('a fixed-size graph is fed windows of exactly its size and still equals the whole image', async () => {
  const input = image(30, 21, 3);
  const whole = await upscaleImage(blurThenNearest, superresDocument(), input, { tile: 0 });
  calls.length = 0;
  const fixed = await upscaleImage(blurThenNearest, superresDocument({ input_size: [12, 10] }), input, {});
  assert.ok(calls.length > 1 && calls.every(([h, w]) => h === 12 && w === 10));
  assert.deepEqual(fixed, whole);
});

test('grey stays grey, alpha is bicubic (as OpenCV) or opaque stays opaque', async () => {
  const grey = await upscaleImage(blurThenNearest, superresDocument(), image(9, 7, 1), {});
  assert.equal(grey.channels, 1);
  assert.equal(grey.data.length, 18 * 14);
  const rgba = image(9, 7, 4);
  const out = await upscaleImage(blurThenNearest, superresDocument(), rgba, {});
  const alpha = Uint8Array.from({ length: 63 }, (_, i) => rgba.data[4 * i + 3]);
  const expected = resizeBicubic(alpha, 9, 7, 18, 14);
  assert.deepEqual(Uint8Array.from({ length: 18 * 14 }, (_, i) => out.data[4 * i + 3]), expected);
  const opaque = await upscaleImage(blurThenNearest, superresDocument(), image(9, 7, 4, (i) => (i % 4 === 3 ? 255 : i % 256)), {});
  assert.ok(Array.from({ length: 18 * 14 }, (_, i) => opaque.data[4 * i + 3]).every((v) => v === 255));
  // An RGBA image whose channels are equal (a grey PNG through a canvas) is treated as grey: equal outputs.
  const canvasGrey = await upscaleImage(blurThenNearest, superresDocument(), image(9, 7, 4, (i) => (i % 4 === 3 ? 255 : (i >> 2) * 3)), {});
  for (let i = 0; i < 18 * 14; i++) assert.ok(canvasGrey.data[4 * i] === canvasGrey.data[4 * i + 1] && canvasGrey.data[4 * i] === canvasGrey.data[4 * i + 2]);
});

test('progress counts every tile of every pass; an AbortSignal stops between tiles', async () => {
  const seen = [];
  const rgba = image(20, 20, 4);
  await upscaleImage(blurThenNearest, superresDocument(), rgba, { tile: 10, alpha: 'model', onProgress: (p) => seen.push(`${p.done}/${p.total}`) });
  assert.deepEqual(seen, ['1/8', '2/8', '3/8', '4/8', '5/8', '6/8', '7/8', '8/8']);
  const controller = new AbortController();
  const onProgress = ({ done }) => { if (done === 2) controller.abort(); };
  calls.length = 0;
  await assert.rejects(upscaleImage(blurThenNearest, superresDocument(), rgba, { tile: 10, onProgress, signal: controller.signal }), { name: 'AbortError' });
  assert.equal(calls.length, 2);
});

test('bicubic alpha is bit-exact with OpenCV 5.1 INTER_CUBIC at x4', () => {
  // cv2.resize(np.array([[0,255,30],[200,10,255]], np.uint8), (12, 8), interpolation=cv2.INTER_CUBIC)
  const expected = [0, 0, 13, 106, 203, 255, 255, 216, 125, 37, 0, 0, 0, 0, 18, 106, 198, 255, 255, 211, 126, 44, 0, 0, 0, 6, 44, 108, 174, 220, 226, 189, 131, 74, 41, 34, 62, 65, 83, 110, 139, 161, 168, 157, 137, 118, 107, 105, 131, 130, 124, 112, 101, 96, 104, 122, 145, 166, 179, 182, 195, 189, 162, 114, 66, 37, 46, 90, 151, 210, 246, 253, 239, 230, 188, 116, 42, 0, 6, 68, 156, 240, 255, 255, 248, 239, 194, 116, 37, 0, 0, 64, 157, 246, 255, 255];
  assert.deepEqual(Array.from(resizeBicubic(Uint8Array.from([0, 255, 30, 200, 10, 255]), 3, 2, 12, 8)), expected);
});

test('bad images and options are refused in one line', async () => {
  const run = blurThenNearest;
  await assert.rejects(upscaleImage(run, superresDocument(), { width: 4, height: 4, data: new Uint8Array(15) }), /15 values for 4x4 pixels/);
  await assert.rejects(upscaleImage(run, superresDocument(), { width: 1, height: 4, data: new Uint8Array(12) }), /1x4 pixels is too small/);
  await assert.rejects(upscaleImage(run, superresDocument(), image(4, 4, 3), { tile: 2.5 }), /tile 2\.5/);
  await assert.rejects(upscaleImage(run, superresDocument(), image(4, 4, 3), { alpha: 'x' }), /alpha "x"/);
  await assert.rejects(upscaleImage(run, superresDocument({ task: 'translate' }), image(4, 4, 3)), /use translate\(\)/);
  await assert.rejects(upscaleImage(async () => new Float32Array(3 * 64).fill(NaN), superresDocument(), image(4, 4, 3)), /NaN/);
});
