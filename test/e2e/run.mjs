#!/usr/bin/env node
// `npm run test:e2e`: the real-editor suite (code-server + Chromium), when its pieces are installed.
//   - everything present → build, package the VSIX, run test/e2e/*.e2e.test.ts one file at a time
//   - something missing, CI=true → exit 1 naming what is missing (CI must never skip silently)
//   - something missing otherwise → say how to enable it and exit 0
// Arguments filter the test files by name: `npm run test:e2e -- chat`.
// Env: E2E_SCREENSHOTS=1 refreshes docs/images/*.png; KEEP=1 keeps each run's temp profile and logs;
// CHROMIUM=<path> uses another Chromium binary. Failures leave a screenshot, the page console and the
// process logs in test-results/e2e/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const inCi = /^(1|true)$/i.test(process.env.CI ?? '');

const missing = [];
if (!fs.existsSync(path.join(here, 'node_modules', 'code-server', 'package.json'))) missing.push('code-server in test/e2e/node_modules');
if (!fs.existsSync(path.join(here, 'node_modules', 'playwright-core', 'package.json'))) missing.push('playwright-core in test/e2e/node_modules');
if (!fs.existsSync(chromium)) missing.push(`Chromium at ${chromium}`);

if (missing.length > 0) {
  const how = 'Install them with: bash test/e2e/setup.sh   (Debian/Ubuntu: apt packages, then code-server into test/e2e)';
  if (inCi) {
    console.error(`editor e2e suite cannot run, missing: ${missing.join('; ')}\n${how}`);
    process.exit(1);
  }
  console.log(`editor e2e suite skipped, missing: ${missing.join('; ')}\n${how}`);
  process.exit(0);
}

const filters = process.argv.slice(2);
const testFiles = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.e2e.test.ts'))
  .filter((f) => filters.length === 0 || filters.some((word) => f.includes(word)))
  .sort()
  .map((f) => path.join('test', 'e2e', f));
if (testFiles.length === 0) {
  console.error(`no editor e2e test file matches ${JSON.stringify(filters)}`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

const started = Date.now();
// Failure screenshots and logs of this run only (see support/environment.ts).
fs.rmSync(path.join(root, 'test-results', 'e2e'), { recursive: true, force: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aide-e2e-vsix-'));
let status = 1;
try {
  if (run('npm', ['run', 'build', '--silent'], { timeout: 180_000 }) !== 0) throw new Error('npm run build failed');
  const vsix = path.join(tmp, 'aide-ollama-e2e.vsix');
  // The suite installs the packaged artifact, so it also proves what .vscodeignore ships is enough.
  if (run('npx', ['--no-install', 'vsce', 'package', '--no-dependencies', '--out', vsix], { timeout: 180_000 }) !== 0) {
    throw new Error('vsce package failed');
  }
  status = run(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...testFiles],
    { env: { ...process.env, AIDE_E2E_VSIX: vsix }, timeout: 15 * 60_000, killSignal: 'SIGKILL' },
  );
} catch (error) {
  console.error(`editor e2e suite: ${error instanceof Error ? error.message : String(error)}`);
  status = 1;
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(`editor e2e suite finished in ${((Date.now() - started) / 1000).toFixed(1)} s (exit ${status})`);
process.exit(status);
