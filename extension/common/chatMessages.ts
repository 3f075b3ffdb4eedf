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

export function buildChatMessages(previous: readonly StoredTurn[], question: string, numCtx: number): ChatMessage[] {
  let budget = Math.floor(numCtx * CHARS_PER_TOKEN * (1 - ANSWER_RESERVE)) - CHAT_SYSTEM_PROMPT.length - question.length;
  const history: ChatMessage[] = [];
  for (const [user, assistant] of exchangesNewestFirst(previous)) {
    const userContent = user.modelContent ?? user.content;
    const size = userContent.length + assistant.content.length;
    if (size > budget) break;
    budget -= size;
    history.unshift({ role: 'user', content: userContent }, { role: 'assistant', content: assistant.content });
  }
  return [{ role: 'system', content: CHAT_SYSTEM_PROMPT }, ...history, { role: 'user', content: question }];
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
