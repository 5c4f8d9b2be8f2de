// Headless Chromium run of the demo page (tests/export/test_web_example.py, benchmarks/onnx_consumers.py): open it, run one image, print
// {width, height, channels, seconds, provider, decoder, pixels, png (the Save button's file, base64)} as JSON.
//   node headless_run.js EXAMPLE_DIR CHROMIUM URL IMAGE TILE [png-only]   (png-only: leave out `pixels`, for large images)
'use strict';
const [exampleDir, chromium, url, image, tile, mode] = process.argv.slice(2);
const puppeteer = require(`${exampleDir}/node_modules/puppeteer-core`);

(async () => {
  const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction('window.gansuiteReady === true', { timeout: 60000 });
    const result = await page.evaluate(async (name, size, pngOnly) => {
      const out = await window.gansuiteRun('model.onnx', name, size);
      const { encodePng } = await import('./png.js');
      const png = new Uint8Array(await (await encodePng(window.gansuiteResult)).arrayBuffer());
      let binary = '';
      for (const byte of png) binary += String.fromCharCode(byte);
      return { ...out, pixels: pngOnly ? undefined : Array.from(window.gansuiteResult.data), png: btoa(binary), isolated: self.crossOriginIsolated,
               status: document.getElementById('status').textContent };
    }, image, parseInt(tile, 10), mode === 'png-only');
    if (errors.length) throw new Error(errors.join('; '));
    process.stdout.write(JSON.stringify(result));
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(`error: ${error.message}`); process.exit(1); });
