/**
 * What the view keeps across reloads through `vscode.setState`, so a reloaded (or re-shown) view shows the
 * conversation at once, before the host answers `ready`. The host stays the source of truth: its `init`
 * replaces whatever was restored here.
 */
import { parseTurn } from './hostMessages';
import type { TurnState } from './turn';

export interface PersistedState {
  version: 1;
  sessionId: string;
  model: string;
  models: string[];
  turns: TurnState[];
  draft: string;
  excluded: { selection: boolean; file: boolean };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The saved state, or undefined when there is none or it is from another version. Never throws. */
export function parsePersistedState(value: unknown): PersistedState | undefined {
  if (!isRecord(value) || value.version !== 1) return undefined;
  const turns: TurnState[] = [];
  for (const raw of Array.isArray(value.turns) ? value.turns : []) {
    const turn = parseTurn(raw);
    if (!turn) continue;
    const restored: TurnState = turn;
    if (isRecord(raw) && raw.stopped === true) restored.stopped = true;
    turns.push(restored);
  }
  const excluded = isRecord(value.excluded) ? value.excluded : {};
  return {
    version: 1,
    sessionId: typeof value.sessionId === 'string' ? value.sessionId : '',
    model: typeof value.model === 'string' ? value.model : '',
    models: Array.isArray(value.models) ? value.models.filter((m): m is string => typeof m === 'string') : [],
    turns,
    draft: typeof value.draft === 'string' ? value.draft : '',
    excluded: { selection: excluded.selection === true, file: excluded.file === true },
  };
}

/**
 * Calls `save` at most once per `intervalMs`, always with the latest state (a trailing call), so a
 * streamed answer is not serialised on every token.
 */
export class ThrottledSaver {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSaved = 0;

  constructor(
    private readonly save: () => void,
    private readonly intervalMs: number,
  ) {}

  request(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastSaved + this.intervalMs - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.lastSaved = Date.now();
    this.save();
  }
}
