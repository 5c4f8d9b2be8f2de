// Headless Chromium driver for tests/export/test_web_example.py: open the example page, upscale one image,
// print {width, height, seconds, pixels} as JSON.   node web_driver.js EXAMPLE_DIR CHROMIUM URL TILE
'use strict';
const [exampleDir, chromium, url, tile] = process.argv.slice(2);
const puppeteer = require(`${exampleDir}/node_modules/puppeteer-core`);

(async () => {
  const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url, { waitUntil: 'load' });
    const result = await page.evaluate((size) => gansuiteUpscale('model.onnx', 'in.png', size), parseInt(tile, 10));
    if (errors.length) throw new Error(errors.join('; '));
    process.stdout.write(JSON.stringify(result));
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(`error: ${error.message}`); process.exit(1); });
