/**
 * Runs one exchange against the pool: picks a host, and if that host fails before anything reached the
 * client (refused, reset, timed out before headers, queue full), marks it and tries the next one.
 * After the first byte the error-frame rule applies instead, so a client never sees a spliced answer.
 */
import type { RelayContext } from './context';
import { isTransportFailure, RelayError } from './errors';
import type { Exchange } from './exchange';
import type { Member } from './pool';
import type { Upstream } from './upstream';

function retryable(error: unknown): error is RelayError {
  return error instanceof RelayError && (error.status === 502 || error.status === 503 || error.status === 504);
}

export async function withUpstream<T>(ctx: RelayContext, exchange: Exchange, attempt: (upstream: Upstream) => Promise<T>): Promise<T> {
  const tried = new Set<Member>();
  let lastError: RelayError | undefined;
  for (;;) {
    let member: Member;
    try {
      member = ctx.pool.pick(exchange.model, exchange.affinityKey, tried);
    } catch (error) {
      throw lastError ?? error;
    }
    tried.add(member);
    member.inflight += 1;
    exchange.upstream = member.upstream.name;
    try {
      const result = await attempt(member.upstream);
      ctx.pool.succeeded(member);
      return result;
    } catch (error) {
      // Only a host that could not be talked to counts against it; an answer (Ollama's 503 "server busy",
      // a 404, a mid-generation error) comes from a live host.
      if (isTransportFailure(error)) ctx.pool.failed(member, (error as RelayError).message);
      else if (!exchange.abort.signal.aborted) ctx.pool.succeeded(member);
      else member.trialRunning = false;
      const beforeFirstByte = !exchange.res.headersSent && !exchange.abort.signal.aborted;
      if (retryable(error) && beforeFirstByte) {
        ctx.metrics.upstreamErrors.inc({ upstream: member.upstream.name, kind: error.code ?? String(error.status) });
        lastError = error;
        continue;
      }
      throw error;
    } finally {
      member.inflight -= 1;
    }
  }
}
