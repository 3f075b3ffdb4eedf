/** Disposable, EventEmitter and cancellation, with the semantics of the real API. */
import type * as vscode from 'vscode';

export class Disposable implements vscode.Disposable {
  static from(...items: Array<{ dispose(): unknown }>): Disposable {
    return new Disposable(() => {
      for (const item of items) item.dispose();
    });
  }

  private disposed = false;

  constructor(private readonly callOnDispose: () => unknown) {}

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.callOnDispose();
  }
}

export class EventEmitter<T> implements vscode.EventEmitter<T> {
  private listeners: Array<(value: T) => unknown> = [];
  private disposed = false;

  readonly event: vscode.Event<T> = (listener, thisArgs?, disposables?) => {
    const bound = (value: T): unknown => listener.call(thisArgs, value);
    this.listeners.push(bound);
    const subscription = new Disposable(() => {
      this.listeners = this.listeners.filter((candidate) => candidate !== bound);
    });
    if (Array.isArray(disposables)) disposables.push(subscription);
    return subscription;
  };

  fire(value: T): void {
    if (this.disposed) return;
    for (const listener of [...this.listeners]) listener(value);
  }

  get listenerCount(): number {
    return this.listeners.length;
  }

  dispose(): void {
    this.disposed = true;
    this.listeners = [];
  }
}

export class CancellationTokenSource implements vscode.CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  private cancelled = false;

  readonly token: vscode.CancellationToken = {
    isCancellationRequested: false,
    onCancellationRequested: this.emitter.event,
  };

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }

  /** Number of listeners still subscribed to the token (leak checks). */
  get listenerCount(): number {
    return this.emitter.listenerCount;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

export class CancellationError extends Error {
  constructor() {
    super('Canceled');
    this.name = 'Canceled';
  }
}
