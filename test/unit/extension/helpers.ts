/** Shared fixtures for the extension's unit tests: a chat controller wired to a fake Ollama, and bounded waits. */
import { createServer } from 'node:http';
import { ChatController, type ChatControllerDeps } from '../../../extension/chat/chatController';
import { ChatSessionStore } from '../../../extension/common/chatSessions';
import { CHAT_SESSIONS_STATE_KEY } from '../../../extension/common/ids';
import { ModelDirectory } from '../../../extension/common/modelDirectory';
import type { HostMessage } from '../../../extension/common/protocol';
import type { RelayEndpoint } from '../../../extension/common/relayClient';
import { readSettings, type AideSettings } from '../../../extension/common/settings';
import { FakeMemento } from '../../fakes/vscode/context';

/** Polls `predicate` every 5 ms; rejects naming `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function settingsWith(values: Record<string, unknown>): AideSettings {
  return readSettings({ get: (key) => values[key] });
}

export interface ControllerFixture {
  controller: ChatController;
  posted: HostMessage[];
  memento: FakeMemento;
  store: ChatSessionStore;
  logs: string[];
  activity: { begun: number; ended: number; failures: string[]; successes: number };
  codeActions: Array<{ action: 'copy' | 'insert' | 'apply'; code: string }>;
  notifications: string[];
  endpoint: RelayEndpoint;
  settings: { current: AideSettings };
  /** Messages posted for one request id, in order. */
  forRequest(requestId: string): HostMessage[];
  /** The terminal message(s) (`chat/done` / `chat/error`) posted for a request. */
  terminals(requestId: string): HostMessage[];
}

export function createControllerFixture(
  url: string,
  options: { token?: string; settings?: Record<string, unknown>; memento?: FakeMemento; deps?: Partial<ChatControllerDeps> } = {},
): ControllerFixture {
  const endpoint: RelayEndpoint = options.token ? { url, token: options.token } : { url };
  const settings = { current: settingsWith(options.settings ?? {}) };
  const memento = options.memento ?? new FakeMemento();
  const store = new ChatSessionStore(memento, CHAT_SESSIONS_STATE_KEY);
  const posted: HostMessage[] = [];
  const logs: string[] = [];
  const activity = { begun: 0, ended: 0, failures: [] as string[], successes: 0 };
  const codeActions: ControllerFixture['codeActions'] = [];
  const notifications: string[] = [];
  let sequence = 0;
  const controller = new ChatController({
    endpoint: () => endpoint,
    settings: () => settings.current,
    store,
    models: new ModelDirectory(() => endpoint, () => settings.current),
    editor: { info: () => ({}), selection: () => undefined, file: () => undefined },
    activity: {
      begin: () => {
        activity.begun += 1;
        return () => {
          activity.ended += 1;
        };
      },
      failed: (message) => activity.failures.push(message),
      succeeded: () => {
        activity.successes += 1;
      },
    },
    log: { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) },
    codeActions: {
      copy: async (code) => void codeActions.push({ action: 'copy', code }),
      insert: async (code) => void codeActions.push({ action: 'insert', code }),
      apply: async (code) => void codeActions.push({ action: 'apply', code }),
    },
    selectChatModel: async (model) => {
      settings.current = { ...settings.current, chatModel: model };
    },
    showLogs: () => logs.push('show logs'),
    notifyError: (_key, message) => notifications.push(message),
    clearError: () => undefined,
    newRequestId: () => `host-${++sequence}`,
    ...options.deps,
  });
  controller.attach((message) => posted.push(message));
  const forRequest = (requestId: string): HostMessage[] => posted.filter((m) => 'requestId' in m && m.requestId === requestId);
  return {
    controller,
    posted,
    memento,
    store,
    logs,
    activity,
    codeActions,
    notifications,
    endpoint,
    settings,
    forRequest,
    terminals: (requestId) => forRequest(requestId).filter((m) => m.type === 'chat/done' || m.type === 'chat/error'),
  };
}

export interface ScriptedOllama {
  url: string;
  /** The parsed bodies of every `/api/chat` request. */
  chats: unknown[];
  /** What the next `/api/chat` answers, streamed in small NDJSON chunks. */
  answer: string;
  /** Pause between chunks, to let a test stop an answer midway. */
  chunkDelayMs: number;
  /** `/api/chat` requests whose client closed the connection before the answer was complete. */
  abortedChats: number;
  /** The final record's `done_reason`: `stop`, or `length` for an answer cut at `num_predict` / the window. */
  doneReason: 'stop' | 'length';
  close(): Promise<void>;
}

/**
 * A tiny Ollama that answers `/api/chat` with a scripted text (the shared fake echoes its input, which
 * cannot stand for a model's edit), plus the metadata routes the extension asks first.
 */
export async function startScriptedOllama(answer: string, model = 'llama3.2:1b'): Promise<ScriptedOllama> {
  const state: ScriptedOllama = { url: '', chats: [], answer, chunkDelayMs: 0, abortedChats: 0, doneReason: 'stop', close: () => Promise.resolve() };
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', async () => {
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.url === '/api/tags') return json(200, { models: [{ name: model, model, details: { family: 'llama' } }] });
      if (req.url === '/api/ps') return json(200, { models: [{ name: model, model }] });
      if (req.url === '/api/show') return json(200, { capabilities: ['completion'], model_info: { 'general.architecture': 'llama', 'llama.context_length': 8192 } });
      if (req.url !== '/api/chat') return json(404, { error: 'not found' });
      state.chats.push(JSON.parse(raw));
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      let finished = false;
      res.on('close', () => {
        if (!finished) state.abortedChats += 1;
      });
      const text = state.answer;
      for (let i = 0; i < text.length && !res.destroyed; i += 7) {
        res.write(`${JSON.stringify({ model, created_at: new Date().toISOString(), message: { role: 'assistant', content: text.slice(i, i + 7) }, done: false })}\n`);
        if (state.chunkDelayMs) await new Promise((resolve) => setTimeout(resolve, state.chunkDelayMs));
      }
      if (res.destroyed) return;
      finished = true;
      res.end(`${JSON.stringify({ model, message: { role: 'assistant', content: '' }, done: true, done_reason: state.doneReason, prompt_eval_count: 10, eval_count: 5, eval_duration: 5e7 })}\n`);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('no TCP address');
  state.url = `http://127.0.0.1:${address.port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}
