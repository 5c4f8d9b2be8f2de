// Headless Chromium run of the CLI-parity cases: serves this package and the cases folder on 127.0.0.1 with the
// COOP/COEP headers (so onnxruntime-web may use WASM threads), opens test/browser/page.html through
// puppeteer-core driving the system browser, prints the page's report as JSON. Exits 1 on any page error.
//   node test/browser/run.mjs CHROMIUM CASES_DIR
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const [chromium, casesDir] = process.argv.slice(2);
const packageDir = resolve(fileURLToPath(import.meta.url), '../../..');
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

function serve() {
  const server = http.createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname));
    const file = path.startsWith('/cases/') ? join(casesDir, path.slice('/cases/'.length)) : join(packageDir, path);
    try {
      const body = await readFile(file);
      response.writeHead(200, {
        'Content-Type': types[extname(file)] ?? 'application/octet-stream',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)));
}

const server = await serve();
const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`http://127.0.0.1:${server.address().port}/test/browser/page.html`, { waitUntil: 'load' });
  await page.waitForFunction('window.parityReady === true', { timeout: 60000 });
  const report = await page.evaluate(() => window.runParity());
  if (errors.length) throw new Error(errors.join('; '));
  process.stdout.write(JSON.stringify(report));
} catch (error) {
  console.error(`error: ${error.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  server.close();
}
