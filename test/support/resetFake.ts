import type { FakeOllama } from '../fakes/fakeOllama';

/**
 * Resets a fake shared by several tests. With `settleMs`, a generation still running from the last
 * test is first given that long to end, so that the next test's counts start from nothing.
 */
export async function resetFake(fake: FakeOllama, settleMs?: number): Promise<void> {
  if (settleMs !== undefined) {
    await fake.waitFor((f) => f.stats.activeGenerations === 0, settleMs, 'no generation left running').catch(() => undefined);
  }
  fake.reset();
}
