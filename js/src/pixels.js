// Images in and out: {width, height, data, channels} with 8-bit interleaved pixels (canvas ImageData is one, with
// channels 4). Grey and alpha follow the model document's rules, the same as the gansuite CLI:
//   grey  (grey_rule "replicate-average"): the grey plane is replicated to RGB, run, and the three outputs averaged;
//   alpha (alpha_rule): upscaled on its own (bicubic, as OpenCV's INTER_CUBIC) or passed through (translation).
import { GansuiteError } from './document.js';

/**
 * Check an image and say what it holds.
 * @param {{width:number, height:number, data:ArrayLike<number>, channels?:number}} image
 * @param {{grey?: 'auto'|boolean}} options grey 'auto': 1 or 2 channels, or RGB(A) whose three channels are equal
 *   everywhere (a grey PNG decoded by a browser is RGBA); true/false force it.
 * @returns {{width:number, height:number, channels:number, data:ArrayLike<number>, grey:boolean, alpha:boolean}}
 */
export function describeImage(image, options = {}) {
  if (!image || typeof image !== 'object') throw new GansuiteError('image: expected {width, height, data} (an ImageData, or raw 8-bit pixels)');
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new GansuiteError(`image: size ${width}x${height} is not a positive whole number of pixels`);
  }
  if (!data || typeof data.length !== 'number') throw new GansuiteError('image: data is not an array of pixels');
  const channels = image.channels ?? data.length / (width * height);
  if (![1, 2, 3, 4].includes(channels)) throw new GansuiteError(`image: ${data.length} values for ${width}x${height} pixels is not 1, 2, 3 or 4 channels`);
  if (data.length !== width * height * channels) {
    throw new GansuiteError(`image: ${data.length} values, expected ${width * height * channels} for ${width}x${height}x${channels}`);
  }
  const auto = options.grey === undefined || options.grey === 'auto';
  const grey = channels <= 2 || (auto ? equalChannels(data, channels) : Boolean(options.grey));
  const alpha = channels === 2 || channels === 4;
  return { width, height, channels, data, grey, alpha };
}

function equalChannels(data, channels) {
  for (let i = 0; i < data.length; i += channels) if (data[i] !== data[i + 1] || data[i] !== data[i + 2]) return false;
  return true;
}

/** The colour planes as float32 CHW in [0, 1]: three planes (grey replicated), each width*height. */
export function colourPlanes({ width, height, channels, data }) {
  const count = width * height;
  const planes = new Float32Array(3 * count);
  const step = channels;
  for (let c = 0; c < 3; c++) {
    const offset = channels >= 3 ? c : 0;
    const plane = planes.subarray(c * count, (c + 1) * count);
    for (let i = 0; i < count; i++) plane[i] = data[i * step + offset] / 255;
  }
  return planes;
}

/** The alpha plane (last channel) as uint8, or null. */
export function alphaPlane({ width, height, channels, data, alpha }) {
  if (!alpha) return null;
  const plane = new Uint8Array(width * height);
  for (let i = 0; i < plane.length; i++) plane[i] = data[i * channels + channels - 1];
  return plane;
}

/** Whether every alpha value is 255 (then any resize of it is 255 too). */
export const opaque = (plane) => plane.every((value) => value === 255);

/**
 * Interleave the result: rgb is three uint8 planes (CHW); grey averages them (rounded, as numpy on the rounded
 * channels); the output has the input's channel count.
 */
export function interleave(rgb, alpha, width, height, channels, grey) {
  const count = width * height;
  const out = new Uint8ClampedArray(count * channels);
  for (let i = 0; i < count; i++) {
    const r = rgb[i], g = rgb[count + i], b = rgb[2 * count + i];
    const base = i * channels;
    if (grey) {
      const value = Math.round((r + g + b) / 3); // a sum of three integers over 3 is never a half: no tie to break
      out[base] = value;
      if (channels >= 3) { out[base + 1] = value; out[base + 2] = value; }
    } else {
      out[base] = r; out[base + 1] = g; out[base + 2] = b;
    }
    if (alpha) out[base + channels - 1] = alpha[i];
  }
  return out;
}

/** Round half to even (numpy's and torch's rounding), for values already clamped to [0, 255]. */
export function roundEven(value) {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Any 1-4 channel image as RGBA (grey replicated, alpha 255 where there is none); RGBA itself is returned as it is. */
export function toRgba({ width, height, channels, data }) {
  if (channels === 4) return data instanceof Uint8Array ? data : Uint8Array.from(data);
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const base = i * channels;
    rgba[4 * i] = data[base];
    rgba[4 * i + 1] = data[channels >= 3 ? base + 1 : base];
    rgba[4 * i + 2] = data[channels >= 3 ? base + 2 : base];
    rgba[4 * i + 3] = channels === 2 ? data[base + 1] : 255;
  }
  return rgba;
}
