/**
 * The inline-completion engine: debounce → typed-through reuse → cache → abort the document's previous
 * request → stream a FIM completion → shape it. Pure (no `vscode`); the editor adapter turns its results
 * into ghost text and its activity into the status bar.
 *
 * Per document there is at most one request on the wire. A new call for a document first retires the
 * previous call (it resolves undefined) and, unless the user typed into the pending suggestion, aborts the
 * previous request before anything new is sent; the `X-Relay-Supersede` header lets the relay do the same
 * on its side even if the abort reaches it late.
 */
import { LRUCache } from 'lru-cache';
import type { RelayEndpoint } from '../relayClient';
import type { CompletionConfig } from '../settings';
import { abortableDelay } from './abortableDelay';
import { completionErrorMessage, displayUrl, isInsertRejected, NoFimModelError } from './completionErrors';
import { generateRequest, planCompletion, withoutInsert, type CompletionPlan } from './completionPlan';
import type { FimFamily } from './fimTemplates';
import { parseShowResponse, pickFimModel, type ModelInfo } from './modelInfo';
import { createOllamaClient } from '../relayClient';
import { collectText, completionStream, reportRawText } from './streamTransform';
import { SUPERSEDE_HEADER, supersedeKey } from './supersedeKey';
import { remainderAfter, typedSince, type CompletionRecord } from './typedThrough';

export { effectiveContextLength, type ModelInfo } from './modelInfo';

/**
 * What the engine reads on every call: the `aide.completion.*` settings it uses (`model` '' = auto-pick the
 * first model with the `insert` capability or a known FIM family; token windows estimated at 4 characters
 * per token, see promptWindow.ts), plus `contextLength`, the upper bound for num_ctx.
 */
export type CompletionSettings = Omit<CompletionConfig, 'enabled' | 'languages' | 'template'> & {
  template: 'auto' | FimFamily;
  contextLength: number;
};

export interface CompletionRequest {
  /** Document URI string; one supersede key per document. */
  documentKey: string;
  languageId: string;
  /** Text before the cursor (the engine applies the token windows). */
  prefix: string;
  /** Text after the cursor. */
  suffix: string;
  /** The editor's cancellation. */
  signal: AbortSignal;
}

export interface CompletionResult {
  text: string;
  model: string;
  /** Milliseconds: for `network`, from sending the request to the shaped answer; otherwise the time to answer the call. */
  latencyMs: number;
  source: 'network' | 'cache' | 'typed-through';
}

/**
 * Every `start` is followed by exactly one `end` for the same document, also when the request was
 * aborted or failed; an `error` for that request comes after its `end`. Answers from the cache or typed
 * through emit a lone `end`. Each distinct `error` message is emitted once until a request succeeds.
 */
export type CompletionActivity =
  | { kind: 'start'; documentKey: string }
  | { kind: 'end'; documentKey: string; latencyMs: number; source: CompletionResult['source'] }
  | { kind: 'error'; message: string };

export interface CompletionEngineOptions {
  endpoint: () => RelayEndpoint;
  settings: () => CompletionSettings;
  onActivity?: (activity: CompletionActivity) => void;
  /** Injectable for tests; default global fetch. */
  fetch?: typeof fetch;
  /** Monotonic milliseconds; default `performance.now`. */
  now?: () => number;
  /**
   * How long a request nobody waits for any more keeps running, in case the next keystroke types into
   * its suggestion (the editor cancels the old call before it asks again). Default 1000 ms.
   */
  orphanGraceMs?: number;
}

interface Job extends CompletionRecord {
  readonly controller: AbortController;
  readonly startedAt: number;
  done: Promise<string | undefined>;
  settled: boolean;
  text: string | undefined;
  partial: string;
  finishedAt: number;
  waiters: number;
  orphanTimer: ReturnType<typeof setTimeout> | undefined;
}

interface DocumentState {
  /** The newest call's controller; the next call for the document aborts it. */
  turn: AbortController | undefined;
  /** The newest request (pending or settled), for typed-through reuse and abort. */
  job: Job | undefined;
}

const DEFAULT_ORPHAN_GRACE_MS = 1000;
/** /api/show and /api/tags are quick even on a busy host; a hung one must not block completions forever. */
const METADATA_TIMEOUT_MS = 15_000;
const TRACKED_DOCUMENTS = 32;

