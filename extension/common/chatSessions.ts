/**
 * Chat history: sessions of turns, persisted in the extension's global state so it survives reloads.
 * Bounded in count, turns and total size, because global state is loaded into memory on every start.
 * What is read back is validated: a corrupt or older entry is dropped, never trusted.
 */
import { z } from 'zod';
import type { ChatSessionSummary, ChatTurn } from './protocol';

export interface StoredTurn extends ChatTurn {
  /** What the model saw for a user turn (with its attached context), when it differs from `content`. */
  modelContent?: string;
}

export interface ChatSession {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  turns: StoredTurn[];
}

/** The part of `vscode.Memento` the store needs. */
export interface StateStorage {
  get(key: string): unknown;
  update(key: string, value: unknown): PromiseLike<void>;
}

export const MAX_SESSIONS = 50;
export const MAX_TURNS_PER_SESSION = 200;
/** Upper bound of the serialised history, in UTF-16 characters (about the same number of bytes). */
export const MAX_STORED_CHARS = 4_000_000;
const TITLE_LENGTH = 60;

const statsSchema = z.object({
  promptTokens: z.number().optional(),
  completionTokens: z.number().optional(),
  ttftMs: z.number().optional(),
  tokensPerSecond: z.number().optional(),
  totalMs: z.number().optional(),
  loadMs: z.number().optional(),
  cutOff: z.boolean().optional(),
  historyLeftOut: z.number().optional(),
});

const turnSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  label: z.string().optional(),
  model: z.string().optional(),
  stats: statsSchema.optional(),
  error: z.string().optional(),
  modelContent: z.string().optional(),
});

const sessionSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  turns: z.array(turnSchema),
});

const stateSchema = z.object({ currentId: z.string().optional(), sessions: z.array(z.unknown()) });

export class ChatSessionStore {
  private sessions: ChatSession[];
  private currentId: string;
  private pendingWrite: Promise<void> = Promise.resolve();

  constructor(
    private readonly storage: StateStorage,
    private readonly key: string,
    private readonly now: () => number = Date.now,
    private readonly newId: () => string = () => crypto.randomUUID(),
  ) {
    const loaded = stateSchema.safeParse(storage.get(key));
    this.sessions = loaded.success ? loaded.data.sessions.flatMap(validSession) : [];
    const current = loaded.success ? this.sessions.find((s) => s.id === loaded.data.currentId) : undefined;
    this.currentId = current?.id ?? this.createSession().id;
  }

  get current(): ChatSession {
    return this.sessions.find((s) => s.id === this.currentId) ?? this.createSession();
  }

  /** Sessions that have at least one turn, most recently used first. */
  summaries(): ChatSessionSummary[] {
    return this.sessions
      .filter((s) => s.turns.length > 0)
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .map(({ id, title, updatedAt }) => ({ id, title, updatedAt }));
  }

  get(id: string): ChatSession | undefined {
    return this.sessions.find((s) => s.id === id);
  }

  /** Makes `id` the current session; undefined when it does not exist. */
  open(id: string): ChatSession | undefined {
    const session = this.get(id);
    if (!session) return undefined;
    this.currentId = id;
    this.persist();
    return session;
  }

  /** Starts an empty session, unless the current one is still empty. */
  startNew(): ChatSession {
    const current = this.current;
    if (current.turns.length === 0) return current;
    const session = this.createSession();
    this.persist();
    return session;
  }

  /** Deletes a session; deleting the current one leaves a fresh empty session current. */
  delete(id: string): void {
    this.sessions = this.sessions.filter((s) => s.id !== id);
    if (id === this.currentId) this.currentId = this.createSession().id;
    this.persist();
  }

  append(sessionId: string, turn: StoredTurn): void {
    const session = this.get(sessionId);
    if (!session) return;
    session.turns.push(turn);
    if (session.turns.length > MAX_TURNS_PER_SESSION) session.turns.splice(0, session.turns.length - MAX_TURNS_PER_SESSION);
    if (session.title === '' && turn.role === 'user') session.title = titleOf(turn);
    session.updatedAt = this.now();
    this.persist();
  }

  /** Removes the turns from `index` on (used by Retry to drop a failed exchange). */
  truncate(sessionId: string, index: number): void {
    const session = this.get(sessionId);
    if (!session) return;
    session.turns.splice(index);
    session.updatedAt = this.now();
    this.persist();
  }

  /** Resolves when every change so far has been written. */
  flush(): Promise<void> {
    return this.pendingWrite;
  }

  private createSession(): ChatSession {
    const time = this.now();
    const session: ChatSession = { id: this.newId(), title: '', createdAt: time, updatedAt: time, turns: [] };
    this.sessions.push(session);
    this.currentId = session.id;
    return session;
  }

  private persist(): void {
    this.enforceBounds();
    const state = { currentId: this.currentId, sessions: this.sessions.filter((s) => s.turns.length > 0) };
    // Writes are chained so an older snapshot can never land after a newer one.
    this.pendingWrite = this.pendingWrite.then(
      () => this.storage.update(this.key, state),
      () => this.storage.update(this.key, state),
    );
  }

  /** Drops the least recently used sessions (never the current one) beyond the count and size bounds. */
  private enforceBounds(): void {
    const byAge = [...this.sessions].sort((a, b) => a.updatedAt - b.updatedAt);
    let size = this.sessions.reduce((total, s) => total + sizeOf(s), 0);
    let count = this.sessions.length;
    for (const session of byAge) {
      if (count <= MAX_SESSIONS && size <= MAX_STORED_CHARS) break;
      if (session.id === this.currentId) continue;
      this.sessions = this.sessions.filter((s) => s !== session);
      count -= 1;
      size -= sizeOf(session);
    }
  }
}

function validSession(value: unknown): ChatSession[] {
  const parsed = sessionSchema.safeParse(value);
  return parsed.success && parsed.data.turns.length > 0 ? [parsed.data] : [];
}

function sizeOf(session: ChatSession): number {
  return session.turns.reduce((total, turn) => total + turn.content.length + (turn.modelContent?.length ?? 0), 0);
}

function titleOf(turn: StoredTurn): string {
  const text = (turn.label ?? turn.content).trim().split('\n')[0] ?? '';
  return text.length > TITLE_LENGTH ? `${text.slice(0, TITLE_LENGTH - 1)}…` : text;
}
