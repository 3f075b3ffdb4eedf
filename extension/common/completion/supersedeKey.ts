/**
 * The `X-Relay-Supersede` value for a document: a stable 64-bit FNV-1a hash of its URI, in hex. The relay
 * cancels a token's earlier request with the same key, so each document gets its own key; the URI itself
 * is not sent because it can name private paths. Web-standard only (this module also runs outside Node).
 */
export const SUPERSEDE_HEADER = 'X-Relay-Supersede';

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;

export function supersedeKey(documentKey: string): string {
  let hash = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(documentKey)) {
    hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & MASK_64;
  }
  return hash.toString(16).padStart(16, '0');
}
