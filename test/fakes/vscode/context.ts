/** The extension context: global/workspace state, secret storage and the extension's own paths. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { EventEmitter } from './events';
import { Uri } from './text';

export class FakeMemento implements vscode.Memento {
  readonly values = new Map<string, unknown>();
  syncedKeys: readonly string[] = [];

  keys(): readonly string[] {
    return [...this.values.keys()];
  }

  get<T>(key: string): T | undefined;
  get<T>(key: string, defaultValue: T): T;
  get(key: string, defaultValue?: unknown): unknown {
    // Like VS Code, stored values come back as JSON copies, not the objects that were stored.
    return this.values.has(key) ? structuredClone(this.values.get(key)) : defaultValue;
  }

  update(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.values.delete(key);
    else this.values.set(key, JSON.parse(JSON.stringify(value)));
    return Promise.resolve();
  }

  setKeysForSync(keys: readonly string[]): void {
    this.syncedKeys = keys;
  }
}

export class FakeSecretStorage implements vscode.SecretStorage {
  readonly values = new Map<string, string>();
  private readonly changes = new EventEmitter<vscode.SecretStorageChangeEvent>();
  readonly onDidChange = this.changes.event;

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.values.get(key));
  }

  keys(): Promise<string[]> {
    return Promise.resolve([...this.values.keys()]);
  }

  store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    this.changes.fire({ key });
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.values.delete(key);
    this.changes.fire({ key });
    return Promise.resolve();
  }
}

class FakeEnvironmentVariableCollection implements vscode.GlobalEnvironmentVariableCollection {
  persistent = true;
  description: string | vscode.MarkdownString | undefined;
  private readonly mutators = new Map<string, vscode.EnvironmentVariableMutator>();

  replace(variable: string, value: string): void {
    this.mutators.set(variable, { type: 1, value, options: {} });
  }

  append(variable: string, value: string): void {
    this.mutators.set(variable, { type: 2, value, options: {} });
  }

  prepend(variable: string, value: string): void {
    this.mutators.set(variable, { type: 3, value, options: {} });
  }

  get(variable: string): vscode.EnvironmentVariableMutator | undefined {
    return this.mutators.get(variable);
  }

  forEach(callback: (variable: string, mutator: vscode.EnvironmentVariableMutator, collection: vscode.EnvironmentVariableCollection) => unknown): void {
    for (const [variable, mutator] of this.mutators) callback(variable, mutator, this);
  }

  delete(variable: string): void {
    this.mutators.delete(variable);
  }

  clear(): void {
    this.mutators.clear();
  }

  getScoped(): vscode.EnvironmentVariableCollection {
    return this;
  }

  [Symbol.iterator](): Iterator<[variable: string, mutator: vscode.EnvironmentVariableMutator]> {
    return this.mutators.entries();
  }
}

export enum ExtensionMode {
  Production = 1,
  Development = 2,
  Test = 3,
}

export enum ExtensionKind {
  UI = 1,
  Workspace = 2,
}

export const REPOSITORY_ROOT = path.resolve(__dirname, '../../..');

export class FakeExtensionContext implements vscode.ExtensionContext {
  readonly subscriptions: Array<{ dispose(): unknown }> = [];
  readonly workspaceState = new FakeMemento();
  readonly globalState = new FakeMemento();
  readonly secrets = new FakeSecretStorage();
  readonly extensionUri = Uri.file(REPOSITORY_ROOT);
  readonly extensionPath = REPOSITORY_ROOT;
  readonly environmentVariableCollection = new FakeEnvironmentVariableCollection();
  readonly storageUri = Uri.file('/tmp/aide-fake/workspace-storage');
  readonly storagePath = '/tmp/aide-fake/workspace-storage';
  readonly globalStorageUri = Uri.file('/tmp/aide-fake/global-storage');
  readonly globalStoragePath = '/tmp/aide-fake/global-storage';
  readonly logUri = Uri.file('/tmp/aide-fake/logs');
  readonly logPath = '/tmp/aide-fake/logs';
  readonly extensionMode = ExtensionMode.Test;
  readonly languageModelAccessInformation: vscode.LanguageModelAccessInformation = {
    onDidChange: new EventEmitter<void>().event,
    canSendRequest: () => undefined,
  };
  readonly extension: vscode.Extension<unknown>;

  constructor() {
    const packageJSON: unknown = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'package.json'), 'utf8'));
    this.extension = {
      id: 'aide-ollama.aide-ollama',
      extensionUri: this.extensionUri,
      extensionPath: this.extensionPath,
      isActive: true,
      packageJSON,
      extensionKind: ExtensionKind.Workspace,
      exports: undefined,
      activate: () => Promise.resolve(undefined),
    };
  }

  asAbsolutePath(relativePath: string): string {
    return path.join(REPOSITORY_ROOT, relativePath);
  }

  /** Disposes everything registered, as VS Code does on deactivation. */
  dispose(): void {
    for (const item of this.subscriptions.splice(0).reverse()) item.dispose();
  }
}
