/**
 * One fake Ollama for a whole describe block, for suites that start their relays test by test: after
 * each test the test's own servers (`teardown`) are closed first, then the fake is reset; the fake
 * closes after the last test. It is read inside tests and hooks, once `before` has run.
 */
import type { FakeOllama } from '../../fakes/fakeOllama';
import { resetFake } from '../../support/resetFake';
import { startFake, Teardown } from './rig';

export interface SuiteFake {
  readonly fake: FakeOllama;
}

export interface SuiteFakeOptions {
  /** How long a generation still running after a test may take to end before the fake is reset (see resetFake). */
  settleMs?: number;
}

export function useSuiteFake(teardown: Teardown, options: SuiteFakeOptions = {}): SuiteFake {
  const suite = new Teardown();
  let fake: FakeOllama | undefined;
  const started = (): FakeOllama => {
    if (fake === undefined) throw new Error('the fake is started by a before hook: read it inside a test or a hook');
    return fake;
  };

  before(async () => {
    fake = await startFake(suite);
  });
  afterEach(async () => {
    await teardown.run();
    await resetFake(started(), options.settleMs);
  });
  after(async () => {
    await suite.run();
    fake = undefined;
  });

  return {
    get fake() {
      return started();
    },
  };
}
