// The CLI-parity cases made by tests/js/test_js_package.py (cases.json + raw 8-bit pixels), run through this
// package. Runtime-neutral: Node (parity.test.js) and the browser page (browser/page.html) pass their own
// `load` and a byte reader.

/** Largest absolute difference between two equal-length pixel arrays (Infinity when the lengths differ). */
export function maxDifference(a, b) {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** PSNR in dB of two equal-length 8-bit arrays (Infinity when equal). */
export function psnr(a, b) {
  let squares = 0;
  for (let i = 0; i < a.length; i++) squares += (a[i] - b[i]) ** 2;
  return squares === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.length) / squares);
}

/**
 * @param {(name: string) => Promise<object>} load a model by its file name in the cases folder
 * @param {(name: string) => Promise<Uint8Array>} readBytes a file of the cases folder
 * @returns {Promise<{name: string, maxDifference: number, psnr: number, seconds: number, shape: number[]}[]>}
 */
export async function runCases(load, readBytes) {
  const cases = JSON.parse(new TextDecoder().decode(await readBytes('cases.json')));
  const models = new Map();
  const results = [];
  for (const item of cases) {
    if (!models.has(item.model)) models.set(item.model, await load(item.model));
    const model = models.get(item.model);
    const { width, height, channels } = item.input;
    const image = { width, height, channels, data: await readBytes(item.input.file) };
    const started = Date.now();
    const out = await model[item.op](image, item.options);
    const expected = await readBytes(item.expected.file);
    const shapeOk = out.width === item.expected.width && out.height === item.expected.height && out.channels === item.expected.channels;
    results.push({
      name: item.name,
      maxDifference: shapeOk ? maxDifference(out.data, expected) : Infinity,
      psnr: shapeOk ? psnr(out.data, expected) : 0,
      seconds: (Date.now() - started) / 1000,
      shape: [out.height, out.width, out.channels],
    });
  }
  for (const model of models.values()) await model.release();
  return results;
}
