/**
 * `node dist/server.js` starts the relay; `node dist/server.js token` prints a new token and the
 * `sha256:` line to put in RELAY_TOKENS_FILE.
 */
import { watchFile } from 'node:fs';
import { loadConfig, ConfigError } from './config';
import { startRelay } from './relay';
import { newToken, sha256 } from './tokens';

async function main(): Promise<void> {
  if (process.argv[2] === 'token') {
    const token = newToken();
    process.stdout.write(
      `New relay token (give it to the editor with "AIDE: Set Relay Token"):\n  ${token}\n` +
        `Line for RELAY_TOKENS_FILE (the relay stores only the hash; replace "editor" with a name):\n  editor:sha256:${sha256(token).toString('hex')}\n`,
    );
    return;
  }

  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`aide-relay: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }

  const relay = await startRelay(config).catch((error: unknown) => {
    process.stderr.write(`aide-relay: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
  const store = relay.tokens();
  const auth = store.open
    ? 'authentication is OFF (RELAY_ALLOW_NO_AUTH=1, loopback only)'
    : store.generatedTokenPath
      ? `no RELAY_TOKENS set: the relay token is stored in ${store.generatedTokenPath} (show it with: cat ${store.generatedTokenPath})`
      : `${store.entries.length} client token(s) configured`;
  relay.logger.info({ url: relay.url, upstreams: config.upstreams.map((upstream) => upstream.name), auth }, 'relay listening');
  process.stderr.write(`AIDE relay listening on ${relay.url}\n  upstream: ${config.upstreams.map((u) => u.name).join(', ')}\n  ${auth}\n`);

  const reloadTokens = (trigger: string): void => {
    try {
      relay.reloadTokens();
      relay.logger.info({ trigger, tokens: relay.tokens().entries.length }, 'tokens reloaded');
    } catch (error) {
      relay.logger.error({ trigger, err: error instanceof Error ? error.message : String(error) }, 'token reload failed; keeping the previous tokens');
    }
  };
  process.on('SIGHUP', () => reloadTokens('SIGHUP'));
  // Polling survives editors that replace the file instead of writing it in place.
  if (config.tokensFile) {
    watchFile(config.tokensFile, { interval: 2_000, persistent: false }, (current, previous) => {
      if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size) reloadTokens('file change');
    });
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    relay.logger.info({ signal, deadline_ms: config.drainTimeoutMs }, 'draining');
    relay.close(config.drainTimeoutMs).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
