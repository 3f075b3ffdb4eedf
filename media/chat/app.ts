/**
 * Wires the chat view: restores the saved conversation at once, says `ready`, then follows the host's
 * messages. Only host messages change the transcript (the webview never talks to the network); user
 * actions become protocol messages to the host.
 */
import type { ChatTurn, HostMessage } from '../../extension/common/protocol';
import { codeForButton, isCodeAction } from './codeBlocks';
import { Composer } from './composer';
import { ContextChips } from './contextChips';
import { required } from './dom';
import { HistoryList } from './historyList';
import { parseHostMessage } from './hostMessages';
import { ModelPicker } from './modelPicker';
import { parsePersistedState, ThrottledSaver, type PersistedState } from './persistence';
import { Transcript } from './transcript';
import { RequestTracker, newRequestId } from './requests';
import { toHistoryTurn, withRetryableEnding } from './turn';
import type { HostChannel } from './vscodeApi';

const SAVE_INTERVAL_MS = 500;

export function startChatView(host: HostChannel): void {
  const transcript = new Transcript(required('messages', HTMLElement));
  let sessionId = '';

  const saver = new ThrottledSaver(() => host.saveState(snapshot()), SAVE_INTERVAL_MS);
  const picker = new ModelPicker(required('model', HTMLSelectElement), (model) => host.post({ type: 'model/select', model }));
  const chips = new ContextChips(required('chips', HTMLElement), () => saver.request());
  const history = new HistoryList(required('history', HTMLButtonElement), required('history-list', HTMLElement), {
    open: (id) => host.post({ type: 'history/open', sessionId: id }),
    remove: (id) => host.post({ type: 'history/delete', sessionId: id }),
  });
  const composer = new Composer(
    { prompt: required('prompt', HTMLTextAreaElement), send: required('send', HTMLButtonElement), stop: required('stop', HTMLButtonElement) },
    { send, stop, draftChanged: () => saver.request() },
  );
  const requests = new RequestTracker((busy) => composer.setBusy(busy));

  function snapshot(): PersistedState {
    return {
      version: 1,
      sessionId,
      model: picker.model,
      models: picker.models,
      turns: transcript.turns.map(toHistoryTurn),
      draft: composer.draft,
      excluded: chips.excludedKinds,
    };
  }

  function restore(state: PersistedState): void {
    sessionId = state.sessionId;
    picker.set(state.models, state.model);
    transcript.reset(withRetryableEnding(state.turns));
    composer.draft = state.draft;
    chips.setExcluded(state.excluded);
    history.setCurrent(sessionId);
  }

  function send(text: string): void {
    const requestId = newRequestId();
    host.post({ type: 'chat/send', requestId, text, useSelection: chips.uses('selection'), useFile: chips.uses('file') });
    requests.sent(requestId);
  }

  function stop(): void {
    for (const requestId of requests.cancelAll()) host.post({ type: 'chat/cancel', requestId });
  }

  function retry(requestId: string): void {
    transcript.removeExchange(requestId);
    host.post({ type: 'chat/retry', requestId });
    saver.flush();
  }

  function handle(message: HostMessage): void {
    switch (message.type) {
      case 'init':
        picker.set(message.models, message.model);
        chips.setContext(message.context);
        history.setSessions(message.sessions);
        showSession(message.sessionId, message.turns);
        return;
      case 'models':
        picker.set(message.models, message.model);
        saver.request();
        return;
      case 'context':
        chips.setContext(message.context);
        return;
      case 'history':
        history.setSessions(message.sessions);
        return;
      case 'session':
        showSession(message.sessionId, message.turns);
        return;
      case 'chat/start': {
        const { requestId } = message;
        if (transcript.assistant(requestId)) return;
        requests.started(requestId);
        transcript.append({ ...message.prompt, role: 'user', requestId });
        transcript.append({ role: 'assistant', content: '', model: message.model, requestId, phase: 'waiting' });
        saver.request();
        return;
      }
      case 'chat/loading': {
        const view = transcript.assistant(message.requestId);
        if (!view || view.turn.phase !== 'waiting') return;
        view.turn.phase = 'loading';
        transcript.refreshStatus(view);
        return;
      }
      case 'chat/delta': {
        const view = transcript.assistant(message.requestId);
        if (!view || !view.turn.phase || message.text === '') return;
        if (view.turn.phase !== 'streaming') {
          view.turn.phase = 'streaming';
          transcript.refreshStatus(view);
        }
        transcript.appendText(view, message.text);
        saver.request();
        return;
      }
      case 'chat/done': {
        requests.ended(message.requestId);
        const view = transcript.assistant(message.requestId);
        if (!view) return;
        delete view.turn.phase;
        view.turn.stats = message.stats;
        if (message.stopped) view.turn.stopped = true;
        transcript.complete(view);
        saver.flush();
        return;
      }
      case 'chat/error': {
        const neverStarted = requests.ended(message.requestId);
        let view = transcript.assistant(message.requestId);
        // A send that failed before the host started it still needs its message shown.
        if (!view && neverStarted) view = transcript.append({ role: 'assistant', content: '', requestId: message.requestId });
        if (!view) return;
        delete view.turn.phase;
        view.turn.error = message.message;
        view.turn.retryable = message.retryable;
        transcript.complete(view);
        saver.flush();
        return;
      }
      default: {
        const unhandled: never = message;
        return unhandled;
      }
    }
  }

  function showSession(id: string, turns: ChatTurn[]): void {
    sessionId = id;
    history.setCurrent(id);
    transcript.reset(withRetryableEnding(turns));
    saver.flush();
  }

  const messages = required('messages', HTMLElement);
  messages.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-action]') : null;
    if (!(button instanceof HTMLButtonElement)) return;
    const action = button.dataset.action;
    if (isCodeAction(action)) {
      const code = codeForButton(button);
      if (code === undefined) return;
      host.post({ type: `code/${action}`, code });
      if (action === 'copy') flashLabel(button, 'Copied');
    } else if (action === 'retry') {
      const requestId = button.closest<HTMLElement>('.turn')?.dataset.requestId;
      if (requestId) retry(requestId);
    } else if (action === 'logs') {
      host.post({ type: 'logs/show' });
    }
  });

  required('new-chat', HTMLButtonElement).addEventListener('click', () => {
    host.post({ type: 'chat/new' });
    transcript.reset([]);
    history.setOpen(false);
    saver.flush();
    composer.focus();
  });
  required('refresh-models', HTMLButtonElement).addEventListener('click', () => host.post({ type: 'models/refresh' }));

  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || event.isComposing) return;
    if (history.isOpen) history.setOpen(false);
    else if (requests.busy) stop();
  });

  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const message = parseHostMessage(event.data);
    if (message) handle(message);
  });
  window.addEventListener('pagehide', () => saver.flush());

  const saved = parsePersistedState(host.loadState());
  if (saved) restore(saved);
  else picker.set([], '');
  history.setSessions([]);
  chips.setContext({});
  host.post({ type: 'ready' });
}

function flashLabel(button: HTMLButtonElement, text: string): void {
  const original = button.textContent;
  button.textContent = text;
  setTimeout(() => {
    if (button.isConnected) button.textContent = original;
  }, 1500);
}
