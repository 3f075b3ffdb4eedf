/**
 * Optional Redis for relay replicas: shared rate limits, cache and supersede cancellation.
 * Commands fail fast while Redis is down (no offline queue), so every user of it falls back to local
 * state; the outage is logged once as a warning, and its end once as info.
 */
import type { Redis } from 'ioredis';
import type { SupersedeBus } from './admission';
import type { Logger } from './log';

const SUPERSEDE_CHANNEL = 'aide:supersede';

/** Loads ioredis only when REDIS_URL is set: it costs a single relay about 17 MB of memory otherwise. */
export async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const { Redis } = await import('ioredis');
  let down = false;
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 250, 2_000),
  });
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ err: error.message }, 'Redis unavailable: using local rate limits, cache and cancellation until it is back');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info('Redis is back');
  });
  return redis;
}

/** Supersede announcements over Redis pub/sub, so a newer request on replica B cancels the older one on A. */
export function redisSupersedeBus(redis: Redis, instanceId: string): SupersedeBus & { close(): void } {
  // The subscriber must queue its SUBSCRIBE until connected (and re-subscribe after reconnects).
  const subscriber = redis.duplicate({ enableOfflineQueue: true });
  subscriber.on('error', () => undefined);
  const listeners: Array<(key: string, exchangeId: string) => void> = [];
  void subscriber.subscribe(SUPERSEDE_CHANNEL).catch(() => undefined);
  subscriber.on('message', (_channel: string, message: string) => {
    try {
      const { key, id, from } = JSON.parse(message) as { key: string; id: string; from: string };
      if (from === instanceId) return;
      for (const listener of listeners) listener(key, id);
    } catch {
      // ignore foreign messages on the channel
    }
  });
  return {
    announce(key, exchangeId) {
      redis.publish(SUPERSEDE_CHANNEL, JSON.stringify({ key, id: exchangeId, from: instanceId })).catch(() => undefined);
    },
    onAnnounce(listener) {
      listeners.push(listener);
    },
    close() {
      subscriber.disconnect();
    },
  };
}
