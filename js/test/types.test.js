// The TypeScript types (index.d.ts) as an app sees them: test/types/consumer.ts must compile under --strict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const tsc = new URL('../node_modules/typescript/bin/tsc', import.meta.url);

test('index.d.ts type-checks an app', { skip: existsSync(tsc) ? false : 'typescript is not installed (npm ci)' }, () => {
  const run = spawnSync(process.execPath, [fileURLToPath(tsc), '-p', 'test/types'], { cwd: packageDir, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
});
