// A loaded model: an onnxruntime session and its document, with upscale() and translate() that do what the
// gansuite CLI does. Runtime-neutral: node.js and browser.js pass in their onnxruntime module and session.
import { GansuiteError, readDocument, tileGeometry } from './document.js';
import { upscaleImage } from './upscale.js';
import { translateImage } from './translate.js';
import { translateWithUint8Graph, upscaleWithUint8Graph } from './uint8.js';

export { GansuiteError, readDocument, tileGeometry, upscaleImage, translateImage };

const f = Math.fround;

/**
 * The graph as a function of float CHW pixels in [0, 1]: mapped to the document's input range, run, and the
 * output mapped back to [0, 1] (float32 steps, as gansuite's Python reader does them).
 */
export function graphRunner(ort, session, document) {
  const [low, high] = document.input_range, [outLow, outHigh] = document.output_range;
  const span = f(high - low), outSpan = f(outHigh - outLow);
  const identityIn = low === 0 && high === 1, identityOut = outLow === 0 && outHigh === 1;
  return async (planes, height, width) => {
    let input = planes;
    if (!identityIn) {
      input = new Float32Array(planes.length);
      for (let i = 0; i < planes.length; i++) input[i] = f(f(planes[i] * span) + low);
    }
    const feeds = { [document.input_name]: new ort.Tensor('float32', input, [1, 3, height, width]) };
    const results = await session.run(feeds);
    const output = results[document.output_name];
    if (!output) throw new GansuiteError(`the graph has no output named ${JSON.stringify(document.output_name)}`);
    const data = output.data;
    if (identityOut) return data;
    const mapped = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) mapped[i] = f(f(data[i] - outLow) / outSpan);
    return mapped;
  };
}

/**
 * @param ort the onnxruntime module (onnxruntime-node or onnxruntime-web)
 * @param session an InferenceSession of the model
 * @param {object} document the checked model document
 * @param {string} source the file or URL, for messages
 * @param {string} provider the execution provider the session runs on
 */
/** A uint8 graph (document io "uint8") as a function of HxWx4 RGBA pixels. */
function uint8Runner(ort, session, document) {
  return async (rgba, height, width) => {
    const results = await session.run({ [document.input_name]: new ort.Tensor('uint8', rgba, [height, width, 4]) });
    const output = results[document.output_name];
    if (!output) throw new GansuiteError(`the graph has no output named ${JSON.stringify(document.output_name)}`);
    return output.data;
  };
}

export function createModel(ort, session, document, source, provider) {
  const uint8 = document.io === 'uint8';
  const run = uint8 ? uint8Runner(ort, session, document) : graphRunner(ort, session, document);
  return {
    document,
    source,
    provider,
    /** Upscale {width, height, data, channels?} 8-bit pixels (see index.d.ts). */
    upscale: (image, options) => (uint8 ? upscaleWithUint8Graph(run, document, image, options) : upscaleImage(run, document, image, options)),
    /** Translate {width, height, data, channels?} 8-bit pixels (see index.d.ts). */
    translate: (image, options) => (uint8 ? translateWithUint8Graph(run, document, image, options) : translateImage(run, document, image, options)),
    /** Free the session's memory. */
    release: () => session.release?.(),
  };
}

/** Parse a sidecar's text and check it, naming `source` in any error. */
export const documentFromText = (text, source) => readDocument(text, source);
