// Unpaired translation (a CycleGAN generator) of a whole image, as `translate run` does with an ONNX file: the image
// is padded right and bottom to the graph's size multiple (reflect; edge where the image is too small to
// reflect), run whole, and cropped back. InstanceNorm sees the whole input, so tiles are never exact
// (tiles_exact false): with a tile size, overlapping tiles are cross-faded to hide the seams, for memory only.
import { GansuiteError } from './document.js';
import { alphaPlane, colourPlanes, describeImage, interleave, roundEven } from './pixels.js';
import { blendStarts, feather } from './tiles.js';
import { progressCounter } from './upscale.js';

const f = Math.fround;

// numpy.pad of one plane by (0, padH) rows and (0, padW) columns, mode reflect or edge.
function padPlane(plane, height, width, padH, padW, reflect) {
  const h = height + padH, w = width + padW, out = new Float32Array(h * w);
  const source = (i, n) => (i < n ? i : reflect ? 2 * (n - 1) - i : n - 1);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = plane[source(y, height) * width + source(x, width)];
  return out;
}

// The graph on one patch (3 planes h x w in [0, 1]): padded to what it accepts, run, cropped; values unclamped.
async function runPatch(run, document, planes, height, width) {
  const multiple = document.multiple_of, minimum = document.graph_min_size;
  const padH = Math.max((multiple - (height % multiple)) % multiple, minimum - height);
  const padW = Math.max((multiple - (width % multiple)) % multiple, minimum - width);
  if (!padH && !padW) return run(planes, height, width);
  const reflect = Math.min(height, width) > Math.max(padH, padW);
  const count = height * width, h = height + padH, w = width + padW;
  const padded = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) padded.set(padPlane(planes.subarray(c * count, (c + 1) * count), height, width, padH, padW, reflect), c * h * w);
  const result = await run(padded, h, w);
  const out = new Float32Array(3 * count);
  for (let c = 0; c < 3; c++) for (let y = 0; y < height; y++) out.set(result.subarray((c * h + y) * w, (c * h + y) * w + width), (c * height + y) * width);
  return out;
}

function crop(planes, height, width, top, left, bottom, right) {
  const h = bottom - top, w = right - left, count = height * width, out = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) out.set(planes.subarray(c * count + (top + y) * width + left, c * count + (top + y) * width + right), (c * h + y) * w);
  return out;
}

function checkFinite(value) {
  if (!Number.isFinite(value)) throw new GansuiteError("the model's output holds NaN or infinite values (damaged or diverged weights)");
  return value;
}

/**
 * Translate an image as `translate run --model X.onnx` does.
 * @param {{tile?: number, overlap?: number, grey?: 'auto'|boolean, onProgress?: Function, signal?: AbortSignal}} options
 *   tile 0 (the default): the whole image at once, as the model was trained to see it.
 * @returns {Promise<{width: number, height: number, channels: number, data: Uint8ClampedArray}>}
 */
export async function translateImage(run, document, image, options = {}) {
  if (document.task !== 'translate') throw new GansuiteError(`this is a ${document.task} model: use upscale(), not translate()`);
  const info = describeImage(image, options);
  const { width, height } = info;
  const tile = options.tile ?? 0;
  if (!Number.isInteger(tile) || tile < 0) throw new GansuiteError(`tile ${JSON.stringify(tile)}: expected a whole number of pixels (0: whole image)`);
  const planes = colourPlanes(info), count = width * height;
  const whole = tile === 0 || (height <= tile && width <= tile);
  const overlap = Math.min(options.overlap ?? 64, Math.floor(tile / 2));
  const rows = whole ? [0] : blendStarts(height, tile, tile - overlap), columns = whole ? [0] : blendStarts(width, tile, tile - overlap);
  const progress = progressCounter(rows.length * columns.length, options);
  const rgb = new Uint8ClampedArray(3 * count);
  if (whole) {
    progress.check();
    const result = await runPatch(run, document, planes, height, width);
    for (let i = 0; i < rgb.length; i++) rgb[i] = roundEven(f(Math.min(1, Math.max(0, checkFinite(result[i]))) * 255));
    progress.tick();
  } else {
    const total = new Float32Array(3 * count), weights = new Float32Array(count);
    for (const top of rows) {
      for (const left of columns) {
        progress.check();
        const bottom = Math.min(top + tile, height), right = Math.min(left + tile, width), h = bottom - top, w = right - left;
        const result = await runPatch(run, document, crop(planes, height, width, top, left, bottom, right), h, w);
        const rampY = feather(h, overlap, top === 0, bottom === height), rampX = feather(w, overlap, left === 0, right === width);
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const weight = f(rampY[y] * rampX[x]), index = (top + y) * width + left + x;
            weights[index] = f(weights[index] + weight);
            for (let c = 0; c < 3; c++) {
              const value = Math.min(1, Math.max(0, checkFinite(result[(c * h + y) * w + x])));
              total[c * count + index] = f(total[c * count + index] + f(value * weight));
            }
          }
        }
        progress.tick();
      }
    }
    for (let c = 0; c < 3; c++) for (let i = 0; i < count; i++) rgb[c * count + i] = Math.min(255, roundEven(f(f(total[c * count + i] / weights[i]) * 255)));
  }
  const data = interleave(rgb, alphaPlane(info), width, height, info.channels, info.grey); // alpha passes through
  return { width, height, channels: info.channels, data };
}
