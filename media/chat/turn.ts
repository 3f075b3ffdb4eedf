/** One turn of the visible conversation, as this view tracks it. */
import type { AnswerStats, ChatTurn } from '../../extension/common/protocol';

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
  if (turn.stats) saved.stats = { ...turn.stats } satisfies AnswerStats;
  if (turn.stopped) saved.stopped = true;
  return saved;
}
