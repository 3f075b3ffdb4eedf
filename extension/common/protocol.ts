/**
 * The one message protocol between the chat webview (media/chat.ts) and the extension host
 * (extension/chat/*). Both ends import these types; the host validates every incoming message with
 * `parseWebviewMessage` because the webview is a trust boundary.
 *
 * Streamed exchanges carry a `requestId`. For every `chat/start` the host sends exactly one terminal
 * message for that id: `chat/done` or `chat/error` (a user Stop ends in `chat/done` with `stopped: true`).
 */
import { z } from 'zod';

/** Per-answer figures shown under a reply. Durations are milliseconds. */
export interface AnswerStats {
  promptTokens?: number;
  completionTokens?: number;
  /** Time from send to the first streamed token, as measured by the extension host. */
  ttftMs?: number;
  tokensPerSecond?: number;
  totalMs?: number;
  /** Time the upstream spent loading the model (Ollama `load_duration`), when it was a cold load. */
  loadMs?: number;
  /** True when the answer ended at the token limit (Ollama `done_reason: "length"`), not where the model chose. */
  cutOff?: boolean;
  /** Earlier exchanges of the conversation left out of the prompt to fit the context window. */
  historyLeftOut?: number;
}

export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
  /** Short label shown instead of the full prompt for command-started turns, e.g. "Explain selection". */
  label?: string;
  model?: string;
  stats?: AnswerStats;
  error?: string;
}

export interface ChatSessionSummary {
  id: string;
  title: string;
  /** Epoch milliseconds. */
  updatedAt: number;
}

/** What the user can attach to a question; shown as chips above the input. */
export interface ContextInfo {
  selection?: { file: string; startLine: number; endLine: number };
  file?: { name: string; languageId: string };
}

/** Host → webview. */
export type HostMessage =
  | { type: 'init'; models: string[]; model: string; sessionId: string; turns: ChatTurn[]; sessions: ChatSessionSummary[]; context: ContextInfo }
  | { type: 'models'; models: string[]; model: string }
  | { type: 'context'; context: ContextInfo }
  | { type: 'history'; sessions: ChatSessionSummary[] }
  | { type: 'session'; sessionId: string; turns: ChatTurn[] }
  /** A turn started by the user or by a command; `prompt` is the user turn to show. */
  | { type: 'chat/start'; requestId: string; prompt: ChatTurn; model: string }
  /** The upstream is loading the model before the first token (cold start). */
  | { type: 'chat/loading'; requestId: string }
  | { type: 'chat/delta'; requestId: string; text: string }
  | { type: 'chat/done'; requestId: string; stats: AnswerStats; stopped: boolean }
  | { type: 'chat/error'; requestId: string; message: string; retryable: boolean };

const requestId = z.string().min(1).max(100);
const code = z.string().max(1_000_000);

const webviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({
    type: z.literal('chat/send'),
    requestId,
    text: z.string().min(1).max(200_000),
    useSelection: z.boolean(),
    useFile: z.boolean(),
  }),
  z.object({ type: z.literal('chat/cancel'), requestId }),
  z.object({ type: z.literal('chat/retry'), requestId }),
  z.object({ type: z.literal('chat/new') }),
  z.object({ type: z.literal('model/select'), model: z.string().min(1).max(300) }),
  z.object({ type: z.literal('models/refresh') }),
  z.object({ type: z.literal('history/open'), sessionId: z.string().min(1).max(100) }),
  z.object({ type: z.literal('history/delete'), sessionId: z.string().min(1).max(100) }),
  z.object({ type: z.literal('code/copy'), code }),
  z.object({ type: z.literal('code/insert'), code }),
  z.object({ type: z.literal('code/apply'), code }),
  z.object({ type: z.literal('logs/show') }),
]);

/** Webview → host. */
export type WebviewMessage = z.infer<typeof webviewMessageSchema>;

/** Returns the message, or undefined when it is not a well-formed protocol message. */
export function parseWebviewMessage(value: unknown): WebviewMessage | undefined {
  const parsed = webviewMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
