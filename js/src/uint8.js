// Image-in, image-out graphs (`superres export --io uint8`): uint8 HxWx4 RGBA in, uint8 (H*s)x(W*s)x4 out, with the
// network's scaling, grey, alpha, clamping and rounding inside the graph. They run on whole images (their document
// says whole_image): the graph decides grey from what it is given, so a grey tile of a colour image would be
// averaged. Here: any 1-4 channel image becomes RGBA, and the result goes back to the input's channels.
import { GansuiteError } from './document.js';
import { describeImage, toRgba } from './pixels.js';
import { progressCounter } from './upscale.js';

function fromRgba(rgba, count, channels) {
  const out = new Uint8ClampedArray(count * channels);
  const pick = channels === 1 ? [0] : channels === 2 ? [0, 3] : channels === 3 ? [0, 1, 2] : [0, 1, 2, 3];
  for (let i = 0; i < count; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = rgba[4 * i + pick[c]];
  return out;
}

/**
 * Translate with a uint8 graph: the whole image, edge-padded right and bottom to the graph's minimum size.
 * @param {(rgba: Uint8Array, height: number, width: number) => Promise<Uint8Array>} run the graph on HxWx4
 */
export async function translateWithUint8Graph(run, document, image, options = {}) {
  if (document.task !== 'translate') throw new GansuiteError(`this is a ${document.task} model: use upscale(), not translate()`);
  const info = describeImage(image, options);
  const { width, height } = info;
  const minimum = document.graph_min_size, h = Math.max(height, minimum), w = Math.max(width, minimum);
  const rgba = toRgba(info), padded = new Uint8Array(h * w * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const source = (Math.min(y, height - 1) * width + Math.min(x, width - 1)) * 4;
    padded.set(rgba.subarray(source, source + 4), (y * w + x) * 4);
  }
  const progress = progressCounter(1, options);
  progress.check();
  const result = await run(padded, h, w);
  progress.tick();
  const cropped = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) cropped.set(result.subarray(y * w * 4, (y * w + width) * 4), y * width * 4);
  return { width, height, channels: info.channels, data: fromRgba(cropped, width * height, info.channels) };
}

/**
 * Upscale with a uint8 graph.
 * @param {(rgba: Uint8Array, height: number, width: number) => Promise<Uint8Array>} run the graph on HxWx4
 */
export async function upscaleWithUint8Graph(run, document, image, options = {}) {
  if (document.task !== 'superres') throw new GansuiteError(`this is a ${document.task} model: use translate(), not upscale()`);
  const info = describeImage(image, options);
  const { width, height } = info;
  if (Math.min(width, height) < 2) throw new GansuiteError(`image of ${width}x${height} pixels is too small to upscale`);
  const progress = progressCounter(1, options);
  progress.check();
  const result = await run(toRgba(info), height, width);
  const scale = document.scale, count = width * scale * height * scale;
  if (result.length !== count * 4) throw new GansuiteError(`the graph returned ${result.length} values, expected ${count * 4}`);
  progress.tick();
  return { width: width * scale, height: height * scale, channels: info.channels, data: fromRgba(result, count, info.channels) };
}