export class CompletionEngine {
  private readonly lifetime = new AbortController();
  private readonly now: () => number;
  private readonly orphanGraceMs: number;
  private readonly cache = new LRUCache<string, string>({
    max: 500,
    maxSize: 4_000_000,
    sizeCalculation: (value, key) => Math.max(1, key.length + value.length),
  });
  private readonly documents = new LRUCache<string, DocumentState>({
    max: TRACKED_DOCUMENTS,
    dispose: (state) => retire(state),
  });
  private readonly modelInfo = new Map<string, Promise<ModelInfo>>();
  private readonly knownModelInfo = new Map<string, ModelInfo>();
  private readonly insertRejected = new Set<string>();
  private autoModel: Promise<string> | undefined;
  private knownAutoModel: string | undefined;
  /** Bumped by clearCache so lookups started before it do not repopulate the caches. */
  private generation = 0;
  /** Messages already reported since the last success: each is shown once, not once per keystroke. */
  private readonly reportedErrors = new Set<string>();

  constructor(private readonly options: CompletionEngineOptions) {
    this.now = options.now ?? (() => performance.now());
    this.orphanGraceMs = options.orphanGraceMs ?? DEFAULT_ORPHAN_GRACE_MS;
  }

  /** Resolves undefined when cancelled, superseded, debounced away, or nothing useful came back. Never throws. */
  async complete(request: CompletionRequest): Promise<CompletionResult | undefined> {
    if (this.lifetime.signal.aborted || request.signal.aborted) return undefined;
    const state = this.documentState(request.documentKey);
    state.turn?.abort();
    const turn = new AbortController();
    state.turn = turn;
    const signal = AbortSignal.any([request.signal, turn.signal, this.lifetime.signal]);
    let model: string | undefined;
    try {
      const settings = this.options.settings();
      const reused = await this.reuse(state, request, settings, signal);
      if (reused || signal.aborted) return reused;
      // The editor moved on: stop the previous request for this document before anything new goes out.
      abortJob(state);
      const cached = this.fromCache(state, request, this.plannedFromKnownModel(request, settings));
      if (cached) return cached;
      if (!(await abortableDelay(settings.debounceMs, signal))) return undefined;
      model = await untilAborted(this.resolveModel(settings), signal);
      const info = model === undefined ? undefined : await untilAborted(this.lookUpModel(model), signal);
      if (model === undefined || info === undefined) return undefined;
      const plan = this.plan(request, settings, model, info);
      return this.fromCache(state, request, plan) ?? (await this.fromNetwork(state, request, plan, signal));
    } catch (error) {
      this.report(error, model, signal);
      return undefined;
    } finally {
      if (state.turn === turn) state.turn = undefined;
    }
  }

  /** Forgets cached completions, model info and the picked model, and aborts requests in flight. */
  clearCache(): void {
    this.generation += 1;
    this.cache.clear();
    this.modelInfo.clear();
    this.knownModelInfo.clear();
    this.insertRejected.clear();
    this.autoModel = undefined;
    this.knownAutoModel = undefined;
    this.reportedErrors.clear();
    this.documents.forEach((state) => {
      abortJob(state);
      state.job = undefined;
    });
  }

  dispose(): void {
    this.lifetime.abort();
    this.documents.clear();
    this.cache.clear();
  }

  private documentState(documentKey: string): DocumentState {
    let state = this.documents.get(documentKey);
    if (!state) {
      state = { turn: undefined, job: undefined };
      this.documents.set(documentKey, state);
    }
    return state;
  }

  /** Typed-through: answers from the document's last request (waiting for it if pending) when it still fits. */
  private async reuse(
    state: DocumentState,
    request: CompletionRequest,
    settings: CompletionSettings,
    signal: AbortSignal,
  ): Promise<CompletionResult | undefined> {
    const job = state.job;
    const typed = job ? typedSince(job, request, settings.model) : undefined;
    if (!job || typed === undefined) return undefined;
    const startedAt = this.now();
    const wasSettled = job.settled;
    const text = await this.waitFor(job, signal);
    const rest = signal.aborted ? undefined : remainderAfter(text, typed);
    if (rest === undefined) return undefined;
    if (typed !== '') return this.answer(request, { text: rest, model: job.model, latencyMs: this.now() - startedAt, source: 'typed-through' });
    if (wasSettled) return this.answer(request, { text: rest, model: job.model, latencyMs: this.now() - startedAt, source: 'cache' });
    return { text: rest, model: job.model, latencyMs: job.finishedAt - job.startedAt, source: 'network' };
  }

