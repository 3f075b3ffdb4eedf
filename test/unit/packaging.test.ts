/**
 * What the VSIX ships, as `vsce ls --no-dependencies` reports it: the built extension, the chat
 * webview bundle, static images, the manifest and the three documents — never sources, tests, the
 * relay, deployment files or source maps.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const repoRoot = path.resolve(__dirname, '..', '..');
const vsceCli = path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');

async function vsceLs(cwd: string): Promise<string[]> {
  const { stdout } = await execFileAsync(process.execPath, [vsceCli, 'ls', '--no-dependencies'], { cwd, timeout: 30_000 });
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .sort();
}

/** Everything a checkout can hold after `npm ci && npm run build && npm test`. */
const CHECKOUT_FILES = [
  '.ci/run',
  '.gitignore',
  '.relay/token',
  '.replit',
  'README.md',
  'CHANGELOG.md',
  'LICENSE',
  'bench/completion.mjs',
  'deploy/Dockerfile',
  'dist/extension.js',
  'dist/extension.js.map',
  'dist/server.js',
  'dist/server.js.map',
  'dist/webview/chat.css',
  'dist/webview/chat.css.map',
  'dist/webview/chat.js',
  'dist/webview/chat.js.map',
  'docs/images/chat-answer.png',
  'docs/user-guide.md',
  'esbuild.mjs',
  'extension/extension.ts',
  'extension/common/protocol.ts',
  'media/chat.css',
  'media/chat.ts',
  'media/chat/app.ts',
  'media/aide.png',
  'media/icon.svg',
  'media/tsconfig.json',
  'media/walkthrough/connect.md',
  'node_modules/ollama/package.json',
  'package-lock.json',
  'replit.nix',
  'server/main.ts',
  'test-results/e2e/screen.png',
  'test/e2e/run.mjs',
  'test/unit/packaging.test.ts',
  'tsconfig.json',
  'aide-ollama-0.1.0.vsix',
];

const SHIPPED = [
  'CHANGELOG.md',
  'LICENSE',
  'README.md',
  'dist/extension.js',
  'dist/webview/chat.css',
  'dist/webview/chat.js',
  'media/aide.png',
  'media/icon.svg',
  'media/walkthrough/connect.md',
  'package.json',
].sort();

/** Static images and walkthrough steps may be added to media/ without touching this test; nothing else may. */
function mayShip(file: string): boolean {
  return SHIPPED.includes(file) || /^media\/[\w./-]+\.(svg|png)$/.test(file) || /^media\/walkthrough\/[\w-]+\.md$/.test(file);
}

describe('packaging (.vscodeignore)', function () {
  this.timeout(60_000);

  it('ships exactly the built extension, the webview bundle, images, walkthrough steps, manifest, README, CHANGELOG and LICENSE', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aide-vsce-ls-'));
    try {
      fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(dir, 'package.json'));
      fs.copyFileSync(path.join(repoRoot, '.vscodeignore'), path.join(dir, '.vscodeignore'));
      for (const file of CHECKOUT_FILES) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), `placeholder for ${file}\n`);
      }
      assert.deepEqual(await vsceLs(dir), SHIPPED);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists nothing outside that set for the real checkout, whatever has been built so far', async () => {
    const listed = await vsceLs(repoRoot);
    const unexpected = listed.filter((file) => !mayShip(file));
    assert.deepEqual(unexpected, [], 'files that must not ship');
    for (const required of ['package.json', 'LICENSE', 'CHANGELOG.md']) assert.ok(listed.includes(required), `${required} must ship`);
    for (const built of ['dist/extension.js', 'dist/webview/chat.js', 'dist/webview/chat.css', 'media/icon.svg', 'media/aide.png', 'README.md']) {
      if (fs.existsSync(path.join(repoRoot, built))) assert.ok(listed.includes(built), `${built} exists and must ship`);
    }
  });
});
