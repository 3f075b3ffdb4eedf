/** One turn of the visible conversation, as this view tracks it. */
import type { ChatTurn } from '../../extension/common/protocol';
import { newRequestId } from './requests';

/**
 * `waiting`: sent, no token yet; `loading`: the host reported a cold model load; `streaming`: tokens are
 * arriving. Absent once the host sent the terminal message (or for turns restored from history).
 */
export type TurnPhase = 'waiting' | 'loading' | 'streaming';

export interface TurnState extends ChatTurn {
  /** The exchange this turn belongs to; set on both the user and the assistant turn of a live exchange. */
  requestId?: string;
  phase?: TurnPhase;
  stopped?: boolean;
  retryable?: boolean;
}

/** The part of a turn worth keeping across reloads: no live request, so no phase and no Retry. */
export function toHistoryTurn(turn: TurnState): ChatTurn & { stopped?: boolean } {
  const saved: ChatTurn & { stopped?: boolean } = { role: turn.role, content: turn.content };
  if (turn.label) saved.label = turn.label;
  if (turn.model) saved.model = turn.model;
  if (turn.error) saved.error = turn.error;
  if (turn.stats) saved.stats = { ...turn.stats };
  if (turn.stopped) saved.stopped = true;
  return saved;
}

/**
 * A conversation that ends in a failed answer can be retried even after a reload, when the original
 * request id is gone: the host retries the session's trailing failed exchange for any id, so the
 * exchange gets a fresh one here.
 */
export function withRetryableEnding(turns: ChatTurn[]): TurnState[] {
  const result: TurnState[] = turns.map((turn) => ({ ...turn }));
  const answer = result[result.length - 1];
  const question = result[result.length - 2];
  if (answer?.role === 'assistant' && answer.error !== undefined && question?.role === 'user') {
    const requestId = newRequestId();
    answer.requestId = requestId;
    answer.retryable = true;
    question.requestId = requestId;
  }
  return result;
}
