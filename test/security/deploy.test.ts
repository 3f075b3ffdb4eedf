/**
 * Deployment files that cannot run here (no Docker, no Replit) are held to what can be checked: the
 * container health check against a real relay, the runtime image's dependency set against what the
 * bundle actually requires, the Caddyfile through Caddy's own parser, and the platform files' settings.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type CertSet, makeCerts } from './helpers/certs';
import { CADDYFILE, requireCaddy } from './helpers/caddy';
import { freePort } from './helpers/processes';
import { isRecord, type SecurityRig, startSecurityRig } from './helpers/relayRig';

const ROOT = resolve(__dirname, '../..');
const HEALTHCHECK = join(ROOT, 'deploy/docker/healthcheck.mjs');

function runHealthcheck(env: Record<string, string>): Promise<number> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [HEALTHCHECK], { env: { PATH: process.env.PATH, ...env }, timeout: 10_000 }, (error) => {
      resolvePromise(error === null ? 0 : typeof error.code === 'number' ? error.code : 99);
    });
  });
}

/** Dockerfile instructions grouped by build stage (continuation lines joined, comments dropped). */
function dockerStages(text: string): Array<{ from: string; instructions: Array<[string, string]> }> {
  const lines = text.replace(/\\\n\s*/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Array<{ from: string; instructions: Array<[string, string]> }> = [];
  const known = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);
  for (const line of lines) {
    const match = /^([A-Za-z]+)\s+(.*)$/.exec(line);
    assert.ok(match, `not a Dockerfile instruction: ${line}`);
    const instruction = match[1]!.toUpperCase();
    assert.ok(known.has(instruction), `unknown Dockerfile instruction: ${instruction}`);
    if (instruction === 'FROM') stages.push({ from: match[2]!, instructions: [] });
    else stages.at(-1)?.instructions.push([instruction, match[2]!]);
  }
  return stages;
}

