// Bicubic upscaling of one 8-bit plane, bit-exact with OpenCV's cv2.resize(..., INTER_CUBIC) on uint8, which is
// what the gansuite CLI uses for alpha (alpha_rule "bicubic"): Keys' cubic with A = -0.75, pixel centres at
// (x + 0.5) / scale - 0.5, borders replicated, coefficients in 11-bit fixed point, rows then columns, rounded once.
const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;
const A = -0.75;
const f = Math.fround;

function cubicCoefficients(x) {
  // OpenCV's interpolateCubic, in float32 step by step as it computes it.
  const x1 = f(x + 1), y = f(1 - x);
  const c0 = f(f(f(f(f(f(A * x1) - 5 * A) * x1) + 8 * A) * x1) - 4 * A);
  const c1 = f(f(f(f(f((A + 2) * x) - (A + 3)) * x) * x) + 1);
  const c2 = f(f(f(f(f((A + 2) * y) - (A + 3)) * y) * y) + 1);
  const c3 = f(f(f(1 - c0) - c1) - c2);
  return [c0, c1, c2, c3];
}

const roundEven = (value) => {
  const floor = Math.floor(value), fraction = value - floor;
  return fraction > 0.5 || (fraction === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
};

// For each output index: the four source indices (replicated at the borders) and their fixed-point weights.
function taps(outSize, inSize) {
  const scale = inSize / outSize;
  const index = new Int32Array(outSize * 4), weight = new Int32Array(outSize * 4);
  for (let d = 0; d < outSize; d++) {
    const position = f((d + 0.5) * scale - 0.5);
    const start = Math.floor(position);
    const coefficients = cubicCoefficients(f(position - start));
    for (let k = 0; k < 4; k++) {
      index[d * 4 + k] = Math.min(Math.max(start + k - 1, 0), inSize - 1);
      weight[d * 4 + k] = roundEven(coefficients[k] * COEF_SCALE);
    }
  }
  return { index, weight };
}

/**
 * Resize a uint8 plane to outWidth x outHeight as OpenCV's INTER_CUBIC does.
 * @param {Uint8Array} plane width*height values
 * @returns {Uint8Array} outWidth*outHeight values
 */
export function resizeBicubic(plane, width, height, outWidth, outHeight) {
  const columns = taps(outWidth, width), rows = taps(outHeight, height);
  const horizontal = new Int32Array(height * outWidth); // rows resized across, in COEF_SCALE units
  for (let y = 0; y < height; y++) {
    const row = y * width, out = y * outWidth;
    for (let x = 0; x < outWidth; x++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += plane[row + columns.index[x * 4 + k]] * columns.weight[x * 4 + k];
      horizontal[out + x] = sum;
    }
  }
  // The columns pass as OpenCV's SIMD path does it (the one it takes for all but a row's last few pixels):
  // the fixed-point row sums as float32, weights scaled to float32, fused multiply-adds, rounded half to even.
  const unit = f(1 / (COEF_SCALE * COEF_SCALE));
  const result = new Uint8Array(outWidth * outHeight);
  for (let y = 0; y < outHeight; y++) {
    const w = [0, 1, 2, 3].map((k) => f(rows.weight[y * 4 + k] * unit));
    const r = [0, 1, 2, 3].map((k) => rows.index[y * 4 + k] * outWidth);
    for (let x = 0; x < outWidth; x++) {
      let sum = f(horizontal[r[3] + x] * w[3]);
      for (let k = 2; k >= 0; k--) sum = f(horizontal[r[k] + x] * w[k] + sum); // exact product in double: fused
      result[y * outWidth + x] = Math.min(255, Math.max(0, roundEven(sum)));
    }
  }
  return result;
}
