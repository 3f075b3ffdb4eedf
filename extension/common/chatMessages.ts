/**
 * The message list sent to `/api/chat` for a new question: the system prompt, as much of the
 * conversation as fits the model's window (newest exchanges first), and the question with its context.
 * Failed exchanges are left out: the model never saw an answer for them.
 */
import type { ChatMessage } from './chatRun';
import type { StoredTurn } from './chatSessions';
import { CHAT_SYSTEM_PROMPT } from './prompts';

/** Share of the window kept free for the answer. */
const ANSWER_RESERVE = 0.25;
const CHARS_PER_TOKEN = 3;

/** Room kept for the note that announces left-out exchanges. */
const NOTE_RESERVE = 160;

export interface ChatMessagePlan {
  messages: ChatMessage[];
  /** Earlier completed exchanges that did not fit the window; the system message says so. */
  leftOut: number;
}

export function buildChatMessages(previous: readonly StoredTurn[], question: string, numCtx: number): ChatMessage[] {
  return planChatMessages(previous, question, numCtx).messages;
}

/** The message list, and how many earlier exchanges were left out to fit `numCtx` (never silently). */
export function planChatMessages(previous: readonly StoredTurn[], question: string, numCtx: number): ChatMessagePlan {
  let budget = Math.floor(numCtx * CHARS_PER_TOKEN * (1 - ANSWER_RESERVE)) - CHAT_SYSTEM_PROMPT.length - NOTE_RESERVE - question.length;
  const history: ChatMessage[] = [];
  const exchanges = exchangesNewestFirst(previous);
  let kept = 0;
  for (const [user, assistant] of exchanges) {
    const userContent = user.modelContent ?? user.content;
    const size = userContent.length + assistant.content.length;
    if (size > budget) break;
    budget -= size;
    kept += 1;
    history.unshift({ role: 'user', content: userContent }, { role: 'assistant', content: assistant.content });
  }
  const leftOut = exchanges.length - kept;
  const system = leftOut === 0 ? CHAT_SYSTEM_PROMPT : `${CHAT_SYSTEM_PROMPT}\n\n${leftOutNote(leftOut)}`;
  return { messages: [{ role: 'system', content: system }, ...history, { role: 'user', content: question }], leftOut };
}

export function leftOutNote(leftOut: number): string {
  return `(The ${leftOut} earliest exchange${leftOut === 1 ? '' : 's'} of this conversation ${leftOut === 1 ? 'is' : 'are'} left out to fit the context window; ask again for anything from ${leftOut === 1 ? 'it' : 'them'}.)`;
}

/** Completed user → assistant pairs, newest first. */
function exchangesNewestFirst(turns: readonly StoredTurn[]): Array<[StoredTurn, StoredTurn]> {
  const pairs: Array<[StoredTurn, StoredTurn]> = [];
  for (let i = 0; i + 1 < turns.length; i += 1) {
    const user = turns[i];
    const assistant = turns[i + 1];
    if (user?.role !== 'user' || assistant?.role !== 'assistant') continue;
    if (!assistant.error && assistant.content) pairs.push([user, assistant]);
    i += 1;
  }
  return pairs.reverse();
}
