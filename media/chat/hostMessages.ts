/**
 * Minimal validation of host → webview messages. The host is trusted code, but a message of the wrong
 * shape (an older host, a bug) must be ignored rather than break the view, and unknown types are skipped
 * so a newer host can add messages without breaking an older webview.
 */
import type { AnswerStats, ChatSessionSummary, ChatTurn, ContextInfo, HostMessage } from '../../extension/common/protocol';

type Fields = Record<string, unknown>;

const isRecord = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const optional = <T>(value: unknown, guard: (v: unknown) => v is T): T | undefined => (guard(value) ? value : undefined);

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter(isString) : [];
}

export function parseStats(value: unknown): AnswerStats {
  if (!isRecord(value)) return {};
  const stats: AnswerStats = {};
  for (const key of ['promptTokens', 'completionTokens', 'ttftMs', 'tokensPerSecond', 'totalMs', 'loadMs'] as const) {
    const figure = value[key];
    if (isNumber(figure) && figure >= 0) stats[key] = figure;
  }
  if (value.cutOff === true) stats.cutOff = true;
  if (isNumber(value.historyLeftOut) && value.historyLeftOut > 0) stats.historyLeftOut = Math.floor(value.historyLeftOut);
  return stats;
}

export function parseTurn(value: unknown): ChatTurn | undefined {
  if (!isRecord(value)) return undefined;
  const { role, content } = value;
  if ((role !== 'user' && role !== 'assistant') || !isString(content)) return undefined;
  const turn: ChatTurn = { role, content };
  const label = optional(value.label, isString);
  const model = optional(value.model, isString);
  const error = optional(value.error, isString);
  if (label) turn.label = label;
  if (model) turn.model = model;
  if (error) turn.error = error;
  if (isRecord(value.stats)) turn.stats = parseStats(value.stats);
  return turn;
}

function turnList(value: unknown): ChatTurn[] {
  if (!Array.isArray(value)) return [];
  return value.map(parseTurn).filter((turn): turn is ChatTurn => turn !== undefined);
}

function sessionList(value: unknown): ChatSessionSummary[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item): ChatSessionSummary[] =>
    isRecord(item) && isString(item.id) && item.id !== '' && isString(item.title) && isNumber(item.updatedAt)
      ? [{ id: item.id, title: item.title, updatedAt: item.updatedAt }]
      : [],
  );
}

function parseContext(value: unknown): ContextInfo {
  if (!isRecord(value)) return {};
  const context: ContextInfo = {};
  const { selection, file } = value;
  if (isRecord(selection) && isString(selection.file) && isNumber(selection.startLine) && isNumber(selection.endLine)) {
    context.selection = { file: selection.file, startLine: selection.startLine, endLine: selection.endLine };
  }
  if (isRecord(file) && isString(file.name) && isString(file.languageId)) {
    context.file = { name: file.name, languageId: file.languageId };
  }
  return context;
}

/** Returns the message, or undefined for anything that is not a host message this view understands. */
export function parseHostMessage(data: unknown): HostMessage | undefined {
  if (!isRecord(data) || !isString(data.type)) return undefined;
  const requestId = isString(data.requestId) && data.requestId !== '' ? data.requestId : undefined;
  switch (data.type) {
    case 'init':
      return {
        type: 'init',
        models: stringList(data.models),
        model: isString(data.model) ? data.model : '',
        sessionId: isString(data.sessionId) ? data.sessionId : '',
        turns: turnList(data.turns),
        sessions: sessionList(data.sessions),
        context: parseContext(data.context),
      };
    case 'models':
      return { type: 'models', models: stringList(data.models), model: isString(data.model) ? data.model : '' };
    case 'context':
      return { type: 'context', context: parseContext(data.context) };
    case 'history':
      return { type: 'history', sessions: sessionList(data.sessions) };
    case 'session':
      return isString(data.sessionId) ? { type: 'session', sessionId: data.sessionId, turns: turnList(data.turns) } : undefined;
    case 'chat/start': {
      const prompt = parseTurn(data.prompt);
      if (!requestId || !prompt) return undefined;
      return { type: 'chat/start', requestId, prompt, model: isString(data.model) ? data.model : '' };
    }
    case 'chat/loading':
      return requestId ? { type: 'chat/loading', requestId } : undefined;
    case 'chat/delta':
      return requestId && isString(data.text) ? { type: 'chat/delta', requestId, text: data.text } : undefined;
    case 'chat/done':
      return requestId ? { type: 'chat/done', requestId, stats: parseStats(data.stats), stopped: data.stopped === true } : undefined;
    case 'chat/error':
      return requestId
        ? {
            type: 'chat/error',
            requestId,
            message: isString(data.message) && data.message !== '' ? data.message : 'The request failed.',
            retryable: data.retryable === true,
          }
        : undefined;
    default:
      return undefined;
  }
}
