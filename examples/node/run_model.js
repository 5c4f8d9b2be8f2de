// Upscale (super-resolution export) or translate (CycleGAN export) a PNG or JPEG with a gansuite ONNX model,
// through the gansuite-onnx package: the same image `superres upscale` / `translate run` writes.
//
//   node run_model.js model.onnx input.png|.jpg output.png|.jpg|.webp [--tile 256] [--threads N]
//
// The model's document (model.onnx.json, written beside it by every export) tells the package everything.
// Install offline-safe: ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import sharp from 'sharp';
import { GansuiteError, load } from 'gansuite-onnx';

function parseArgs(argv) {
  const options = { tile: undefined, threads: 0, positional: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--tile') options.tile = Number(argv[++i]);
    else if (argv[i] === '--threads') options.threads = Number(argv[++i]);
    else options.positional.push(argv[i]);
  }
  if (options.positional.length !== 3) {
    console.error('usage: node run_model.js model.onnx input.png|.jpg output.png|.jpg|.webp [--tile 256] [--threads N]');
    process.exit(2);
  }
  return options;
}

// -> {width, height, channels, data}; sharp decodes with libjpeg-turbo / libpng / libwebp, as the CLI's readers do
// (the same pixels), and keeps grey as 1 (or 2) channels, so grey stays grey as in the CLI.
async function readImage(path) {
  try {
    const { channels } = await sharp(path).metadata();
    const decoder = sharp(path, { failOn: 'error' });
    if (channels <= 2) decoder.toColourspace('b-w'); // sharp's default is sRGB; a grey file stays grey
    const { data, info } = await decoder.raw().toBuffer({ resolveWithObject: true });
    if (info.depth !== 'uchar') throw new Error(`${info.depth} samples: this example handles 8-bit images`);
    return { width: info.width, height: info.height, channels: info.channels, data };
  } catch (error) {
    throw new GansuiteError(`${path}: not a readable image (${String(error.message).split('\n')[0]})`);
  }
}

// PNG keeps every pixel (and grey, and alpha); JPEG and WebP at quality 95.
function encode(path, { width, height, channels, data }) {
  const image = sharp(Buffer.from(data.buffer, data.byteOffset, data.length), { raw: { width, height, channels } });
  if (channels <= 2) image.toColourspace('b-w');
  const type = extname(path).toLowerCase();
  if (type === '.jpg' || type === '.jpeg') return image.jpeg({ quality: 95 }).toBuffer();
  if (type === '.webp') return image.webp({ quality: 95 }).toBuffer();
  return image.png().toBuffer();
}

const WRITABLE = ['.png', '.jpg', '.jpeg', '.webp'];

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const [modelPath, inputPath, outputPath] = options.positional;
  if (!WRITABLE.includes(extname(outputPath).toLowerCase())) throw new GansuiteError(`${outputPath}: write .png, .jpg or .webp`);
  const model = await load(modelPath, { threads: options.threads });
  const image = await readImage(inputPath);
  const started = Date.now();
  const onProgress = ({ done, total }) => process.stderr.write(`\rtile ${done}/${total}`);
  const result = model.document.task === 'superres'
    ? await model.upscale(image, { tile: options.tile, onProgress })
    : await model.translate(image, { tile: options.tile ?? 0, onProgress });
  process.stderr.write('\n');
  // Written whole or not at all: a temporary file renamed over the target.
  const bytes = await encode(outputPath, result);
  const partial = `${outputPath}.partial-${process.pid}`;
  try {
    writeFileSync(partial, bytes);
    renameSync(partial, outputPath);
  } catch (error) {
    rmSync(partial, { force: true });
    throw new GansuiteError(`${outputPath}: cannot write (${error.code ?? error.message})`);
  }
  console.log(`${inputPath} -> ${outputPath} (${result.width}x${result.height}) in ${((Date.now() - started) / 1000).toFixed(2)} s`);
  await model.release();
}

main().catch((error) => {
  console.error(`error: ${error instanceof GansuiteError ? error.message : String(error.message).split('\n')[0]}`);
  process.exit(1);
});