  private fromCache(state: DocumentState, request: CompletionRequest, plan: CompletionPlan | undefined): CompletionResult | undefined {
    const startedAt = this.now();
    const text = plan ? this.cache.get(plan.cacheKey) : undefined;
    if (!plan || text === undefined) return undefined;
    abortJob(state);
    state.job = settledRecord(request, plan.model, text, startedAt);
    return this.answer(request, { text, model: plan.model, latencyMs: this.now() - startedAt, source: 'cache' });
  }

  private async fromNetwork(
    state: DocumentState,
    request: CompletionRequest,
    plan: CompletionPlan,
    signal: AbortSignal,
  ): Promise<CompletionResult | undefined> {
    if (signal.aborted) return undefined;
    abortJob(state);
    const job = this.startJob(request, plan);
    state.job = job;
    const text = await this.waitFor(job, signal);
    if (signal.aborted || text === undefined) return undefined;
    return { text, model: plan.model, latencyMs: job.finishedAt - job.startedAt, source: 'network' };
  }

  private answer(request: CompletionRequest, result: CompletionResult): CompletionResult {
    this.emit({ kind: 'end', documentKey: request.documentKey, latencyMs: result.latencyMs, source: result.source });
    return result;
  }

  /** A plan without any network call, when the model and its info are already known (for an early cache hit). */
  private plannedFromKnownModel(request: CompletionRequest, settings: CompletionSettings): CompletionPlan | undefined {
    const model = settings.model || this.knownAutoModel;
    const info = model ? this.knownModelInfo.get(model) : undefined;
    if (!model || !info) return undefined;
    try {
      return this.plan(request, settings, model, info);
    } catch {
      return undefined; // the full path reports it
    }
  }

  private plan(request: CompletionRequest, settings: CompletionSettings, model: string, info: ModelInfo): CompletionPlan {
    return planCompletion({
      prefix: request.prefix,
      suffix: request.suffix,
      languageId: request.languageId,
      model,
      info,
      settings,
      insertRejected: this.insertRejected.has(model),
    });
  }

