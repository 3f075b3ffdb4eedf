import './.setup';
import { strict as assert } from 'node:assert';
import { abortSignalFromToken, isAbortError } from '../../../extension/common/cancellation';
import { CancellationTokenSource } from '../../fakes/vscode';

describe('cancellation bridge', () => {
  it('aborts the signal when the token is cancelled', () => {
    const source = new CancellationTokenSource();
    const bridge = abortSignalFromToken(source.token);
    assert.equal(bridge.signal.aborted, false);
    source.cancel();
    assert.equal(bridge.signal.aborted, true);
    bridge.dispose();
  });

  it('returns an already-aborted signal for an already-cancelled token, without subscribing', () => {
    const source = new CancellationTokenSource();
    source.cancel();
    const bridge = abortSignalFromToken(source.token);
    assert.equal(bridge.signal.aborted, true);
    assert.equal(source.listenerCount, 0);
    bridge.dispose();
  });

  it('disposing stops listening and leaves the signal as it was', () => {
    const source = new CancellationTokenSource();
    const bridge = abortSignalFromToken(source.token);
    assert.equal(source.listenerCount, 1);
    bridge.dispose();
    assert.equal(source.listenerCount, 0);
    source.cancel();
    assert.equal(bridge.signal.aborted, false, 'a finished request is not aborted after the fact');
  });

  it('recognises abort errors from fetch, Node and an aborted signal', () => {
    assert.ok(isAbortError(new DOMException('The operation was aborted.', 'AbortError')));
    assert.ok(isAbortError(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' })));
    const controller = new AbortController();
    controller.abort();
    assert.ok(isAbortError(new Error('anything'), controller.signal));
    assert.ok(!isAbortError(new Error('fetch failed')));
    assert.ok(!isAbortError('AbortError'));
  });
});
