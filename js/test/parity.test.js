// CLI parity in Node: set GANSUITE_PARITY_DIR to a folder made by tests/js/test_js_package.py (pytest does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'gansuite-onnx';
import { runCases } from './parity-cases.js';

const folder = process.env.GANSUITE_PARITY_DIR;

test('parity with the gansuite CLI (onnxruntime-node)', { skip: folder ? false : 'GANSUITE_PARITY_DIR is not set (pytest tests/js sets it)' }, async () => {
  const results = await runCases((name) => load(join(folder, name), { threads: 2 }), async (name) => new Uint8Array(await readFile(join(folder, name))));
  for (const result of results) console.log(`# ${result.name}: ${result.maxDifference} levels, ${result.seconds.toFixed(3)} s`);
  assert.ok(results.length > 0);
  for (const result of results) assert.ok(result.maxDifference <= 1, `${result.name}: ${result.maxDifference} levels off the CLI`);
});
