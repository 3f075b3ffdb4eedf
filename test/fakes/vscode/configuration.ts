/**
 * Settings as VS Code serves them: defaults from the manifest's `contributes.configuration`, user
 * (global) and workspace values on top, objects merged across levels, and a change event that answers
 * `affectsConfiguration` by section prefix.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { EventEmitter } from './events';

export enum ConfigurationTarget {
  Global = 1,
  Workspace = 2,
  WorkspaceFolder = 3,
}

type Scope = 'global' | 'workspace';

export interface FakeConfiguration {
  get<T>(section: string): T | undefined;
  get<T>(section: string, defaultValue: T): T;
  has(section: string): boolean;
  inspect(section: string): { key: string; defaultValue?: unknown; globalValue?: unknown; workspaceValue?: unknown } | undefined;
  update(section: string, value: unknown, target?: ConfigurationTarget | boolean | null): Promise<void>;
}

export function manifestDefaults(): Map<string, unknown> {
  const manifest: unknown = JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8'));
  const defaults = new Map<string, unknown>();
  for (const section of configurationSections(manifest)) {
    for (const [key, schema] of Object.entries(section)) {
      if (typeof schema === 'object' && schema !== null && 'default' in schema) defaults.set(key, schema.default);
    }
  }
  return defaults;
}

/** `contributes.configuration` may be one section or an array of them; returns each section's `properties`. */
export function configurationSections(manifest: unknown): Array<Record<string, unknown>> {
  if (typeof manifest !== 'object' || manifest === null || !('contributes' in manifest)) return [];
  const contributes: unknown = manifest.contributes;
  if (typeof contributes !== 'object' || contributes === null || !('configuration' in contributes)) return [];
  const configuration: unknown = contributes.configuration;
  const sections: unknown[] = Array.isArray(configuration) ? configuration : [configuration];
  return sections.flatMap((section) => {
    if (typeof section !== 'object' || section === null || !('properties' in section)) return [];
    const properties: unknown = section.properties;
    return typeof properties === 'object' && properties !== null ? [{ ...properties }] : [];
  });
}

export class ConfigurationStore {
  private defaults = manifestDefaults();
  private readonly values: Record<Scope, Map<string, unknown>> = { global: new Map(), workspace: new Map() };
  readonly changes = new EventEmitter<vscode.ConfigurationChangeEvent>();

  reset(): void {
    this.defaults = manifestDefaults();
    this.values.global.clear();
    this.values.workspace.clear();
  }

  /** Sets a value as if the user edited settings.json (fires the change event). */
  set(key: string, value: unknown, scope: Scope = 'global'): void {
    if (value === undefined) this.values[scope].delete(key);
    else this.values[scope].set(key, value);
    this.changes.fire({ affectsConfiguration: (section) => key === section || key.startsWith(`${section}.`) || section.startsWith(`${key}.`) });
  }

  value(key: string): unknown {
    const levels = [this.defaults.get(key), this.values.global.get(key), this.values.workspace.get(key)];
    return levels.reduce((merged: unknown, level) => (level === undefined ? merged : mergeLevel(merged, level)), undefined);
  }

  section(prefix: string): FakeConfiguration {
    const full = (key: string): string => (prefix ? `${prefix}.${key}` : key);
    const store = this;
    function get<T>(section: string): T | undefined;
    function get<T>(section: string, defaultValue: T): T;
    function get(section: string, defaultValue?: unknown): unknown {
      return store.value(full(section)) ?? defaultValue;
    }
    return {
      get,
      has: (key) => this.value(full(key)) !== undefined,
      inspect: (key) => ({
        key: full(key),
        defaultValue: this.defaults.get(full(key)),
        globalValue: this.values.global.get(full(key)),
        workspaceValue: this.values.workspace.get(full(key)),
      }),
      update: (key, value, target) => {
        const scope: Scope = target === ConfigurationTarget.Workspace || target === false ? 'workspace' : 'global';
        this.set(full(key), value, scope);
        return Promise.resolve();
      },
    };
  }
}

/** VS Code merges object-valued settings across levels; anything else is replaced. */
function mergeLevel(lower: unknown, upper: unknown): unknown {
  if (isPlainObject(lower) && isPlainObject(upper)) return { ...lower, ...upper };
  return upper;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
