// Browser entry point (onnxruntime-web): fetch a gansuite .onnx file and its MODEL.onnx.json sidecar.
//   import { load } from 'gansuite-onnx';          // with a bundler, or an import map naming onnxruntime-web
//   const model = await load('/models/sr_x4.onnx', { onNote: console.log });
//   const out = await model.upscale(imageData, { onProgress, signal });
//   canvas.getContext('2d').putImageData(toImageData(out), 0, 0);
//
// WebGPU is used only where a startup self-check passes: the same probe through WebGPU and WASM must agree within
// one 8-bit level (WebGPU has returned black or garbage for some graphs without any error). Otherwise WASM, with
// one note saying why. WASM uses more than one thread only on a cross-origin isolated page (COOP/COEP headers).
import * as ortModule from 'onnxruntime-web';
import { createModel, GansuiteError, graphRunner, readDocument } from './model.js';
import { toRgba } from './pixels.js';

export { GansuiteError, readDocument } from './model.js';
export { resizeBicubic } from './bicubic.js';

const ort = ortModule.default ?? ortModule;

async function fetchOk(url, what, signal) {
  let response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    throw new GansuiteError(`${url}: cannot fetch ${what} (${error.message})`);
  }
  if (!response.ok) throw new GansuiteError(`${url}: HTTP ${response.status} fetching ${what}`);
  return response;
}

// A deterministic probe image of the graph's smallest comfortable size.
function probe(document) {
  const side = Math.max(32, document.graph_min_size, document.multiple_of);
  const [height, width] = document.input_size ?? [side, side];
  const planes = new Float32Array(3 * height * width);
  for (let i = 0; i < planes.length; i++) planes[i] = ((i * 2654435761) % 251) / 250;
  return { planes, height, width };
}

async function selfCheck(document, gpuSession, cpuSession) {
  if (document.io === 'uint8') return uint8SelfCheck(document, gpuSession, cpuSession);
  const { planes, height, width } = probe(document);
  const gpu = await graphRunner(ort, gpuSession, document)(planes, height, width);
  const cpu = await graphRunner(ort, cpuSession, document)(planes, height, width);
  let worst = 0;
  for (let i = 0; i < cpu.length; i++) {
    const difference = Math.abs(Math.min(1, Math.max(0, gpu[i])) - Math.min(1, Math.max(0, cpu[i]))) * 255;
    worst = Number.isNaN(difference) ? Infinity : Math.max(worst, difference);
  }
  return worst;
}

async function uint8SelfCheck(document, gpuSession, cpuSession) {
  const side = 32, rgba = new Uint8Array(side * side * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 2654435761) % 251;
  const feed = { [document.input_name]: new ort.Tensor('uint8', rgba, [side, side, 4]) };
  const [gpu, cpu] = [(await gpuSession.run(feed))[document.output_name].data, (await cpuSession.run(feed))[document.output_name].data];
  let worst = 0;
  for (let i = 0; i < cpu.length; i++) worst = Math.max(worst, Math.abs(gpu[i] - cpu[i]));
  return worst;
}

/**
 * Load a model by URL.
 * @param {string | URL} url the .onnx file; its document is fetched from `${url}.json`
 * @param {{provider?: 'auto'|'wasm'|'webgpu', threads?: number, onNote?: (line: string) => void, signal?: AbortSignal}} options
 * @returns {Promise<import('../index.d.ts').Model>}
 */
export async function load(url, options = {}) {
  const source = String(url), note = options.onNote ?? (() => {});
  const text = await (await fetchOk(`${source}.json`, 'the model document (the .onnx.json gansuite writes beside every export)', options.signal)).text();
  const document = readDocument(text, `${source}.json`);
  const bytes = new Uint8Array(await (await fetchOk(source, 'the model', options.signal)).arrayBuffer());
  ort.env.wasm.numThreads = options.threads ?? (globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1);
  const create = (provider) => ort.InferenceSession.create(bytes, { executionProviders: [provider] });
  let wasm;
  try {
    wasm = await create('wasm');
  } catch (error) {
    throw new GansuiteError(`${source}: onnxruntime-web cannot load it (${String(error.message).split('\n')[0]})`);
  }
  const wanted = options.provider ?? 'auto';
  if (wanted === 'wasm' || (wanted === 'auto' && !globalThis.navigator?.gpu)) {
    if (wanted === 'auto') note('WebGPU is not available here: running on WASM');
    return createModel(ort, wasm, document, source, 'wasm');
  }
  try {
    const gpu = await create('webgpu');
    const worst = await selfCheck(document, gpu, wasm);
    if (worst <= 1) {
      await wasm.release();
      return createModel(ort, gpu, document, source, 'webgpu');
    }
    await gpu.release();
    note(`WebGPU failed its self-check (${worst === Infinity ? 'non-finite output' : `${worst.toFixed(1)} levels off WASM`}): running on WASM`);
  } catch (error) {
    note(`WebGPU could not run this model (${String(error.message).split('\n')[0]}): running on WASM`);
  }
  if (wanted === 'webgpu') throw new GansuiteError(`${source}: WebGPU was asked for and did not pass its self-check`);
  return createModel(ort, wasm, document, source, 'wasm');
}

/** A result as canvas ImageData (grey and RGB results are expanded to RGBA). */
export function toImageData(result) {
  const rgba = toRgba(result);
  return new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length), result.width, result.height);
}
