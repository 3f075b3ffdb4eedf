/**
 * The slice of the built-in Git extension's API (`vscode.git`, `getAPI(1)`) this extension uses. Its
 * exports are untyped at runtime, so they are checked here rather than trusted.
 */
import * as vscode from 'vscode';

export interface GitRepository {
  rootUri: vscode.Uri;
  inputBox: { value: string };
  /** `cached: true` gives the staged diff. */
  diff(cached?: boolean): Promise<string>;
}

export interface GitApi {
  repositories: GitRepository[];
}

export class GitUnavailableError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'GitUnavailableError';
  }
}

export async function gitApi(): Promise<GitApi> {
  const extension = vscode.extensions.getExtension('vscode.git');
  if (!extension) throw new GitUnavailableError('the built-in Git extension is not available');
  const exports: unknown = extension.isActive ? extension.exports : await extension.activate();
  if (!hasFunction(exports, 'getAPI')) throw new GitUnavailableError('the built-in Git extension is disabled');
  const api: unknown = exports.getAPI(1);
  if (typeof api !== 'object' || api === null || !('repositories' in api) || !Array.isArray(api.repositories)) {
    throw new GitUnavailableError('the Git extension answered in an unexpected way');
  }
  const repositories: unknown[] = api.repositories;
  return { repositories: repositories.flatMap(toRepository) };
}

function hasFunction<K extends string>(value: unknown, key: K): value is Record<K, (...args: unknown[]) => unknown> {
  return typeof value === 'object' && value !== null && key in value && typeof Reflect.get(value, key) === 'function';
}

/** A checked view of one repository; its `inputBox` is the live object, so assigning `value` shows in the SCM view. */
function toRepository(value: unknown): GitRepository[] {
  if (!hasFunction(value, 'diff') || !('rootUri' in value) || !('inputBox' in value)) return [];
  const rootUri = toUri(value.rootUri);
  const inputBox: unknown = value.inputBox;
  if (!rootUri || !isInputBox(inputBox)) return [];
  const diff = async (cached?: boolean): Promise<string> => {
    const result: unknown = await value.diff(cached);
    return typeof result === 'string' ? result : '';
  };
  return [{ rootUri, inputBox, diff }];
}

function isInputBox(value: unknown): value is { value: string } {
  return typeof value === 'object' && value !== null && 'value' in value && typeof value.value === 'string';
}

/** Another extension's Uri is normally the same class; a structural one is re-parsed rather than trusted. */
function toUri(value: unknown): vscode.Uri | undefined {
  if (value instanceof vscode.Uri) return value;
  if (typeof value !== 'object' || value === null || !('scheme' in value) || typeof value.scheme !== 'string') return undefined;
  try {
    return vscode.Uri.parse(String(value), true);
  } catch {
    return undefined;
  }
}
