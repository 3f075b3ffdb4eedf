/**
 * One rig for a whole describe block: started before its first test, the fake reset after each test,
 * both servers closed after its last. Its parts are read inside tests and hooks, once `before` has run.
 */
import type { FakeOllama } from '../../fakes/fakeOllama';
import { resetFake } from '../../support/resetFake';
import { type Rig, type RunningRelay, startRig } from './harness';

export interface SharedRig {
  readonly fake: FakeOllama;
  readonly relay: RunningRelay;
  /** The relay's base URL. */
  readonly url: string;
}

export interface UseRigOptions {
  /** How long a generation still running after a test may take to end before the fake is reset (see resetFake). */
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
    await resetFake(started().fake, options.settleMs);
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
