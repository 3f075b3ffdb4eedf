/**
 * The typed channel to the extension host. `acquireVsCodeApi` may be called only once per page, so the
 * rest of the webview gets this wrapper instead of the raw API.
 */
import type { WebviewMessage } from '../../extension/common/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  function acquireVsCodeApi(): VsCodeApi;
}

export interface HostChannel {
  post(message: WebviewMessage): void;
  /** Whatever the page saved last time; untrusted shape, validate before use. */
  loadState(): unknown;
  saveState(state: unknown): void;
}

export function connectToHost(): HostChannel {
  const api = acquireVsCodeApi();
  return {
    post: (message) => api.postMessage(message),
    loadState: () => api.getState(),
    saveState: (state) => api.setState(state),
  };
}
