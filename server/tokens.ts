/**
 * Client tokens: loading, first-run generation and constant-time lookup.
 *
 * Every token is kept only as its SHA-256 digest. A presented token is hashed and compared with every
 * stored digest using timingSafeEqual, without an early exit, so neither the position of a match nor the
 * length of a guess leaks through timing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, type RelayConfig } from './config';

export interface TokenEntry {
  /** Name used in logs and metrics; never the token. */
  name: string;
  digest: Buffer;
}

export interface TokenStore {
  entries: readonly TokenEntry[];
  /** Set when the token was generated (or re-read) at first start: where it lives, never the token itself. */
  generatedTokenPath?: string;
  /** True only for RELAY_ALLOW_NO_AUTH=1 on a loopback interface. */
  open: boolean;
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function newToken(): string {
  return `aide_${randomBytes(24).toString('base64url')}`;
}

/** Parses `name:token`, `token`, `sha256:<hex>` or `name:sha256:<hex>` entries. */
export function parseTokenEntry(raw: string, index: number, source: string): TokenEntry {
  const hashed = /^(?:([^:\s]+):)?sha256:([0-9a-fA-F]{64})$/.exec(raw);
  if (hashed) return { name: hashed[1] ?? `${source}-${index + 1}`, digest: Buffer.from(hashed[2]!, 'hex') };
  if (raw.startsWith('sha256:') || /^[^:\s]+:sha256:/.test(raw)) {
    throw new ConfigError(source, `entry ${index + 1} has a malformed sha256 digest (expected 64 hex characters)`);
  }
  const colon = raw.indexOf(':');
  const name = colon > 0 ? raw.slice(0, colon) : `${source}-${index + 1}`;
  const token = colon > 0 ? raw.slice(colon + 1) : raw;
  if (token.length < 8) throw new ConfigError(source, `entry ${index + 1} ("${name}") is shorter than 8 characters`);
  if (/\s/.test(token)) throw new ConfigError(source, `entry ${index + 1} ("${name}") contains whitespace`);
  return { name, digest: sha256(token) };
}

export function readTokensFile(path: string): TokenEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('RELAY_TOKENS_FILE', `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line !== '')
    .map((line, index) => parseTokenEntry(line, index, 'RELAY_TOKENS_FILE'));
}

export function loadTokenStore(config: RelayConfig): TokenStore {
  const entries = config.tokens.map((raw, index) => parseTokenEntry(raw, index, 'RELAY_TOKENS'));
  if (config.tokensFile) entries.push(...readTokensFile(config.tokensFile));
  // With a tokens file, its content is the whole truth: emptying it revokes every token.
  if (entries.length > 0 || config.tokensFile) return { entries, open: false };
  if (config.allowNoAuth) return { entries, open: true };
  const path = resolve(join(config.dataDir, 'token'));
  return { entries: [{ name: 'default', digest: sha256(readOrCreateToken(path)) }], generatedTokenPath: path, open: false };
}

function readOrCreateToken(path: string): string {
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (token.length >= 8) return token;
  }
  mkdirSync(resolve(path, '..'), { recursive: true, mode: 0o700 });
  const token = newToken();
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}

/** Returns the matching entry's name, or undefined. Runs in time independent of which entry matches. */
export function findToken(store: TokenStore, presented: string): string | undefined {
  const digest = sha256(presented);
  let match: string | undefined;
  for (const entry of store.entries) {
    if (timingSafeEqual(entry.digest, digest) && match === undefined) match = entry.name;
  }
  return match;
}

/** Extracts the token from `Authorization: Bearer …` (also accepts OpenAI-style `api-key`/`x-api-key` headers). */
export function presentedToken(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return match?.[1];
  }
  const key = headers['x-api-key'] ?? headers['api-key'];
  return typeof key === 'string' && key !== '' ? key : undefined;
}
