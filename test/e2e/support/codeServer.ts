import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { spawnGroup, type GroupProcess } from './processGroup';
import { codeServerBin } from './paths';
import { waitUntil } from './deadline';
import { freeLoopbackPort } from './ports';

const execFileAsync = promisify(execFile);

/** Settings that keep the workbench quiet and deterministic: no tours, no updates, no competing suggestions. */
const QUIET_WORKBENCH: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'chat.commandCenter.enabled': false,
  'files.autoSave': 'off',
  'editor.inlineSuggest.enabled': true,
  // The suggest widget would compete with ghost text for Tab; auto-closing would change what is typed.
  'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
  'editor.suggestOnTriggerCharacters': false,
  'editor.wordBasedSuggestions': 'off',
  'editor.parameterHints.enabled': false,
  'editor.autoClosingBrackets': 'never',
  'editor.autoClosingQuotes': 'never',
  'editor.autoIndent': 'none',
  'editor.formatOnType': false,
};

export interface CodeServerOptions {
  readonly workDir: string;
  readonly vsix: string;
  /** files created in the workspace folder before start, by relative path */
  readonly files: Readonly<Record<string, string>>;
  /** user settings merged over the quiet defaults */
  readonly settings: Readonly<Record<string, unknown>>;
}

export interface CodeServer {
  readonly url: string;
  readonly workspace: string;
  readonly userDataDir: string;
  readFile(relativePath: string): string;
  stop(): Promise<void>;
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const userDataDir = path.join(options.workDir, 'user-data');
  const extensionsDir = path.join(options.workDir, 'extensions');
  const workspace = path.join(options.workDir, 'workspace');
  for (const dir of [path.join(userDataDir, 'User'), extensionsDir, workspace]) fs.mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(options.files)) {
    fs.mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
    fs.writeFileSync(path.join(workspace, name), content);
  }
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...QUIET_WORKBENCH, ...options.settings }, null, 2));

  // --config every time: otherwise code-server writes ~/.config/code-server/config.yaml.
  const profile = ['--config', path.join(options.workDir, 'config.yaml'), '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  await execFileAsync(codeServerBin, [...profile, '--install-extension', options.vsix], { timeout: 60_000 });

  const port = await freeLoopbackPort();
  const child: GroupProcess = spawnGroup({
    command: codeServerBin,
    args: [
      ...profile,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      workspace,
    ],
    logFile: path.join(options.workDir, 'code-server.log'),
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(
      async () => (await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) })).ok,
      {
        what: 'code-server /healthz',
        timeoutMs: 60_000,
        failIf: () => (child.exited() ? `code-server exited:\n${child.output().slice(-3000)}` : undefined),
      },
    );
  } catch (error: unknown) {
    await child.stop();
    throw error;
  }
  return {
    url: `${base}/?folder=${encodeURIComponent(workspace)}`,
    workspace,
    userDataDir,
    readFile: (relativePath) => fs.readFileSync(path.join(workspace, relativePath), 'utf8'),
    stop: () => child.stop(),
  };
}

/** Files the server mirrors from output channels and the extension host, e.g. `…/output_logging_…/1-AIDE.log`. */
export function findLogFiles(userDataDir: string, pattern: RegExp): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (pattern.test(full)) found.push(full);
    }
  };
  const logs = path.join(userDataDir, 'logs');
  if (fs.existsSync(logs)) walk(logs);
  return found;
}
