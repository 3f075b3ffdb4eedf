/**
 * The host side of the chat view: answers every webview message, runs one streamed request at a time,
 * records the conversation, and keeps the view in sync. It knows nothing of `vscode`: the view, the
 * editor, the clipboard and the settings arrive as small interfaces, so tests drive it directly.
 *
 * Guarantees the protocol promises (protocol.ts): every request announced with `chat/start` ends with
 * exactly one `chat/done` (a Stop gives `stopped: true`) or `chat/error`. A view that reloads mid-answer
 * gets the conversation plus the answer so far, and the stream continues into it.
 */
import { planChatMessages } from '../common/chatMessages';
import { runChat } from '../common/chatRun';
import type { ChatSessionStore, StoredTurn } from '../common/chatSessions';
import { describeError, withoutCredentials } from '../common/errors';
import type { IDisposable } from '../common/lifecycle';
import type { ModelDirectory } from '../common/modelDirectory';
import { chatUserMessage, contextBudget, type CodeSelection, type ContextBudget, type FileContext } from '../common/prompts';
import type { ChatTurn, ContextInfo, HostMessage, WebviewMessage } from '../common/protocol';
import type { RelayEndpoint } from '../common/relayClient';
import type { AideSettings } from '../common/settings';

/** A question for the model: what the transcript shows, and how to build what the model sees. */
export interface ChatQuestion {
  display: string;
  /** Short label shown instead of `display` (command-started turns), e.g. "Explain selection". */
  label?: string;
  /** Builds the model's user message within the context budget of the model's window. */
  build(budget: ContextBudget): string;
}

export interface EditorContextSource {
  info(): ContextInfo;
  selection(): CodeSelection | undefined;
  file(): FileContext | undefined;
}

export interface CodeActions {
  copy(code: string): Promise<void>;
  insert(code: string): Promise<void>;
  apply(code: string): Promise<void>;
}

export interface ChatLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ChatControllerDeps {
  endpoint(): RelayEndpoint;
  settings(): AideSettings;
  store: ChatSessionStore;
  models: ModelDirectory;
  editor: EditorContextSource;
  activity: { begin(): () => void; failed(message: string): void; succeeded(): void };
  log: ChatLog;
  codeActions: CodeActions;
  selectChatModel(model: string): Promise<void>;
  showLogs(): void;
  /** Reports a failure outside any answer (e.g. listing models), at most once per kind until `clearError`. */
  notifyError(key: string, message: string): void;
  /** The feature behind `key` worked (or the user asked again): its next failure is shown. */
  clearError(key: string): void;
  newRequestId?: () => string;
  /** How long the first token may take before `/api/ps` is asked whether the model is loading. */
  loadingProbeAfterMs?: number;
}

interface ActiveRequest {
  requestId: string;
  sessionId: string;
  abort: AbortController;
  text: string;
  loading: boolean;
  model: string;
  /** Set once the user turn is recorded and `chat/start` sent. */
  userTurn?: StoredTurn;
  finished: Promise<void>;
}

interface Exchange {
  sessionId: string;
  /** Index of the user turn in its session. */
  index: number;
  question: ChatQuestion;
}

const MAX_REMEMBERED_EXCHANGES = 50;
const MODEL_LIST_TIMEOUT_MS = 10_000;

export class ChatController implements IDisposable {
  private sink: ((message: HostMessage) => void) | undefined;
  private active: ActiveRequest | undefined;
  private readonly exchanges = new Map<string, Exchange>();
  private readonly newRequestId: () => string;

  constructor(private readonly deps: ChatControllerDeps) {
    this.newRequestId = deps.newRequestId ?? (() => `host-${crypto.randomUUID()}`);
  }

  /** Connects a view; messages go to the latest one attached. */
  attach(sink: (message: HostMessage) => void): IDisposable {
    this.sink = sink;
    return { dispose: () => (this.sink === sink ? (this.sink = undefined) : undefined) };
  }

  get isGenerating(): boolean {
    return this.active !== undefined;
  }

