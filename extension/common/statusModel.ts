/**
 * What the status bar item says, as a pure function of the extension's state. Precedence: a running
 * generation first (the user is waiting on it), then an unresolved error, then paused, then idle.
 */

export interface StatusState {
  /** Generations in flight (chat answers, commands, completions). */
  active: number;
  completionsPaused: boolean;
  /** The last error not yet followed by a success. */
  error?: string;
  /** Latency of the last completion shown, in milliseconds. */
  lastLatencyMs?: number;
}

export interface StatusPresentation {
  text: string;
  tooltip: string;
  kind: 'generating' | 'error' | 'paused' | 'idle';
}

export function presentStatus(state: StatusState): StatusPresentation {
  const latency = state.lastLatencyMs !== undefined ? `Last completion: ${Math.round(state.lastLatencyMs)} ms` : 'No completion yet';
  const completions = state.completionsPaused ? 'Inline completions are paused' : 'Inline completions are on';
  const footer = `${completions}. ${latency}. Click for AIDE actions.`;
  if (state.active > 0) return { kind: 'generating', text: '$(loading~spin) AIDE', tooltip: `AIDE: generating… ${footer}` };
  if (state.error) return { kind: 'error', text: '$(warning) AIDE', tooltip: `AIDE: ${state.error}. ${footer}` };
  if (state.completionsPaused) return { kind: 'paused', text: '$(circle-slash) AIDE', tooltip: `AIDE: paused. ${footer}` };
  const suffix = state.lastLatencyMs !== undefined ? ` ${Math.round(state.lastLatencyMs)}ms` : '';
  return { kind: 'idle', text: `$(sparkle) AIDE${suffix}`, tooltip: `AIDE: ready. ${footer}` };
}
