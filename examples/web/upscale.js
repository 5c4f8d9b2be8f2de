// Upscale an image in the browser with a gansuite super-resolution ONNX model (onnxruntime-web, WASM backend).
// Everything the page needs is in the model's .onnx.json sidecar: scale, value ranges, tensor names, the tile
// overlap that makes tiles equal the whole image, and the tile alignment. Alpha is upscaled by running it through
// the model as grey, as the sidecar's "alpha" entry describes. One WASM thread unless the page is served with
// COOP/COEP headers (then ort uses more).
'use strict';
ort.env.wasm.wasmPaths = new URL('node_modules/onnxruntime-web/dist/', document.baseURI).href;
ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;

const roundUp = (value, multiple) => Math.ceil(value / multiple) * multiple;

async function loadModel(url) {
  const meta = await (await fetch(url + '.json')).json();
  if (meta.format !== 'gansuite-onnx/1' || meta.task !== 'superres') throw new Error(`${url}: not a gansuite super-resolution model`);
  const session = await ort.InferenceSession.create(url, { executionProviders: ['wasm'] });
  return { session, meta };
}

// planes: three Float32Array in [0, 1] of width*height -> three Float32Array of the upscaled size, clamped
async function upscalePlanes({ session, meta }, planes, width, height, tileSize, onTile) {
  const scale = meta.scale, align = meta.tile_multiple || 1, pad = roundUp(meta.tile_overlap, align);
  const tile = tileSize > 0 ? roundUp(tileSize, align) : Math.max(width, height);
  const [low, high] = meta.input_range, [outLow, outHigh] = meta.output_range;
  const outWidth = width * scale, outHeight = height * scale;
  const out = [0, 1, 2].map(() => new Float32Array(outWidth * outHeight));
  const tiles = Math.ceil(height / tile) * Math.ceil(width / tile);
  let done = 0;
  for (let top = 0; top < height; top += tile) {
    for (let left = 0; left < width; left += tile) {
      const bottom = Math.min(top + tile, height), right = Math.min(left + tile, width);
      const y0 = Math.max(top - pad, 0), x0 = Math.max(left - pad, 0), y1 = Math.min(bottom + pad, height), x1 = Math.min(right + pad, width);
      const h = y1 - y0, w = x1 - x0, input = new Float32Array(3 * h * w);
      for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++)
        input[(c * h + y) * w + x] = planes[c][(y0 + y) * width + x0 + x] * (high - low) + low;
      const result = (await session.run({ [meta.input_name]: new ort.Tensor('float32', input, [1, 3, h, w]) }))[meta.output_name];
      const rw = w * scale, offY = (top - y0) * scale, offX = (left - x0) * scale;
      for (let c = 0; c < 3; c++) for (let y = 0; y < (bottom - top) * scale; y++) for (let x = 0; x < (right - left) * scale; x++) {
        const value = (result.data[(c * h * scale + offY + y) * rw + offX + x] - outLow) / (outHigh - outLow);
        out[c][(top * scale + y) * outWidth + left * scale + x] = Math.min(1, Math.max(0, value));  // clamp_output
      }
      onTile(++done, tiles);
    }
  }
  return out;
}

// Upscales the image at imageUrl; draws before/after; resolves with the output ImageData.
async function gansuiteUpscale(modelUrl, imageUrl, tileSize = 128) {
  const status = document.getElementById('status'), progress = document.getElementById('progress');
  const model = await loadModel(modelUrl);
  const image = await createImageBitmap(await (await fetch(imageUrl)).blob(), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  const before = document.getElementById('before');
  before.width = image.width; before.height = image.height;
  const context = before.getContext('2d', { willReadFrequently: true });
  context.drawImage(image, 0, 0);
  const { data, width, height } = context.getImageData(0, 0, image.width, image.height);
  const plane = (offset) => Float32Array.from({ length: width * height }, (_, i) => data[4 * i + offset] / 255);
  let hasAlpha = false;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 255) { hasAlpha = true; break; }
  const started = performance.now();
  const onTile = (done, total) => { progress.value = done / total; status.textContent = `tile ${done} of ${total}`; };
  const colour = await upscalePlanes(model, [plane(0), plane(1), plane(2)], width, height, tileSize, onTile);
  const alpha = hasAlpha ? await upscalePlanes(model, [plane(3), plane(3), plane(3)], width, height, tileSize, onTile) : null;
  const after = document.getElementById('after'), scale = model.meta.scale;
  after.width = width * scale; after.height = height * scale;
  const output = new ImageData(after.width, after.height);
  for (let i = 0; i < after.width * after.height; i++) {
    for (let c = 0; c < 3; c++) output.data[4 * i + c] = Math.round(colour[c][i] * 255);
    output.data[4 * i + 3] = alpha ? Math.round((alpha[0][i] + alpha[1][i] + alpha[2][i]) / 3 * 255) : 255;
  }
  after.getContext('2d').putImageData(output, 0, 0);
  const seconds = (performance.now() - started) / 1000;
  status.textContent = `${width}x${height} -> ${after.width}x${after.height} in ${seconds.toFixed(2)} s`;
  return { width: after.width, height: after.height, seconds, pixels: Array.from(output.data) };
}

document.getElementById('file').addEventListener('change', (event) => {
  const file = event.target.files[0];
  if (file) gansuiteUpscale(document.getElementById('model').value, URL.createObjectURL(file)).catch((e) => {
    document.getElementById('status').textContent = `error: ${e.message}`;
  });
});
