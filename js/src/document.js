// The model document (schema gansuite-model/1): the JSON a gansuite export stores in its `gansuite_json`
// metadata and, byte for byte, in the sidecar MODEL.onnx.json (JS runtimes cannot read ONNX metadata).
// Everything this package does around the graph comes from it; nothing is guessed from the file name.

export const SCHEMA = 'gansuite-model/1';
const MAX_DOCUMENT_BYTES = 1 << 20; // a document is a few kB; refuse anything far larger before parsing it

/** An error about the user's file or options: one line, naming what is wrong. */
export class GansuiteError extends Error {
  constructor(message) {
    super(message);
    this.name = 'GansuiteError';
  }
}

const isInt = (value) => Number.isInteger(value);
const isRange = (value) => Array.isArray(value) && value.length === 2 && value.every(Number.isFinite) && value[0] < value[1];

function need(document, key, check, what, source) {
  if (!check(document[key])) throw new GansuiteError(`${source}: model document's ${key} ${JSON.stringify(document[key])} is not ${what}`);
}

/**
 * Parse and check a model document.
 * @param {string} text the sidecar's text (or the metadata value)
 * @param {string} source a name for error messages (the file or URL)
 * @returns {object} the document, with every key this package reads checked
 */
export function readDocument(text, source) {
  if (text.length > MAX_DOCUMENT_BYTES) throw new GansuiteError(`${source}: model document of ${text.length} bytes is larger than ${MAX_DOCUMENT_BYTES}`);
  let document;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new GansuiteError(`${source}: model document is not JSON (${error.message})`);
  }
  if (document === null || typeof document !== 'object' || document.schema !== SCHEMA) {
    throw new GansuiteError(`${source}: not a ${SCHEMA} model document (export the model again with gansuite >= 0.1)`);
  }
  need(document, 'task', (v) => v === 'superres' || v === 'translate', '"superres" or "translate"', source);
  need(document, 'input_name', (v) => typeof v === 'string' && v.length > 0, 'a tensor name', source);
  need(document, 'output_name', (v) => typeof v === 'string' && v.length > 0, 'a tensor name', source);
  need(document, 'input_range', isRange, '[low, high]', source);
  need(document, 'output_range', isRange, '[low, high]', source);
  need(document, 'multiple_of', (v) => isInt(v) && v >= 1 && v <= 64, 'an integer in 1..64', source);
  need(document, 'graph_min_size', (v) => isInt(v) && v >= 1 && v <= 1024, 'an integer in 1..1024', source);
  need(document, 'grey_rule', (v) => v === 'replicate-average', '"replicate-average"', source);
  if (document.task === 'superres') {
    need(document, 'scale', (v) => isInt(v) && v >= 1 && v <= 16, 'an integer in 1..16', source);
    need(document, 'tile_overlap', (v) => isInt(v) && v >= 0 && v <= 4096, 'an integer in 0..4096', source);
    need(document, 'tile_multiple', (v) => isInt(v) && v >= 1 && v <= 64, 'an integer in 1..64', source);
    need(document, 'alpha_rule', (v) => v === 'bicubic' || v === 'model', '"bicubic" or "model"', source);
  } else {
    need(document, 'alpha_rule', (v) => v === 'passthrough', '"passthrough"', source);
  }
  if (document.io !== undefined) need(document, 'io', (v) => v === 'uint8', '"uint8"', source);
  if (document.input_size !== undefined) {
    need(document, 'input_size', (v) => Array.isArray(v) && v.length === 2 && v.every((n) => isInt(n) && n >= 1 && n <= 8192), '[height, width]', source);
  }
  return document;
}

/** The tile and context sizes a document implies: [tile, pad], both multiples of tile_multiple. */
export function tileGeometry(document, tile) {
  const align = document.tile_multiple || 1;
  const roundUp = (value) => Math.ceil(value / align) * align;
  const pad = roundUp(document.tile_overlap);
  if (document.input_size) {
    // A fixed-size graph: each window is exactly input_size, so the tile is what is left after the context.
    const [height, width] = document.input_size;
    return { tileHeight: Math.max(height - 2 * pad, align), tileWidth: Math.max(width - 2 * pad, align), pad };
  }
  const side = tile === undefined ? (document.suggested_tile || 256) : tile;
  if (!isInt(side) || side < 0) throw new GansuiteError(`tile ${JSON.stringify(tile)}: expected a whole number of pixels (0: whole image)`);
  return { tileHeight: side && roundUp(side), tileWidth: side && roundUp(side), pad };
}
