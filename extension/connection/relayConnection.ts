/**
 * Where requests go and with which token. The URL is a setting; the token lives only in SecretStorage
 * (never in settings, logs or the webview). `endpoint()` is synchronous because the completion engine
 * asks for it on every keystroke, so the token is mirrored in memory and refreshed from SecretStorage
 * whenever it changes, including from another window.
 */
import * as vscode from 'vscode';
import { RELAY_TOKEN_SECRET_KEY } from '../common/ids';
import { Disposable } from '../common/lifecycle';
import type { RelayEndpoint } from '../common/relayClient';
import type { SettingsService } from '../services/settingsService';

export class RelayConnection extends Disposable {
  private token: string | undefined;
  private url: string;
  private readonly changed = this._register(new vscode.EventEmitter<RelayEndpoint>());
  /** Fires when the URL or the token changed. */
  readonly onDidChange = this.changed.event;

  static async create(secrets: vscode.SecretStorage, settings: SettingsService): Promise<RelayConnection> {
    const connection = new RelayConnection(secrets, settings);
    await connection.reloadToken();
    return connection;
  }

  private constructor(
    private readonly secrets: vscode.SecretStorage,
    settings: SettingsService,
  ) {
    super();
    this.url = settings.current.relayUrl;
    this._register(
      settings.onDidChange((next) => {
        if (next.relayUrl === this.url) return;
        this.url = next.relayUrl;
        this.changed.fire(this.endpoint());
      }),
    );
    this._register(
      secrets.onDidChange((event) => {
        if (event.key === RELAY_TOKEN_SECRET_KEY) void this.reloadToken();
      }),
    );
  }

  endpoint(): RelayEndpoint {
    return this.token ? { url: this.url, token: this.token } : { url: this.url };
  }

  get hasToken(): boolean {
    return this.token !== undefined;
  }

  async setToken(token: string): Promise<void> {
    await this.secrets.store(RELAY_TOKEN_SECRET_KEY, token);
    await this.reloadToken();
  }

  async clearToken(): Promise<void> {
    await this.secrets.delete(RELAY_TOKEN_SECRET_KEY);
    await this.reloadToken();
  }

  private async reloadToken(): Promise<void> {
    const stored = (await this.secrets.get(RELAY_TOKEN_SECRET_KEY))?.trim() || undefined;
    if (stored === this.token) return;
    this.token = stored;
    this.changed.fire(this.endpoint());
  }
}
