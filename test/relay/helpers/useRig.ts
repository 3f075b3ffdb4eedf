/**
 * One rig for a whole describe block: started before its first test, the fake reset after each test,
 * both servers closed after its last. Its parts are read inside tests and hooks, once `before` has run.
 */
import type { FakeOllama } from '../../fakes/fakeOllama';
import { type Rig, type RunningRelay, startRig } from './harness';

export interface SharedRig {
  readonly fake: FakeOllama;
  readonly relay: RunningRelay;
  /** The relay's base URL. */
  readonly url: string;
}

export interface UseRigOptions {
  /**
   * How long to let a generation still running after a test end before the fake is reset, so that the
   * next test's counts start from nothing; by default the fake is reset at once.
   */
  settleMs?: number;
}

export function useRig(options: UseRigOptions = {}): SharedRig {
  let rig: Rig | undefined;
  const started = (): Rig => {
    if (rig === undefined) throw new Error('the rig is started by a before hook: read it inside a test or a hook');
    return rig;
  };

  before(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    const { fake } = started();
    if (options.settleMs !== undefined) {
      await fake.waitFor((f) => f.stats.activeGenerations === 0, options.settleMs, 'no generation left running').catch(() => undefined);
    }
    fake.reset();
  });
  after(async () => {
    await rig?.close();
    rig = undefined;
  });

  return {
    get fake() {
      return started().fake;
    },
    get relay() {
      return started().relay;
    },
    get url() {
      return started().relay.url;
    },
  };
}
