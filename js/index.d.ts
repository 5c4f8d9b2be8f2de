// Types of gansuite-onnx (the same API in Node, from src/node.js, and the browser, from src/browser.js).

/** 8-bit interleaved pixels; canvas ImageData is one (channels 4). */
export interface Pixels {
  width: number;
  height: number;
  /** width * height * channels values, 0..255 */
  data: Uint8Array | Uint8ClampedArray | ArrayLike<number>;
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA; default data.length / (width * height) */
  channels?: 1 | 2 | 3 | 4;
}

/** A result: the input's channel count, upscaled (or the same size for translation). */
export interface Result {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8ClampedArray;
}

export interface Progress {
  /** tiles finished, out of total, across every pass of one call */
  done: number;
  total: number;
}

export interface CommonOptions {
  /** 'auto' (default): 1-2 channels, or RGB(A) whose three channels are equal everywhere, is grey */
  grey?: 'auto' | boolean;
  onProgress?: (progress: Progress) => void;
  /** checked between tiles; an aborted signal rejects with its reason (an AbortError) */
  signal?: AbortSignal;
}

export interface UpscaleOptions extends CommonOptions {
  /** tile side in input pixels (default the document's suggested_tile, 256; 0: whole image); tiles are exact */
  tile?: number;
  /** how alpha is upscaled (default the document's alpha_rule): OpenCV-exact bicubic, or through the model */
  alpha?: 'bicubic' | 'model';
}

export interface TranslateOptions extends CommonOptions {
  /** 0 (default): the whole image, as the generator was trained; otherwise cross-faded tiles (memory only) */
  tile?: number;
  /** pixels shared by neighbouring tiles (default 64, at most tile / 2) */
  overlap?: number;
}

/** The model document (schema gansuite-model/1): the JSON in MODEL.onnx.json and the graph's gansuite_json. */
export interface ModelDocument {
  schema: 'gansuite-model/1';
  task: 'superres' | 'translate';
  kind: string;
  scale?: number;
  input_name: string;
  output_name: string;
  input_range: [number, number];
  output_range: [number, number];
  layout: 'NCHW';
  channel_order: 'RGB';
  multiple_of: number;
  graph_min_size: number;
  border: 'clip' | 'reflect';
  tiles_exact: boolean;
  tile_overlap?: number;
  tile_multiple?: number;
  suggested_tile?: number;
  /** fixed [height, width] of a graph exported with --input-size */
  input_size?: [number, number];
  /** 'uint8': an --io uint8 graph (HxWx4 RGBA uint8 in and out, grey and alpha inside; whole images) */
  io?: 'uint8';
  grey_rule: 'replicate-average';
  alpha_rule: 'bicubic' | 'model' | 'passthrough';
  precision: 'fp32' | 'fp16' | 'int8';
  /** the weights' licence ('unknown' for a user's own) and what they were trained on */
  license?: string;
  training_data?: string;
  version: string;
  [key: string]: unknown;
}

export interface Model {
  document: ModelDocument;
  /** the file or URL it was loaded from */
  source: string;
  /** the execution provider its session runs on ('cpu', 'wasm', 'webgpu', ...) */
  provider: string;
  /** as `superres upscale --model MODEL.onnx` */
  upscale(image: Pixels, options?: UpscaleOptions): Promise<Result>;
  /** as `translate run --model MODEL.onnx` */
  translate(image: Pixels, options?: TranslateOptions): Promise<Result>;
  release(): Promise<void> | void;
}

export interface NodeLoadOptions {
  /** intra-op threads (0: onnxruntime's choice) */
  threads?: number;
  /** default ['cpu'] */
  executionProviders?: string[];
}

export interface BrowserLoadOptions {
  /** 'auto' (default): WebGPU where its startup self-check agrees with WASM within one level, else WASM */
  provider?: 'auto' | 'wasm' | 'webgpu';
  /** WASM threads (default: up to 4 on a cross-origin isolated page, else 1) */
  threads?: number;
  /** one line when the provider is not the one asked for, and why */
  onNote?: (line: string) => void;
  signal?: AbortSignal;
}

/** Load a model and its document (`${path}.json`): a path in Node, a URL in the browser. */
export function load(source: string | URL, options?: NodeLoadOptions & BrowserLoadOptions): Promise<Model>;

/** Parse and check a model document's text; throws GansuiteError naming `source`. */
export function readDocument(text: string, source: string): ModelDocument;

/** OpenCV INTER_CUBIC on one uint8 plane. */
export function resizeBicubic(plane: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): Uint8Array;

/** Browser only: a result as canvas ImageData. */
export function toImageData(result: Result): ImageData;

/** An error about the user's file, image or options: one line naming what is wrong. */
export class GansuiteError extends Error {
  name: 'GansuiteError';
}
