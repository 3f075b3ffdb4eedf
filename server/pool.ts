/**
 * Several Ollama hosts behind one relay: health probes, a circuit breaker per host, and routing.
 *
 * Routing prefers, in order: a host where the model is already resident (no cold load), the host that
 * served this token+document last (Ollama's prompt cache is per host), then the least busy host.
 * A host that fails is taken out (circuit open) with an exponentially growing cool-down, then lets one
 * trial request or probe through (half-open) before it is trusted again.
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from './log';
import { RelayError } from './errors';
import type { Upstream } from './upstream';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface Member {
  upstream: Upstream;
  circuit: CircuitState;
  failures: number;
  openUntil: number;
  cooldownMs: number;
  inflight: number;
  /** Models loaded in memory there, from the last `/api/ps` probe. */
  resident: Set<string>;
  lastError?: string;
  /** Whether the latest probe got an answer (what /readyz reports). */
  reachable: boolean;
  /** A half-open member lets exactly one trial through at a time. */
  trialRunning: boolean;
}

const FAILURES_TO_OPEN = 2;
const MIN_COOLDOWN_MS = 2_000;
const MAX_COOLDOWN_MS = 60_000;

export class UpstreamPool {
  readonly members: Member[];
  private readonly affinity = new LRUCache<string, Member>({ max: 10_000, ttl: 30 * 60_000 });
  private probeTimer: NodeJS.Timeout | undefined;

  constructor(
    upstreams: readonly Upstream[],
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.members = upstreams.map((upstream) => ({
      upstream,
      circuit: 'closed',
      failures: 0,
      openUntil: 0,
      cooldownMs: MIN_COOLDOWN_MS,
      inflight: 0,
      resident: new Set(),
      reachable: true,
      trialRunning: false,
    }));
  }

  /** Chooses a member for `model`, skipping `tried`; throws 503 when no host can take the request. */
  pick(model: string | undefined, affinityKey: string | undefined, tried: ReadonlySet<Member>): Member {
    const now = this.now();
    let best: Member | undefined;
    let bestScore = -Infinity;
    for (const member of this.members) {
      if (tried.has(member) || !this.available(member, now)) continue;
      let score = -member.inflight;
      if (model && member.resident.has(model)) score += 1_000;
      if (affinityKey && this.affinity.get(affinityKey) === member) score += 100;
      if (member.circuit === 'half-open') score -= 10_000;
      if (score > bestScore) {
        best = member;
        bestScore = score;
      }
    }
    if (!best) {
      const reasons = this.members.map((member) => `${member.upstream.name}: ${member.lastError ?? member.circuit}`).join('; ');
      throw new RelayError(503, `no upstream available (${reasons})`, 'upstream_unavailable', { 'Retry-After': '2' });
    }
    if (best.circuit === 'half-open') best.trialRunning = true;
    if (affinityKey) this.affinity.set(affinityKey, best);
    return best;
  }

  private available(member: Member, now: number): boolean {
    if (member.circuit === 'closed') return true;
    if (member.circuit === 'open' && now >= member.openUntil) member.circuit = 'half-open';
    return member.circuit === 'half-open' && !member.trialRunning;
  }

  succeeded(member: Member): void {
    member.trialRunning = false;
    if (member.circuit !== 'closed') this.logger.info({ upstream: member.upstream.name }, 'upstream is back');
    member.circuit = 'closed';
    member.failures = 0;
    member.cooldownMs = MIN_COOLDOWN_MS;
    member.lastError = undefined;
  }

  failed(member: Member, reason: string): void {
    member.trialRunning = false;
    member.failures += 1;
    member.lastError = reason;
    if (member.circuit === 'half-open' || member.failures >= FAILURES_TO_OPEN) {
      if (member.circuit !== 'open') this.logger.warn({ upstream: member.upstream.name, reason }, 'upstream taken out of rotation');
      member.circuit = 'open';
      member.openUntil = this.now() + member.cooldownMs;
      member.cooldownMs = Math.min(member.cooldownMs * 2, MAX_COOLDOWN_MS);
    }
  }

  /** Probes every host (version + resident models) now and then every `intervalMs`. */
  startProbing(intervalMs: number): void {
    const run = (): void => void this.probeAll(false);
    run();
    this.probeTimer = setInterval(run, intervalMs);
    this.probeTimer.unref();
  }

  private fullProbe: Promise<void> | undefined;

  /**
   * Probes every host. `everyHost` includes hosts whose circuit is open (for /readyz, which must see a
   * host that recovered); concurrent full probes share one round, so a flood of /readyz calls cannot
   * multiply the requests sent to the Ollama hosts.
   */
  async probeAll(everyHost = false): Promise<void> {
    if (!everyHost) {
      await Promise.all(this.members.map((member) => this.probe(member, false)));
      return;
    }
    this.fullProbe ??= Promise.all(this.members.map((member) => this.probe(member, true))).then(() => {
      this.fullProbe = undefined;
    });
    return this.fullProbe;
  }

  private async probe(member: Member, evenIfOpen: boolean): Promise<void> {
    if (!evenIfOpen && member.circuit === 'open' && this.now() < member.openUntil) return;
    try {
      const { response } = await member.upstream.send({ method: 'GET', path: '/api/ps', signal: AbortSignal.timeout(3_000) });
      const chunks: Buffer[] = [];
      for await (const chunk of response as AsyncIterable<Buffer>) chunks.push(chunk);
      if ((response.statusCode ?? 500) >= 500) throw new Error(`answered ${response.statusCode}`);
      member.resident = residentModels(Buffer.concat(chunks).toString('utf8'));
      member.reachable = true;
      this.succeeded(member);
    } catch (error) {
      member.reachable = false;
      this.failed(member, error instanceof Error ? error.message : String(error));
    }
  }

  /** Per-host state for /readyz and /metrics. */
  describe(): Array<{ upstream: string; state: CircuitState; reachable: boolean; inflight: number; resident: string[]; error?: string }> {
    return this.members.map((member) => ({
      upstream: member.upstream.name,
      state: member.circuit,
      reachable: member.reachable,
      inflight: member.inflight,
      resident: [...member.resident],
      error: member.lastError,
    }));
  }

  stop(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
  }
}

function residentModels(text: string): Set<string> {
  try {
    const parsed = JSON.parse(text) as { models?: Array<{ name?: unknown; model?: unknown }> };
    const names = (parsed.models ?? []).flatMap((model) => [model.name, model.model]).filter((name): name is string => typeof name === 'string');
    return new Set(names);
  } catch {
    return new Set();
  }
}
