/**
 * Ownership of listeners and resources: whatever a feature subscribes to goes into its owner, and
 * disposing the owner releases all of it, in reverse order. Structural, so `vscode.Disposable` fits.
 */
export interface IDisposable {
  dispose(): unknown;
}

export class DisposableStore implements IDisposable {
  private items: IDisposable[] = [];
  private disposed = false;

  add<T extends IDisposable>(item: T): T {
    // Adding to a disposed owner would leak the item, so it is released at once instead.
    if (this.disposed) item.dispose();
    else this.items.push(item);
    return item;
  }

  /** Releases everything held so far; the store stays usable. */
  clear(): void {
    const items = this.items.reverse();
    this.items = [];
    for (const item of items) item.dispose();
  }

  dispose(): void {
    if (this.disposed) return;
    this.clear();
    this.disposed = true;
  }
}

export abstract class Disposable implements IDisposable {
  private readonly store = new DisposableStore();

  protected _register<T extends IDisposable>(item: T): T {
    return this.store.add(item);
  }

  dispose(): void {
    this.store.dispose();
  }
}

export function toDisposable(dispose: () => void): IDisposable {
  return { dispose };
}
