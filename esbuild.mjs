// One build file, named targets: `node esbuild.mjs [relay|extension|webview] [--watch]`.
// No target name builds all three.
import * as esbuild from 'esbuild';
import { readdirSync, existsSync } from 'node:fs';

const production = process.env.NODE_ENV === 'production';
const common = { bundle: true, sourcemap: true, minify: production, logLevel: 'warning', legalComments: 'none' };

const webviewEntries = existsSync('media')
  ? readdirSync('media').filter((f) => /^[a-z][\w-]*\.ts$/.test(f) && !f.endsWith('.d.ts')).map((f) => `media/${f}`)
  : [];

const targets = {
  // The relay keeps its npm dependencies external: `npm ci` installs them, and the container image
  // ships them as production dependencies next to dist/server.js.
  relay: { ...common, entryPoints: ['server/main.ts'], outfile: 'dist/server.js', platform: 'node', format: 'cjs', target: 'node20', packages: 'external' },
  // The extension ships without node_modules, so everything but `vscode` is bundled.
  extension: { ...common, entryPoints: ['extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] },
  webview: { ...common, entryPoints: webviewEntries, outdir: 'dist/webview', platform: 'browser', format: 'iife', target: 'es2022', loader: { '.css': 'css' } },
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const names = wanted.length ? wanted : Object.keys(targets);
for (const name of names) {
  const options = targets[name];
  if (!options) throw new Error(`unknown build target "${name}" (expected one of ${Object.keys(targets).join(', ')})`);
  if (name === 'extension' && !existsSync('extension/extension.ts')) continue;
  if (name === 'webview' && webviewEntries.length === 0) continue;
  if (process.argv.includes('--watch')) await (await esbuild.context(options)).watch();
  else await esbuild.build(options);
}
