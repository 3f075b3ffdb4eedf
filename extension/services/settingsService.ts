/** The `aide.*` settings, typed and current, with one change event for the whole section. */
import * as vscode from 'vscode';
import { Disposable } from '../common/lifecycle';
import { readSettings, SETTINGS_SECTION, type AideSettings, type SettingKey } from '../common/settings';

export class SettingsService extends Disposable {
  private value: AideSettings = readSettings(vscode.workspace.getConfiguration(SETTINGS_SECTION));
  private readonly changed = this._register(new vscode.EventEmitter<AideSettings>());
  /** Fires after any `aide.*` setting changed, with the new values. */
  readonly onDidChange = this.changed.event;

  constructor() {
    super();
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration(SETTINGS_SECTION)) return;
        this.value = readSettings(vscode.workspace.getConfiguration(SETTINGS_SECTION));
        this.changed.fire(this.value);
      }),
    );
  }

  get current(): AideSettings {
    return this.value;
  }

  /**
   * Writes a setting where it takes effect: the workspace when the workspace overrides it (writing the
   * user value there would change nothing the user sees), else the user (global) settings.
   */
  async update(key: SettingKey, value: unknown): Promise<void> {
    const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const inspected = config.inspect(key);
    const target = inspected?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await config.update(key, value, target);
  }
}
