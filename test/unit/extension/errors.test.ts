import './.setup';
import { strict as assert } from 'node:assert';
import { describeError, describeStatus, TOKEN_HINT, withoutCredentials } from '../../../extension/common/errors';
import { createOllamaClient } from '../../../extension/common/relayClient';

class ResponseError extends Error {
  constructor(
    readonly error: string,
    readonly status_code: number,
  ) {
    super(error);
    this.name = 'ResponseError';
  }
}

function fetchFailed(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

const url = 'http://127.0.0.1:11435';

describe('errors in words', () => {
  it('401: the token hint, not retryable', () => {
    assert.deepEqual(describeError(new ResponseError('unauthorized', 401), { url }), { kind: 'auth', message: TOKEN_HINT, retryable: false, status: 401 });
  });

  it('404: names the missing model', () => {
    const described = describeError(new ResponseError("model 'phi3' not found", 404), { url, model: 'phi3' });
    assert.equal(described.message, "Model 'phi3' is not installed on the Ollama host");
    assert.equal(described.retryable, false);
  });

  it('503: the relay is up but Ollama is down, retryable, with the detail', () => {
    const described = describeError(new ResponseError('no upstream available', 503), { url });
    assert.equal(described.message, 'Relay is up but Ollama is down (503: no upstream available)');
    assert.equal(described.retryable, true);
  });

  it('429 and 504 are retryable; 400 and 413 are not', () => {
    assert.equal(describeError(new ResponseError('slow down', 429), { url }).retryable, true);
    assert.equal(describeError(new ResponseError('timeout', 504), { url }).retryable, true);
    const insert = describeError(new ResponseError('registry.ollama.ai/library/llama3:latest does not support insert', 400), { url });
    assert.equal(insert.retryable, false);
    assert.match(insert.message, /does not support insert/);
    assert.equal(describeError(new ResponseError('too large', 413), { url }).retryable, false);
  });

  it('a generic status text is not repeated as a detail', () => {
    assert.equal(describeError(new ResponseError('Error 502: Bad Gateway', 502), { url }).message, 'Relay is up but could not reach Ollama (502)');
  });

  it('ECONNREFUSED: relay unreachable at the URL, retryable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:11435'), { code: 'ECONNREFUSED' });
    assert.deepEqual(describeError(fetchFailed(refused), { url }), {
      kind: 'unreachable',
      message: `Relay unreachable at ${url} (ECONNREFUSED)`,
      retryable: true,
    });
  });

  it('finds the network code inside an AggregateError (IPv4 and IPv6 attempts)', () => {
    const attempts = new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })], 'all failed');
    assert.equal(describeError(fetchFailed(attempts), { url: 'http://localhost:11435' }).message, 'Relay unreachable at http://localhost:11435 (ECONNREFUSED)');
  });

  it('never shows credentials from the URL', () => {
    const described = describeError(fetchFailed(Object.assign(new Error('x'), { code: 'ENOTFOUND' })), { url: 'https://user:secret@relay.example.com' });
    assert.equal(described.message, 'Relay unreachable at https://relay.example.com (ENOTFOUND)');
    assert.equal(withoutCredentials('https://relay.example.com/base'), 'https://relay.example.com/base');
  });

  it('never repeats credentials that fetch or Ollama quote in their own message', async () => {
    const withCredentials = 'http://user:pw@127.0.0.1:9';
    const thrown: unknown = await createOllamaClient({ url: withCredentials }, new AbortController().signal)
      .version()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    assert.ok(thrown instanceof Error && /user:pw@/.test(`${thrown.message} ${String(thrown.cause)}`), 'fetch itself quotes the credentials');
    const described = describeError(thrown, { url: withCredentials });
    assert.doesNotMatch(described.message, /user|pw@/);
    assert.doesNotMatch(describeError(new Error('pull from https://alice:s3cret@registry.example.com failed'), { url }).message, /alice|s3cret/);
    assert.doesNotMatch(describeStatus(502, 'dial http://bob:hunter2@10.0.0.5:11434 refused', { url }).message, /bob|hunter2/);
  });

  it('an error line mid-stream keeps Ollama\'s message', () => {
    assert.equal(describeError(new Error('model runner has unexpectedly stopped'), { url }).message, 'Ollama reported an error: model runner has unexpectedly stopped');
  });

  it('a stream that ended without its final record is a lost connection', () => {
    const described = describeError(new Error('Did not receive done or success response in stream.'), { url });
    assert.equal(described.message, 'The answer stopped before it was complete (connection closed)');
    assert.equal(described.retryable, true);
  });

  it('an abort is a stop, whatever the error says', () => {
    const controller = new AbortController();
    controller.abort();
    assert.equal(describeError(new Error('terminated'), { url }, controller.signal).kind, 'aborted');
    assert.equal(describeError(new DOMException('aborted', 'AbortError'), { url }).kind, 'aborted');
  });
});
