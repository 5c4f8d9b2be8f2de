// Upscale a PNG with a gansuite super-resolution ONNX model, in tiles, using only onnxruntime-node and pngjs.
//
//   node upscale.js model.onnx input.png output.png [--tile 256] [--threads N]
//
// Everything the app needs is in model.onnx.json, the sidecar `superres export` writes beside the model
// (onnxruntime-node does not expose the ONNX custom metadata map): scale, input/output ranges and names,
// tile_overlap (context around each tile that makes tiles equal the whole image), tile_multiple, and how to
// treat grey and alpha input.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');
const { PNG } = require('pngjs');

function parseArgs(argv) {
  const options = { tile: 256, threads: 0, positional: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--tile') options.tile = parseInt(argv[++i], 10);
    else if (argv[i] === '--threads') options.threads = parseInt(argv[++i], 10);
    else options.positional.push(argv[i]);
  }
  if (options.positional.length !== 3) {
    console.error('usage: node upscale.js model.onnx input.png output.png [--tile 256] [--threads N]');
    process.exit(2);
  }
  return options;
}

const roundUp = (value, multiple) => Math.ceil(value / multiple) * multiple;

// planes: Float32Array[3] of width*height values in [0, 1] -> Float32Array[3] of (w*s)*(h*s), clamped to [0, 1]
async function upscalePlanes(session, meta, planes, width, height, tileSize) {
  const scale = meta.scale;
  const align = meta.tile_multiple || 1;
  const pad = roundUp(meta.tile_overlap, align);
  const tile = tileSize > 0 ? roundUp(tileSize, align) : Math.max(width, height);
  const [low, high] = meta.input_range;
  const [outLow, outHigh] = meta.output_range;
  const outWidth = width * scale, outHeight = height * scale;
  const out = [0, 1, 2].map(() => new Float32Array(outWidth * outHeight));
  for (let top = 0; top < height; top += tile) {
    for (let left = 0; left < width; left += tile) {
      const bottom = Math.min(top + tile, height), right = Math.min(left + tile, width);
      const y0 = Math.max(top - pad, 0), x0 = Math.max(left - pad, 0);
      const y1 = Math.min(bottom + pad, height), x1 = Math.min(right + pad, width);
      const h = y1 - y0, w = x1 - x0;
      const input = new Float32Array(3 * h * w);
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++)
            input[(c * h + y) * w + x] = planes[c][(y0 + y) * width + x0 + x] * (high - low) + low;
      const feeds = { [meta.input_name]: new ort.Tensor('float32', input, [1, 3, h, w]) };
      const result = (await session.run(feeds))[meta.output_name];
      const rw = w * scale;
      const offY = (top - y0) * scale, offX = (left - x0) * scale;
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < (bottom - top) * scale; y++)
          for (let x = 0; x < (right - left) * scale; x++) {
            const value = (result.data[(c * h * scale + offY + y) * rw + offX + x] - outLow) / (outHigh - outLow);
            out[c][(top * scale + y) * outWidth + left * scale + x] = Math.min(1, Math.max(0, value));  // clamp_output
          }
    }
  }
  return out;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const [modelPath, inputPath, outputPath] = options.positional;
  const meta = JSON.parse(fs.readFileSync(modelPath + '.json', 'utf8'));
  if (meta.format !== 'gansuite-onnx/1' || meta.task !== 'superres') throw new Error(`${modelPath}: not a gansuite super-resolution model`);
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: options.threads, executionProviders: ['cpu'] });
  const png = PNG.sync.read(fs.readFileSync(inputPath));
  const { width, height, data } = png;
  const grey = png.colorType === 0 || png.colorType === 4;
  const hasAlpha = png.alpha;
  const plane = (offset) => { const p = new Float32Array(width * height); for (let i = 0; i < p.length; i++) p[i] = data[4 * i + offset] / 255; return p; };
  const started = Date.now();
  // grey_input: pngjs already replicates grey to RGB; average the three outputs back below.
  const colour = await upscalePlanes(session, meta, [plane(0), plane(1), plane(2)], width, height, options.tile);
  // alpha: not part of the graph; here it is replicated to RGB, run through the model and averaged back.
  const alpha = hasAlpha ? await upscalePlanes(session, meta, [plane(3), plane(3), plane(3)], width, height, options.tile) : null;
  const outWidth = width * meta.scale, outHeight = height * meta.scale;
  const result = new PNG({ width: outWidth, height: outHeight, colorType: 6 });
  for (let i = 0; i < outWidth * outHeight; i++) {
    const rgb = [0, 1, 2].map((c) => colour[c][i] * 255);
    const values = grey ? [0, 1, 2].map(() => (rgb[0] + rgb[1] + rgb[2]) / 3) : rgb;
    for (let c = 0; c < 3; c++) result.data[4 * i + c] = Math.round(values[c]);
    result.data[4 * i + 3] = alpha ? Math.round((alpha[0][i] + alpha[1][i] + alpha[2][i]) / 3 * 255) : 255;
  }
  fs.writeFileSync(outputPath, PNG.sync.write(result, { colorType: hasAlpha ? 6 : 2 }));
  console.log(`${inputPath} -> ${outputPath} (${outWidth}x${outHeight}) in ${((Date.now() - started) / 1000).toFixed(2)} s`);
}

main().catch((error) => { console.error(`error: ${error.message}`); process.exit(1); });
