/**
 * The relay token is a bearer credential: whoever receives it can use the relay. Plain http is only
 * acceptable on the loopback interface, where nothing between the editor and the relay can read it;
 * anywhere else the token is withheld and the request fails with a sentence that says why.
 */

/** Thrown instead of sending the token over plain http to a host off this machine. */
export class InsecureTokenTransportError extends Error {
  override readonly name = 'InsecureTokenTransportError';
  constructor(readonly host: string) {
    super(`Refusing to send the relay token over plain http to ${host}; use https://`);
  }
}

/** The host the token would travel to in clear text, or undefined when sending it is safe. */
export function insecureTokenHost(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:') return undefined;
  return isLoopback(parsed.hostname) ? undefined : parsed.host;
}

function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '[::1]') return true;
  return /^127(?:\.\d{1,3}){3}$/.test(host);
}
