// Node.js entry point (onnxruntime-node): load a gansuite .onnx file and its MODEL.onnx.json sidecar.
//   import { load } from 'gansuite-onnx';
//   const model = await load('sr_x4.onnx');
//   const out = await model.upscale({ width, height, data, channels: 4 }, { tile: 256, onProgress, signal });
import { readFile } from 'node:fs/promises';
import * as ortModule from 'onnxruntime-node';
import { createModel, GansuiteError, readDocument } from './model.js';

export { GansuiteError, readDocument } from './model.js';
export { resizeBicubic } from './bicubic.js';

const ort = ortModule.default ?? ortModule;

async function readText(path, what) {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') throw new GansuiteError(`${path}: no such file (${what})`);
    throw new GansuiteError(`${path}: cannot read (${error.code ?? error.message})`);
  }
}

/**
 * Load a model file.
 * @param {string | URL} path the .onnx file; its document is read from `${path}.json`
 * @param {{threads?: number, executionProviders?: string[]}} options threads 0: onnxruntime's choice
 * @returns {Promise<import('../index.d.ts').Model>}
 */
export async function load(path, options = {}) {
  const source = path instanceof URL ? path.pathname : String(path);
  const text = await readText(`${source}.json`, 'the model document gansuite writes beside every export; export the model again to get it');
  const document = readDocument(text, `${source}.json`);
  let bytes;
  try {
    bytes = await readFile(source);
  } catch (error) {
    throw new GansuiteError(`${source}: ${error.code === 'ENOENT' ? 'no such file' : `cannot read (${error.code ?? error.message})`}`);
  }
  const providers = options.executionProviders ?? ['cpu'];
  let session;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: providers, intraOpNumThreads: options.threads ?? 0 });
  } catch (error) {
    throw new GansuiteError(`${source}: onnxruntime cannot load it (${String(error.message).split('\n')[0]})`);
  }
  return createModel(ort, session, document, source, providers[0]);
}