  private startJob(request: CompletionRequest, plan: CompletionPlan): Job {
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, this.lifetime.signal]);
    const job: Job = {
      prefix: request.prefix,
      suffix: request.suffix,
      model: plan.model,
      controller,
      startedAt: this.now(),
      done: Promise.resolve(undefined),
      settled: false,
      text: undefined,
      partial: '',
      finishedAt: 0,
      waiters: 0,
      orphanTimer: undefined,
    };
    job.done = this.run(request.documentKey, plan, signal, (textSoFar) => (job.partial = textSoFar)).then((text) => {
      job.settled = true;
      job.text = text;
      job.finishedAt = this.now();
      clearTimeout(job.orphanTimer);
      return text;
    });
    return job;
  }

  /** One request on the wire, bracketed by `start`/`end`. Resolves undefined on failure (reported) or abort. */
  private async run(documentKey: string, plan: CompletionPlan, signal: AbortSignal, onProgress: (textSoFar: string) => void): Promise<string | undefined> {
    const startedAt = this.now();
    this.emit({ kind: 'start', documentKey });
    let failure: { error: unknown } | undefined;
    try {
      const { text, cacheKey } = await this.generate(documentKey, plan, signal, onProgress);
      this.reportedErrors.clear();
      if (text.trim() === '') return undefined;
      this.cache.set(cacheKey, text);
      return text;
    } catch (error) {
      failure = { error };
      return undefined;
    } finally {
      this.emit({ kind: 'end', documentKey, latencyMs: this.now() - startedAt, source: 'network' });
      if (failure) this.report(failure.error, plan.model, signal);
    }
  }

  /** Streams the completion; on "does not support insert" remembers it and retries once with the raw template. */
  private async generate(
    documentKey: string,
    plan: CompletionPlan,
    signal: AbortSignal,
    onProgress: (textSoFar: string) => void,
  ): Promise<{ text: string; cacheKey: string }> {
    try {
      return { text: await this.stream(documentKey, plan, signal, onProgress), cacheKey: plan.cacheKey };
    } catch (error) {
      if (!plan.useInsert || !isInsertRejected(error) || signal.aborted) throw error;
      this.insertRejected.add(plan.model);
      const rawPlan = withoutInsert(plan);
      return { text: await this.stream(documentKey, rawPlan, signal, onProgress), cacheKey: rawPlan.cacheKey };
    }
  }

  private async stream(documentKey: string, plan: CompletionPlan, signal: AbortSignal, onProgress: (textSoFar: string) => void): Promise<string> {
    const request = new AbortController();
    const requestSignal = AbortSignal.any([signal, request.signal]);
    const client = createOllamaClient(this.options.endpoint(), requestSignal, { [SUPERSEDE_HEADER]: supersedeKey(documentKey) }, this.options.fetch);
    try {
      const chunks = await client.generate(generateRequest(plan));
      const tapped = reportRawText(chunks, onProgress);
      return await collectText(completionStream(tapped, { stopTokens: plan.stopTokens, rules: plan.rules, abortRequest: () => request.abort() }));
    } finally {
      request.abort();
    }
  }

  /** Waits for a job's text on behalf of one caller; a job nobody waits for is aborted after the grace time. */
  private waitFor(job: Job, signal: AbortSignal): Promise<string | undefined> {
    if (job.settled) return Promise.resolve(job.text);
    if (signal.aborted) return Promise.resolve(undefined);
    job.waiters += 1;
    clearTimeout(job.orphanTimer);
    job.orphanTimer = undefined;
    return new Promise((resolve) => {
      let attached = true;
      const detach = (): void => {
        if (!attached) return;
        attached = false;
        signal.removeEventListener('abort', onAbort);
        job.waiters -= 1;
        if (job.waiters === 0 && !job.settled) {
          job.orphanTimer = setTimeout(() => job.controller.abort(), this.orphanGraceMs);
        }
      };
      const onAbort = (): void => {
        detach();
        resolve(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      void job.done.then((text) => {
        detach();
        resolve(text);
      });
    });
  }

  private resolveModel(settings: CompletionSettings): Promise<string> {
    if (settings.model) return Promise.resolve(settings.model);
    if (!this.autoModel) {
      const generation = this.generation;
      const lookup = this.pickModel().then(
        (model) => {
          if (generation === this.generation) this.knownAutoModel = model;
          return model;
        },
        (error: unknown) => {
          if (this.autoModel === lookup) this.autoModel = undefined;
          throw error;
        },
      );
      this.autoModel = lookup;
    }
    return this.autoModel;
  }

  private async pickModel(): Promise<string> {
    const endpoint = this.options.endpoint();
    const client = createOllamaClient(endpoint, this.metadataSignal(), {}, this.options.fetch);
    const body: unknown = await client.list();
    const model = pickFimModel(body);
    if (model === undefined) throw new NoFimModelError(displayUrl(endpoint.url));
    return model;
  }

  private lookUpModel(model: string): Promise<ModelInfo> {
    let lookup = this.modelInfo.get(model);
    if (!lookup) {
      const generation = this.generation;
      const client = createOllamaClient(this.options.endpoint(), this.metadataSignal(), {}, this.options.fetch);
      const pending = client.show({ model }).then(
        (body: unknown) => {
          const info = parseShowResponse(model, body);
          if (generation === this.generation) this.knownModelInfo.set(model, info);
          return info;
        },
        (error: unknown) => {
          if (this.modelInfo.get(model) === pending) this.modelInfo.delete(model);
          throw error;
        },
      );
      lookup = pending;
      this.modelInfo.set(model, lookup);
    }
    return lookup;
  }

  /** Metadata lookups are shared by every caller, so they follow the engine's lifetime, not one caller's signal. */
  private metadataSignal(): AbortSignal {
    return AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(METADATA_TIMEOUT_MS)]);
  }

  private report(error: unknown, model: string | undefined, signal: AbortSignal): void {
    const message = completionErrorMessage(error, displayUrl(this.options.endpoint().url), model, signal);
    if (message === undefined || this.reportedErrors.has(message)) return;
    this.reportedErrors.add(message);
    this.emit({ kind: 'error', message });
  }

  private emit(activity: CompletionActivity): void {
    try {
      this.options.onActivity?.(activity);
    } catch {
      // A failing listener must not break completions.
    }
  }
}

function abortJob(state: DocumentState): void {
  state.job?.controller.abort();
}

function retire(state: DocumentState): void {
  state.turn?.abort();
  abortJob(state);
}

function settledRecord(request: CompletionRequest, model: string, text: string, at: number): Job {
  return {
    prefix: request.prefix,
    suffix: request.suffix,
    model,
    controller: new AbortController(),
    startedAt: at,
    done: Promise.resolve(text),
    settled: true,
    text,
    partial: text,
    finishedAt: at,
    waiters: 0,
    orphanTimer: undefined,
  };
}

/** Resolves undefined as soon as `signal` aborts, without waiting for `promise` (which may be shared). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
