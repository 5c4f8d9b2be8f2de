// Super-resolution of a whole image from a graph that runs on tiles: each tile carries the document's
// tile_overlap of context (clipped at the image border), so the tiles put together equal the whole image run at
// once (tiles_exact), whatever the tile size. Grey and alpha follow the document, as `superres upscale` does.
import { GansuiteError, tileGeometry } from './document.js';
import { alphaPlane, colourPlanes, describeImage, interleave, opaque, roundEven } from './pixels.js';
import { fixedWindow, paddedBox, tileBoxes } from './tiles.js';
import { resizeBicubic } from './bicubic.js';

const f = Math.fround;

export function throwIfAborted(signal) {
  if (signal?.aborted) throw signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

// Cut planes[:, y0:y1, x0:x1] (3 planes of width*height); rows/columns past the image repeat its edge.
function cut(planes, width, height, [y0, x0, y1, x1]) {
  const h = y1 - y0, w = x1 - x0, count = width * height;
  const out = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) {
      const row = c * count + Math.min(y0 + y, height - 1) * width;
      for (let x = 0; x < w; x++) out[(c * h + y) * w + x] = planes[row + Math.min(x0 + x, width - 1)];
    }
  }
  return out;
}

/**
 * Run `run` over the image in tiles; returns three uint8 planes of the upscaled size (clamped, rounded half to even).
 * @param {(input: Float32Array, height: number, width: number) => Promise<Float32Array>} run CHW in [0, 1] -> CHW x scale
 */
export async function runTiles(run, planes, width, height, scale, geometry, fixedSize, progress) {
  const { tileHeight, tileWidth, pad } = geometry;
  const outWidth = width * scale, outHeight = height * scale, outCount = outWidth * outHeight;
  const out = new Uint8ClampedArray(3 * outCount);
  const boxes = tileBoxes(height, width, tileHeight, tileWidth);
  for (const box of boxes) {
    progress.check();
    const window = fixedSize ? fixedWindow(box, pad, height, width, fixedSize[0], fixedSize[1]) : paddedBox(box, pad, height, width);
    const [y0, x0, y1, x1] = window;
    const h = y1 - y0, w = x1 - x0;
    const result = await run(cut(planes, width, height, window), h, w);
    const [top, left, bottom, right] = box;
    const rowLength = w * scale, offY = (top - y0) * scale, offX = (left - x0) * scale;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < (bottom - top) * scale; y++) {
        const source = (c * h * scale + offY + y) * rowLength + offX;
        const target = c * outCount + (top * scale + y) * outWidth + left * scale;
        for (let x = 0; x < (right - left) * scale; x++) {
          const value = result[source + x];
          if (!Number.isFinite(value)) throw new GansuiteError("the model's output holds NaN or infinite values (damaged or diverged weights)");
          out[target + x] = roundEven(f(Math.min(1, Math.max(0, value)) * 255));
        }
      }
    }
    progress.tick();
  }
  return out;
}

/** Counts tiles across every pass of one call, checks the AbortSignal between tiles. */
export function progressCounter(total, { onProgress, signal } = {}) {
  let done = 0;
  return {
    check: () => throwIfAborted(signal),
    tick: () => { done += 1; onProgress?.({ done, total }); },
  };
}

/**
 * Upscale an image as `superres upscale` does.
 * @param run the graph (see runTiles)
 * @param {object} document the model document
 * @param image {width, height, data, channels?} 8-bit pixels (an ImageData works)
 * @param {{tile?: number, alpha?: 'bicubic'|'model', grey?: 'auto'|boolean, onProgress?: Function, signal?: AbortSignal}} options
 * @returns {Promise<{width: number, height: number, channels: number, data: Uint8ClampedArray}>}
 */
export async function upscaleImage(run, document, image, options = {}) {
  if (document.task !== 'superres') throw new GansuiteError(`this is a ${document.task} model: use translate(), not upscale()`);
  const info = describeImage(image, options);
  const { width, height } = info;
  if (Math.min(width, height) < 2) throw new GansuiteError(`image of ${width}x${height} pixels is too small to upscale`);
  const alphaMode = options.alpha ?? document.alpha_rule;
  if (alphaMode !== 'bicubic' && alphaMode !== 'model') throw new GansuiteError(`alpha ${JSON.stringify(alphaMode)}: expected "bicubic" or "model"`);
  const scale = document.scale, geometry = tileGeometry(document, options.tile), fixedSize = document.input_size;
  const alphaIn = alphaPlane(info);
  const modelAlpha = alphaIn && !opaque(alphaIn) && alphaMode === 'model';
  const perPass = tileBoxes(height, width, geometry.tileHeight, geometry.tileWidth).length;
  const progress = progressCounter(perPass * (modelAlpha ? 2 : 1), options);
  const rgb = await runTiles(run, colourPlanes(info), width, height, scale, geometry, fixedSize, progress);
  let alpha = null;
  if (alphaIn && opaque(alphaIn)) {
    alpha = new Uint8Array(width * scale * height * scale).fill(255); // what either rule gives for an opaque image
  } else if (modelAlpha) {
    const grey = { width, height, channels: 1, data: alphaIn };
    const upscaled = await runTiles(run, colourPlanes(grey), width, height, scale, geometry, fixedSize, progress);
    alpha = interleave(upscaled, null, width * scale, height * scale, 1, true);
  } else if (alphaIn) {
    alpha = resizeBicubic(alphaIn, width, height, width * scale, height * scale);
  }
  const data = interleave(rgb, alpha, width * scale, height * scale, info.channels, info.grey);
  return { width: width * scale, height: height * scale, channels: info.channels, data };
}