  async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.sendInit();
        await this.refreshModels(false);
        return;
      case 'chat/send':
        return this.send(message.requestId, message.text, message.useSelection, message.useFile);
      case 'chat/cancel':
        if (this.active?.requestId === message.requestId) this.active.abort.abort();
        return;
      case 'chat/retry':
        return this.retry(message.requestId);
      case 'chat/new':
        return this.newChat();
      case 'model/select':
        await this.deps.selectChatModel(message.model);
        this.postModels();
        return;
      case 'models/refresh':
        await this.refreshModels(true);
        return;
      case 'history/open':
        return this.openSession(message.sessionId);
      case 'history/delete':
        return this.deleteSession(message.sessionId);
      case 'code/copy':
        return this.deps.codeActions.copy(message.code);
      case 'code/insert':
        return this.deps.codeActions.insert(message.code);
      case 'code/apply':
        return this.deps.codeActions.apply(message.code);
      case 'logs/show':
        this.deps.showLogs();
        return;
      default:
        return assertNever(message);
    }
  }

  /**
   * Asks a question in the current session, stopping any answer still running. The slot is taken before
   * the first await: two asks in the same tick then form a chain (each stops and waits for the one
   * before it), so only one answer ever streams, Stop always reaches the newest, and the history keeps
   * each exchange whole and in order.
   */
  async ask(question: ChatQuestion, requestId = this.newRequestId()): Promise<void> {
    const previous = this.active;
    let finish = (): void => undefined;
    const active: ActiveRequest = {
      requestId,
      sessionId: this.deps.store.current.id,
      abort: new AbortController(),
      text: '',
      loading: false,
      model: '',
      finished: new Promise<void>((resolve) => (finish = resolve)),
    };
    this.active = active;
    const end = this.deps.activity.begin();
    try {
      if (previous) {
        previous.abort.abort();
        await previous.finished;
      }
      // Superseded while waiting: still recorded (as stopped) so the request the view announced ends.
      await this.run(active, question);
    } finally {
      end();
      if (this.active === active) this.active = undefined;
      finish();
    }
  }

  /** Stops the running answer, if any. Returns whether there was one. */
  stop(): boolean {
    if (!this.active) return false;
    this.active.abort.abort();
    return true;
  }

  async newChat(): Promise<void> {
    await this.stopAndWait();
    this.deps.store.startNew();
    this.postSession();
  }

  /** Context chips follow the editor. */
  updateContext(context: ContextInfo): void {
    this.post({ type: 'context', context });
  }

  /** The chat model setting changed elsewhere (e.g. AIDE: Select Model). */
  postModels(): void {
    this.post({ type: 'models', models: this.deps.models.names, model: this.displayedModel() });
  }

  /** The relay changed (its model list was dropped): list the new one's. */
  async connectionChanged(): Promise<void> {
    await this.refreshModels(false);
  }

  dispose(): void {
    this.active?.abort.abort();
    this.sink = undefined;
  }

  private async send(requestId: string, text: string, useSelection: boolean, useFile: boolean): Promise<void> {
    if (this.active?.requestId === requestId || this.exchanges.has(requestId)) {
      this.deps.log.warn(`Ignored a repeated chat/send for request ${requestId}`);
      return;
    }
    // Capture the editor now: by the time the model is resolved the user may have moved on.
    const selection = useSelection ? this.deps.editor.selection() : undefined;
    const file = useFile ? this.deps.editor.file() : undefined;
    await this.ask({ display: text, build: (budget) => chatUserMessage(text, { selection, file }, budget) }, requestId);
  }

  private async retry(requestId: string): Promise<void> {
    await this.stopAndWait();
    const exchange = this.exchanges.get(requestId) ?? this.lastFailedExchange();
    if (!exchange || !this.endsInFailure(exchange)) {
      this.deps.log.warn(`Nothing to retry for request ${requestId}`);
      return;
    }
    const session = this.deps.store.open(exchange.sessionId);
    if (!session) return;
    this.deps.store.truncate(session.id, exchange.index);
    this.postSession();
    await this.ask(exchange.question);
  }

  /** Only a failed exchange that ends its session is retried; anything later would be lost. */
  private endsInFailure(exchange: Exchange): boolean {
    const turns = this.deps.store.get(exchange.sessionId)?.turns ?? [];
    return turns.length === exchange.index + 2 && turns[exchange.index]?.role === 'user' && turns[exchange.index + 1]?.error !== undefined;
  }

  /** After a reload the request ids are gone; a trailing failed exchange can still be retried. */
  private lastFailedExchange(): Exchange | undefined {
    const session = this.deps.store.current;
    const turns = session.turns;
    const assistant = turns[turns.length - 1];
    const user = turns[turns.length - 2];
    if (assistant?.role !== 'assistant' || !assistant.error || user?.role !== 'user') return undefined;
    const content = user.modelContent ?? user.content;
    const label = user.label;
    return {
      sessionId: session.id,
      index: turns.length - 2,
      question: { display: user.content, ...(label ? { label } : {}), build: () => content },
    };
  }

  private async run(active: ActiveRequest, question: ChatQuestion): Promise<void> {
    const { store } = this.deps;
    const signal = active.abort.signal;
    const endpoint = this.deps.endpoint();
    try {
      active.model = await this.deps.models.chatModel(signal);
      const numCtx = await this.deps.models.contextLength(active.model, signal);
      const content = question.build(contextBudget(numCtx));
      const previous = [...(store.get(active.sessionId)?.turns ?? [])];
      this.begin(active, question, content);
      const plan = planChatMessages(previous, content, numCtx);
      if (plan.leftOut > 0) this.deps.log.info(`Answer ${active.requestId}: ${plan.leftOut} earlier exchange(s) left out to fit num_ctx ${numCtx}`);
      const result = await runChat({
        endpoint,
        model: active.model,
        messages: plan.messages,
        numCtx,
        signal,
        ...(this.deps.loadingProbeAfterMs !== undefined ? { loadingProbeAfterMs: this.deps.loadingProbeAfterMs } : {}),
        onDelta: (text) => {
          active.text += text;
          this.post({ type: 'chat/delta', requestId: active.requestId, text });
        },
        onLoading: () => {
          active.loading = true;
          this.post({ type: 'chat/loading', requestId: active.requestId });
        },
      });
      // Never silent: a cut answer and a shortened history are both shown under the answer.
      const stats = {
        ...result.stats,
        ...(result.doneReason === 'length' ? { cutOff: true } : {}),
        ...(plan.leftOut > 0 ? { historyLeftOut: plan.leftOut } : {}),
      };
      store.append(active.sessionId, { role: 'assistant', content: result.text, model: active.model, stats });
      this.post({ type: 'chat/done', requestId: active.requestId, stats, stopped: result.stopped });
      if (result.doneReason === 'length') this.deps.log.info(`Answer ${active.requestId} was cut at the model's token limit`);
      this.deps.activity.succeeded();
    } catch (error) {
      // Failed before the model's window was known: the stored turn still needs the real content (not the
      // label), because a retry after the view reloads rebuilds the question from it.
      if (!active.userTurn) this.begin(active, question, question.build(contextBudget(this.deps.settings().contextLength)));
      const described = describeError(error, { url: endpoint.url, ...(active.model ? { model: active.model } : {}) }, signal);
      if (described.kind === 'aborted') {
        store.append(active.sessionId, { role: 'assistant', content: active.text, model: active.model });
        this.post({ type: 'chat/done', requestId: active.requestId, stats: {}, stopped: true });
        return;
      }
      this.deps.log.error(`Chat request failed (${active.model || 'no model'} at ${withoutCredentials(endpoint.url)}): ${described.message}`);
      store.append(active.sessionId, { role: 'assistant', content: active.text, model: active.model, error: described.message });
      this.post({ type: 'chat/error', requestId: active.requestId, message: described.message, retryable: described.retryable });
      this.deps.activity.failed(described.message);
    }
  }

  /** Records the user turn and announces the request, once. */
  private begin(active: ActiveRequest, question: ChatQuestion, modelContent: string): void {
    if (active.userTurn) return;
    const session = this.deps.store.get(active.sessionId);
    const userTurn: StoredTurn = {
      role: 'user',
      content: question.display,
      ...(question.label ? { label: question.label } : {}),
      ...(modelContent !== question.display ? { modelContent } : {}),
    };
    this.remember(active.requestId, { sessionId: active.sessionId, index: session?.turns.length ?? 0, question });
    this.deps.store.append(active.sessionId, userTurn);
    active.userTurn = userTurn;
    this.post({ type: 'chat/start', requestId: active.requestId, prompt: publicTurn(userTurn), model: active.model });
  }

  private remember(requestId: string, exchange: Exchange): void {
    this.exchanges.set(requestId, exchange);
    for (const key of this.exchanges.keys()) {
      if (this.exchanges.size <= MAX_REMEMBERED_EXCHANGES) break;
      this.exchanges.delete(key);
    }
  }

  private sendInit(): void {
    const session = this.deps.store.current;
    const active = this.active;
    const replay = active?.userTurn && active.sessionId === session.id ? active : undefined;
    // The running exchange's user turn is the session's last; it is replayed below as a live request.
    const turns = (replay ? session.turns.slice(0, -1) : session.turns).map(publicTurn);
    this.post({
      type: 'init',
      models: this.deps.models.names,
      model: this.displayedModel(),
      sessionId: session.id,
      turns,
      sessions: this.deps.store.summaries(),
      context: this.deps.editor.info(),
    });
    if (replay?.userTurn) {
      this.post({ type: 'chat/start', requestId: replay.requestId, prompt: publicTurn(replay.userTurn), model: replay.model });
      if (replay.loading) this.post({ type: 'chat/loading', requestId: replay.requestId });
      if (replay.text) this.post({ type: 'chat/delta', requestId: replay.requestId, text: replay.text });
    }
  }

  private async refreshModels(userAsked: boolean): Promise<void> {
    try {
      await this.deps.models.refresh(AbortSignal.timeout(MODEL_LIST_TIMEOUT_MS));
      this.deps.clearError('models');
    } catch (error) {
      const described = describeError(error, { url: this.deps.endpoint().url });
      if (userAsked) {
        // The user is waiting for this answer: never swallow it as "already shown".
        this.deps.clearError('models');
        this.deps.notifyError('models', `Could not list models: ${described.message}`);
      } else {
        this.deps.log.warn(`Could not list models: ${described.message}`);
      }
    }
    this.postModels();
  }

  private async openSession(sessionId: string): Promise<void> {
    await this.stopAndWait();
    if (!this.deps.store.open(sessionId)) this.deps.log.warn(`history/open: no session ${sessionId}`);
    this.postSession();
  }

  private async deleteSession(sessionId: string): Promise<void> {
    if (this.active?.sessionId === sessionId) await this.stopAndWait();
    const wasCurrent = this.deps.store.current.id === sessionId;
    this.deps.store.delete(sessionId);
    if (wasCurrent) this.postSession();
    else this.post({ type: 'history', sessions: this.deps.store.summaries() });
  }

  private async stopAndWait(): Promise<void> {
    while (this.active) {
      this.active.abort.abort();
      await this.active.finished;
    }
  }

  private postSession(): void {
    const session = this.deps.store.current;
    this.post({ type: 'session', sessionId: session.id, turns: session.turns.map(publicTurn) });
    this.post({ type: 'history', sessions: this.deps.store.summaries() });
  }

  /** The configured chat model, else the one that would be picked automatically. */
  private displayedModel(): string {
    return this.deps.settings().chatModel || this.deps.models.automaticChatModel() || '';
  }

  private post(message: HostMessage): void {
    this.sink?.(message);
  }
}

function publicTurn(turn: StoredTurn): ChatTurn {
  const { modelContent: _hidden, ...visible } = turn;
  return visible;
}

function assertNever(value: never): never {
  throw new Error(`Unhandled webview message: ${JSON.stringify(value)}`);
}