describe('security: deployment files', function () {
  this.timeout(60_000);

  describe('container health check (deploy/docker/healthcheck.mjs)', () => {
    let workDir = '';
    let certs: CertSet;
    let plain: SecurityRig;
    let tls: SecurityRig;

    before(async () => {
      workDir = mkdtempSync(join(tmpdir(), 'aide-sec-deploy-'));
      certs = makeCerts(join(workDir, 'pki'));
      plain = await startSecurityRig();
      tls = await startSecurityRig({ TLS_CERT_FILE: certs.serverCert, TLS_KEY_FILE: certs.serverKey });
    });

    after(async () => {
      await plain?.close();
      await tls?.close();
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    it('passes against a serving relay over http and over https', async () => {
      assert.equal(await runHealthcheck({ PORT: String(plain.port) }), 0);
      assert.equal(await runHealthcheck({ PORT: String(tls.port), TLS_CERT_FILE: certs.serverCert }), 0);
    });

    it('fails when nothing listens, or when the scheme is wrong', async () => {
      assert.equal(await runHealthcheck({ PORT: String(await freePort()) }), 1);
      assert.equal(await runHealthcheck({ PORT: String(tls.port) }), 1);
    });
  });

  describe('Dockerfile', () => {
    const stages = dockerStages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    const runtime = stages.at(-1);

    it('builds in one stage and runs node:20-slim as a non-root user with a health check', () => {
      assert.equal(stages.length, 2);
      assert.ok(runtime);
      assert.match(runtime.from, /^node:20-slim\b/);
      const user = runtime.instructions.filter(([name]) => name === 'USER').map(([, value]) => value);
      assert.deepEqual(user, ['node']);
      assert.ok(runtime.instructions.some(([name, value]) => name === 'HEALTHCHECK' && value.includes('healthcheck.mjs')));
      assert.ok(runtime.instructions.some(([name, value]) => name === 'ENV' && /HOST=0\.0\.0\.0/.test(value)));
      assert.ok(runtime.instructions.some(([name, value]) => name === 'CMD' && value.includes('dist/server.js')));
    });

    it('ships only dist/server.js, the health check and production dependencies', () => {
      assert.ok(runtime);
      const copies = runtime.instructions.filter(([name]) => name === 'COPY' || name === 'ADD').map(([, value]) => value);
      for (const copy of copies) assert.match(copy, /^(package\.json package-lock\.json \.\/|--from=build \/app\/dist\/server\.js \S+|deploy\/docker\/healthcheck\.mjs \S+)$/, `unexpected copy into the runtime image: ${copy}`);
      assert.ok(runtime.instructions.some(([name, value]) => name === 'RUN' && /npm ci --omit=dev/.test(value)));
    });

    it('keeps secrets, dependencies and build output out of the build context', () => {
      const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
      for (const entry of ['.git', 'node_modules', 'dist', '.relay', '.env', '**/*.key']) assert.ok(ignored.includes(entry), `.dockerignore lacks ${entry}`);
    });

    it('needs nothing at run time beyond the production dependencies (npm ci --omit=dev is enough)', () => {
      execFileSync(process.execPath, ['esbuild.mjs', 'relay'], { cwd: ROOT, timeout: 60_000, stdio: 'pipe' });
      const bundle = readFileSync(join(ROOT, 'dist/server.js'), 'utf8');
      const manifest: unknown = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
      assert.ok(isRecord(manifest) && isRecord(manifest.dependencies));
      const production = new Set(Object.keys(manifest.dependencies));
      const required = new Set([...bundle.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]!));
      const builtins = new Set(builtinModules);
      const missing = [...required].filter((name) => {
        if (name.startsWith('node:') || builtins.has(name)) return false;
        const pkg = name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]!;
        return !production.has(pkg);
      });
      assert.ok(required.size > 0, 'the bundle keeps its packages external');
      assert.deepEqual(missing, [], 'the relay bundle requires packages that are not production dependencies');
    });
  });

  describe('Replit (.replit, replit.nix)', () => {
    const replit = readFileSync(join(ROOT, '.replit'), 'utf8');

    it('listens on 0.0.0.0 on the port it exposes, builds the relay, and runs dist/server.js', () => {
      assert.match(replit, /^\[env\][^[]*^HOST = "0\.0\.0\.0"$/m);
      const settings = replit.split('\n').filter((line) => !line.trimStart().startsWith('#')).join('\n');
      assert.doesNotMatch(settings, /RELAY_ALLOW_NO_AUTH|RELAY_TOKENS|OLLAMA_API_KEY/, 'no open mode and no secret in the repository');
      const localPort = /\[\[ports\]\]\s*localPort = (\d+)/.exec(replit)?.[1];
      assert.equal(localPort, '11435', 'the exposed port is the relay default (used when the platform sets no PORT)');
      assert.match(replit, /^\[deployment\][\s\S]*^build = .*node esbuild\.mjs relay/m);
      assert.match(replit, /^\[deployment\][\s\S]*^run = \["node", "--max-semi-space-size=8", "dist\/server\.js"\]$/m);
      assert.match(readFileSync(join(ROOT, 'replit.nix'), 'utf8'), /pkgs\.nodejs_20\b/);
    });
  });

  describe('Caddyfile (deploy/ollama-host)', () => {
    it("parses with Caddy's own adapter and is canonically formatted", function () {
      requireCaddy(this);
      const workDir = mkdtempSync(join(tmpdir(), 'aide-sec-adapt-'));
      try {
        const certs = makeCerts(join(workDir, 'pki'));
        const env = { PATH: process.env.PATH, HOME: workDir, XDG_DATA_HOME: workDir, XDG_CONFIG_HOME: workDir, TLS_CERT_FILE: certs.serverCert, TLS_KEY_FILE: certs.serverKey, CLIENT_CA_FILE: certs.caCert };
        const json: unknown = JSON.parse(execFileSync('caddy', ['adapt', '--config', CADDYFILE, '--adapter', 'caddyfile'], { env, cwd: workDir, timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8'));
        assert.ok(isRecord(json) && isRecord(json.apps), 'caddy adapt produced a config');
        const formatted = execFileSync('caddy', ['fmt', CADDYFILE], { timeout: 20_000 }).toString('utf8');
        assert.equal(formatted, readFileSync(CADDYFILE, 'utf8'));
      } finally {
        rmSync(workDir, { recursive: true, force: true });
      }
    });

    it('make-certs.sh is valid POSIX sh', () => {
      execFileSync('sh', ['-n', join(ROOT, 'deploy/ollama-host/make-certs.sh')], { timeout: 10_000 });
    });
  });
});
