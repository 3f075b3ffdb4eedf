#!/usr/bin/env node
// `npm run test:electron`: the extension-host suite in desktop VS Code through @vscode/test-electron.
// It downloads VS Code from update.code.visualstudio.com, so it is for machines with that access
// (a developer laptop, a hosted CI runner); offline machines use the code-server suite in test/e2e.
// Needs a display: on headless Linux run it under `xvfb-run -a npm run test:electron`.
//
// It starts the fake Ollama and the built relay on loopback ports, opens a temporary workspace whose
// settings point the extension at that relay, and runs suite/index.cjs inside the extension host.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const VSCODE_VERSION = process.env.VSCODE_VERSION ?? '1.100.3'; // the engines.vscode floor

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function startProcess(args, env, readyPattern, what) {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${what} did not start within 30 s:\n${output}`)), 30_000);
    const fail = (error) => {
      clearTimeout(timer);
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
      reject(error);
    };
    const onData = (chunk) => {
      output += chunk.toString('utf8');
      const match = output.match(readyPattern);
      if (match) {
        clearTimeout(timer);
        resolve({ match, stop: () => { try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ } } });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => fail(new Error(`${what} exited with ${code}:\n${output}`)));
  });
}

const stops = [];
let exitCode = 1;
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aide-electron-'));
try {
  if (!fs.existsSync(path.join(root, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run "npm run build" first');
  const fake = await startProcess(['--import', 'tsx', 'test/fakes/fakeOllamaCli.ts', '--port', '0'], {}, /FAKE_OLLAMA_URL=(\S+)/, 'fake Ollama');
  stops.push(fake.stop);
  const token = `electron-${randomBytes(12).toString('hex')}`;
  const relayPort = await freePort();
  const relay = await startProcess(
    ['dist/server.js'],
    { HOST: '127.0.0.1', PORT: String(relayPort), OLLAMA_HOST: fake.match[1], RELAY_TOKENS: `electron:${token}`, RELAY_DATA_DIR: path.join(workDir, 'relay') },
    /listening/,
    'relay',
  );
  stops.push(relay.stop);

  const workspace = path.join(workDir, 'workspace');
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(workspace, 'sample.py'), 'def add(a, b):\n    return a + b\n');
  fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({
    'aide.relay.url': `http://127.0.0.1:${relayPort}`,
    'aide.chat.model': 'llama3.2:1b',
    'aide.completion.model': 'qwen2.5-coder:1.5b',
    'aide.completion.debounceMs': 50,
  }, null, 2));

  exitCode = await runTests({
    version: VSCODE_VERSION,
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(here, 'suite', 'index.cjs'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', path.join(workDir, 'user-data')],
    extensionTestsEnv: { AIDE_TEST_FAKE_OLLAMA_URL: fake.match[1], AIDE_TEST_RELAY_TOKEN: token },
  }).then(() => 0);
} catch (error) {
  console.error(`electron suite failed: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  for (const stop of stops.reverse()) stop();
  fs.rmSync(workDir, { recursive: true, force: true });
}
process.exit(exitCode);
