// The demo page: decode the image without premultiplying alpha, run it through gansuite-onnx with progress and
// a time estimate, show before (the input, scaled up by the browser) against after with a slider and zoom, save
// the exact result as PNG. window.gansuiteRun is what the headless-Chromium test calls.
import { load, toImageData } from 'gansuite-onnx';
import { encodePng } from './png.js';

const $ = (id) => document.getElementById(id);
let model = null, modelUrl = null, result = null, controller = null;

// Exact RGBA, colour kept under low alpha: a canvas (and WebCodecs' frame copies) store premultiplied pixels and
// lose the colour of faint pixels, which the network then sees; an unpremultiplied ImageBitmap uploaded to a
// WebGL texture without premultiplication and read back is exact. The canvas only where WebGL is missing.
async function decodePixels(blob) {
  const bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  const { width, height } = bitmap;
  const gl = new OffscreenCanvas(width, height).getContext('webgl2', { premultipliedAlpha: false });
  if (gl) {
    const texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
    gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, width, height, 0, gl.RGBA, gl.UNSIGNED_BYTE, bitmap);
    const framebuffer = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
    const data = new Uint8ClampedArray(width * height * 4);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, data);
    gl.deleteFramebuffer(framebuffer);
    gl.deleteTexture(texture);
    if (gl.getError() === gl.NO_ERROR) return { width, height, channels: 4, data, decoder: 'webgl' };
  }
  const context = new OffscreenCanvas(width, height).getContext('2d');
  context.drawImage(bitmap, 0, 0);
  return { width, height, channels: 4, data: context.getImageData(0, 0, width, height).data, decoder: 'canvas' };
}

const seconds = (s) => (s < 60 ? `${s.toFixed(0)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);

function showProgress(started) {
  return ({ done, total }) => {
    const elapsed = (performance.now() - started) / 1000;
    $('progress').value = done / total;
    $('status').textContent = `tile ${done} of ${total}, ${seconds(elapsed)}` + (done < total ? `, about ${seconds(elapsed / done * (total - done))} left` : '');
  };
}

function draw(input, output) {
  const before = $('before'), after = $('after');
  before.width = after.width = output.width;
  before.height = after.height = output.height;
  const small = new OffscreenCanvas(input.width, input.height);
  small.getContext('2d').putImageData(toImageData(input), 0, 0);
  const context = before.getContext('2d');
  context.imageSmoothingQuality = 'high';
  context.drawImage(small, 0, 0, output.width, output.height);
  after.getContext('2d').putImageData(toImageData(output), 0, 0);
  applyView();
}

function applyView() {
  const zoom = Number($('zoom').value), before = $('before'), after = $('after');
  const fit = Math.min(1, ($('view').parentElement.clientWidth * 0.95) / (before.width || 1));
  for (const canvas of [before, after]) canvas.style.width = `${(before.width || 0) * (zoom || fit)}px`;
  after.style.clipPath = `inset(0 0 0 ${$('split').value}%)`;
}

/** Load (once per URL), decode, run; resolves with what the headless runner reads (the result: window.gansuiteResult). */
async function gansuiteRun(url, imageUrl, tile) {
  if (modelUrl !== url) {
    model = await load(url, { onNote: (line) => { $('provider').textContent = line; } });
    modelUrl = url;
    if (!$('provider').textContent) $('provider').textContent = `running on ${model.provider}`;
  }
  const input = await decodePixels(await (await fetch(imageUrl)).blob());
  controller = new AbortController();
  $('cancel').disabled = false;
  const started = performance.now();
  const options = { tile, onProgress: showProgress(started), signal: controller.signal };
  try {
    result = model.document.task === 'superres' ? await model.upscale(input, options) : await model.translate(input, { ...options, tile: 0 });
  } finally {
    $('cancel').disabled = true;
  }
  const took = (performance.now() - started) / 1000;
  $('status').textContent = `${input.width}x${input.height} -> ${result.width}x${result.height} in ${took.toFixed(2)} s`;
  draw(input, result);
  $('save').disabled = false;
  window.gansuiteResult = result; // the pixels themselves, for the headless runner
  return { width: result.width, height: result.height, channels: result.channels, seconds: took, provider: model.provider, decoder: input.decoder };
}
window.gansuiteRun = gansuiteRun;

$('file').addEventListener('change', (event) => {
  const file = event.target.files[0];
  if (file) gansuiteRun($('model').value, URL.createObjectURL(file)).catch((error) => { $('status').textContent = `error: ${error.message}`; });
});
$('cancel').addEventListener('click', () => controller?.abort());
$('split').addEventListener('input', applyView);
$('zoom').addEventListener('change', applyView);
$('save').addEventListener('click', async () => {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await encodePng(result));
  link.download = 'gansuite.png';
  link.click();
});
window.gansuiteReady = true;
